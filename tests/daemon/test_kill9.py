"""Exactly-once under kill -9: a real `smartreturn run` process killed at random moments while ingesting."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from smartreturn.pipeline import content_hash
from tests.daemon.conftest import db_count, start_daemon, wait_for, write_config
from tests.timing import patience
from tests.daemon.mails import order_mail
from tests.servers.dovecot import Mailbox

pytestmark = [pytest.mark.imap, pytest.mark.slow]

MAILS = 1000
KILLS = 20


def test_kill_9_at_random_moments_stores_every_mail_exactly_once(tmp_path: Path, imap_mailbox: Mailbox) -> None:
    seed = int(os.environ.get("SMARTRETURN_TEST_SEED", "0")) or random.randrange(1 << 30)
    print(f"kill moments seeded with SMARTRETURN_TEST_SEED={seed}")  # shown when the test fails
    rng = random.Random(seed)
    mails = [order_mail(n, tag="k") for n in range(MAILS)]
    imap_mailbox.append(mails)
    config = write_config(tmp_path, [imap_mailbox.account_settings(batch_size=25)])
    db_path, log = tmp_path / "smartreturn.db", tmp_path / "daemon.log"
    started = time.monotonic()

    kills, seen = 0, 0
    while kills < KILLS and seen < MAILS:
        process = start_daemon(config, log)
        try:
            # wait until this run has stored at least one more mail, then kill it a moment later
            wait_for(lambda: db_count(db_path) > seen or process.poll() is not None, 30, "progress", interval=0.01)
            assert process.poll() is None, f"the daemon exited by itself:\n{log.read_text()[-3000:]}"
            time.sleep(rng.uniform(0, 0.04))  # a batch of 25 takes ~35 ms (bench/RESULTS.md): moments across it
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        kills += 1
        seen = db_count(db_path)
    assert kills >= KILLS, f"all {MAILS} mails were stored after only {kills} kills: ingestion is too fast to test"

    starts = log.read_text().count(" starting: config ")
    process = start_daemon(config, log)  # the last run finishes the job and stops cleanly on SIGTERM
    try:
        wait_for(lambda: db_count(db_path) >= MAILS, 60, f"all {MAILS} mails")
        keyworded = lambda: len(imap_mailbox.uids("INBOX", ["KEYWORD", "$SmartReturn"])) == MAILS  # noqa: E731
        wait_for(keyworded, 10, "the after-action on every mail")
        # the killed runs may have done it all: SIGTERM only once this run is up (handlers installed)
        wait_for(lambda: log.read_text().count(" starting: config ") > starts, 30, "the last daemon to start")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0, log.read_text()[-3000:]

    with sqlite3.connect(db_path) as connection:
        rows = connection.execute("SELECT content_hash, source_uid, status FROM messages").fetchall()
        orders = connection.execute("SELECT count(*), count(DISTINCT order_number) FROM orders").fetchone()
        state = connection.execute("SELECT last_uid FROM imap_folder_state").fetchall()
    assert len(rows) == MAILS
    assert sorted(r[0] for r in rows) == sorted(content_hash(m) for m in mails)
    assert sorted(r[1] for r in rows) == list(range(1, MAILS + 1))
    parsed = sum(r[2] == "parsed" for r in rows)
    assert orders == (parsed, parsed), "an order was created twice, or a parsed mail made no order"
    assert state == [(MAILS,)]
    # 90 s on an idle machine, plus ~1 s per restart for the parse worker (a new Python that imports the parsers)
    assert time.monotonic() - started < 120 * patience()


def test_sigterm_during_a_backfill_stops_cleanly_with_the_cursor_on_the_last_stored_mail(
        tmp_path: Path, imap_mailbox: Mailbox) -> None:
    imap_mailbox.append([order_mail(n, tag="t") for n in range(300)])
    config = write_config(tmp_path, [imap_mailbox.account_settings(batch_size=50)])
    db_path, log = tmp_path / "smartreturn.db", tmp_path / "daemon.log"
    process = start_daemon(config, log)
    try:
        wait_for(lambda: db_count(db_path) > 0, 30, "the first stored batch")
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(15)
    assert code == 0, log.read_text()[-3000:]
    stored = db_count(db_path)
    assert db_count(db_path, "SELECT last_uid FROM imap_folder_state") == stored
    assert db_count(db_path, "SELECT max(source_uid) FROM messages") == stored
    assert "stopping: finishing the current mail" in log.read_text()
