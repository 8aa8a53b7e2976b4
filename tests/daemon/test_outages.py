"""Outages the daemon must ride out and say so: Dovecot going away, a SQLite write lock held for long,
a PostgreSQL restart during IDLE. Real servers; nothing lost, nothing doubled, the cursor never jumps."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import func, select

from smartreturn.config import load_settings
from smartreturn.daemon.status import read_status
from smartreturn.pipeline import content_hash
from smartreturn.store.db import Database
from smartreturn.store.tables import ImapFolderState, Message
from tests.daemon.conftest import db_count, running, start_daemon, wait_for, write_config
from tests.timing import patience
from tests.daemon.mails import order_mail
from tests.servers.dovecot import DovecotServer
from tests.servers.postgres import PostgresServer

pytestmark = pytest.mark.imap

# How long the SQLite write lock is held: minutes in real life; the default proves the point in seconds
# (the busy timeout is 0.5 s, so the daemon meets the lock a dozen times and must not give up on a mail).
LOCK_SECONDS = float(os.environ.get("SMARTRETURN_TEST_LOCK_SECONDS", "8"))




def stored(db: Database) -> list[str]:
    with db.session() as session:
        return sorted(session.scalars(select(Message.content_hash)))


def cursor(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.max(ImapFolderState.last_uid))) or 0


def test_dovecot_stop_and_start_is_logged_and_new_mail_is_stored_soon_after(tmp_path: Path) -> None:
    """The real command at its default log level: start line, connect, lost, reconnected, one line per batch."""
    server = DovecotServer()
    server.start()
    try:
        mailbox = server.new_mailbox()
        mailbox.append(order_mail(1, tag="o"))
        config = write_config(tmp_path, [mailbox.account_settings(poll_interval=3600)])
        log = tmp_path / "daemon.log"
        process = start_daemon(config, log, verbose=False)
        db_path = tmp_path / "smartreturn.db"
        try:
            wait_for(lambda: db_count(db_path) == 1, 20, "the first mail")
            server.stop()
            assert server.drop_clients() >= 1  # the daemon's IDLE connection goes down with the server
            wait_for(lambda: "connection lost" in log.read_text(), 20, "the lost connection in the log")
            time.sleep(2)  # an outage of a few seconds: the backoff has grown
            server.start()
            back = time.monotonic()
            mailbox.append(order_mail(2, tag="o"))
            wait_for(lambda: db_count(db_path) == 2, 65, "the mail appended after Dovecot came back")
            assert time.monotonic() - back <= 65 * patience()
            wait_for(lambda: "reconnected after" in log.read_text(), 5, "the reconnect line")
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(20)
        text = log.read_text()
        assert code == 0, text[-3000:]
    finally:
        server.cleanup()
    assert " starting: config " in text and f"database sqlite:///{db_path}" in text
    assert "folders INBOX (IDLE, poll every 3600 s)" in text
    assert f"test/INBOX: connected to 127.0.0.1:{mailbox.port} as {mailbox.user}; 1 mails in the folder, cursor at UID 0; IDLE" in text
    assert "test/INBOX: stored UIDs 1-1: 1 new (1 parsed), 0 duplicate" in text
    assert "WARNING smartreturn.daemon.loop: test/INBOX: connection lost: " in text
    assert "reconnecting with backoff (at most 60 s apart)" in text
    assert "test/INBOX: reconnected after " in text and " s outage; " in text
    assert "test/INBOX: stored UIDs 2-2: 1 new (1 parsed), 0 duplicate" in text
    assert "DEBUG" not in text  # INFO by default, not more


def test_sqlite_write_lock_held_long_loses_no_mail_and_never_moves_the_cursor(
        tmp_path: Path, imap_mailbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    db_file = tmp_path / "smartreturn.db"
    config = write_config(tmp_path, [imap_mailbox.account_settings(poll_interval=3600)],
                          database={"url": f"sqlite:///{db_file}?timeout=0.5"})
    settings = load_settings(config, env={})
    mails = [order_mail(n, tag="l") for n in range(1, 4)]
    with running(settings) as db:
        wait_for(lambda: "initial sync done" in caplog.text, 15, "the initial sync")
        with closing(sqlite3.connect(db_file, timeout=5, isolation_level=None)) as locker:
            locker.execute("BEGIN EXCLUSIVE")  # another writer holds the lock (a backup, a long CLI write ...)
            for mail in mails:
                imap_mailbox.append(mail)
            wait_for(lambda: "database unavailable" in caplog.text, 15, "the outage in the log")
            held = time.monotonic()
            status = wait_for(lambda: (read_status(settings.general.state_dir) or {}).get("store_error"), 5,
                              "the outage in the status file doctor reads")
            assert "database is locked" in status
            while time.monotonic() - held < LOCK_SECONDS:
                assert cursor(db) == 0, "the cursor moved past mail that was not stored"
                time.sleep(0.5)
            locker.execute("ROLLBACK")
        wait_for(lambda: len(stored(db)) == 3, 65, "the three mails after the lock was released")
        wait_for(lambda: not (read_status(settings.general.state_dir) or {}).get("store_error"), 5,
                 "the status file clearing the outage")
        assert cursor(db) == 3
    assert stored(db) == sorted(content_hash(m) for m in mails)
    assert "skipping it" not in caplog.text
    assert "database unavailable (OperationalError: database is locked); the IMAP cursor stays put" in caplog.text
    assert "database available again after" in caplog.text


@pytest.mark.postgres
def test_postgresql_restart_during_idle_loses_nothing(tmp_path: Path, imap_mailbox, own_postgres: PostgresServer,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    config = write_config(tmp_path, [imap_mailbox.account_settings(poll_interval=3600)],
                          database={"url": own_postgres.url})
    settings = load_settings(config, env={})
    imap_mailbox.append(order_mail(1, tag="p"))
    with running(settings) as db:
        wait_for(lambda: len(stored(db)) == 1, 20, "the first mail")
        wait_for(lambda: "initial sync done" in caplog.text, 10, "IDLE after the first sync")
        own_postgres.stop()  # restart during IDLE: the pooled connection dies under the daemon
        imap_mailbox.append(order_mail(2, tag="p"))
        imap_mailbox.append(order_mail(3, tag="p"))
        wait_for(lambda: "database unavailable" in caplog.text, 20, "the outage in the log")
        time.sleep(2)
        own_postgres.start()
        wait_for(lambda: len(stored(db)) == 3, 65, "every mail after PostgreSQL came back")
        assert cursor(db) == 3
    assert stored(db) == sorted(content_hash(order_mail(n, tag="p")) for n in (1, 2, 3))
    assert "skipping it" not in caplog.text
