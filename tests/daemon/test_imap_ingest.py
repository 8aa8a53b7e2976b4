"""The IMAP side of the daemon against a real Dovecot: IDLE, polling, after-actions, UIDVALIDITY, TLS."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from smartreturn.daemon import loop
from smartreturn.pipeline import content_hash
from smartreturn.store.db import Database, open_database
from smartreturn.store.tables import ImapFolderState, Message, Order
from tests.daemon.conftest import running, settings_for, wait_for
from tests.timing import patience
from tests.daemon.mails import FORWARDER, STRANGER, order_mail
from tests.servers.dovecot import DovecotServer, Mailbox

pytestmark = pytest.mark.imap


def count(db: Database, *where) -> int:
    with db.session() as session:
        return session.scalar(select(func.count(Message.id)).where(*where))


def stored_hashes(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(Message.content_hash)))




def test_mail_appended_while_idling_is_stored_within_seconds(tmp_path: Path, imap_mailbox: Mailbox) -> None:
    imap_mailbox.append(order_mail(1))
    with running(settings_for(tmp_path, imap_mailbox, poll_interval=3600)) as db:
        wait_for(lambda: count(db) == 1, 10, "the mail that was there at start")
        appended = time.monotonic()
        imap_mailbox.append(order_mail(2))
        wait_for(lambda: count(db) == 2, 5, "the mail APPENDed while idling (poll interval is 1 h)")
        assert time.monotonic() - appended < 5 * patience()
    assert sorted(stored_hashes(db)) == sorted(content_hash(order_mail(n)) for n in (1, 2))


def test_poll_fallback_when_idle_is_off(tmp_path: Path, imap_mailbox: Mailbox) -> None:
    with running(settings_for(tmp_path, imap_mailbox, idle=False, poll_interval=1)) as db:
        wait_for(lambda: _connected(db, imap_mailbox), 10, "the first sync")
        imap_mailbox.append(order_mail(3))
        wait_for(lambda: count(db) == 1, 5, "the mail found by polling every second")


def test_server_without_idle_capability_is_polled(tmp_path: Path) -> None:
    server = DovecotServer(idle=False)
    server.start()
    try:
        mailbox = server.new_mailbox()
        with running(settings_for(tmp_path, mailbox, idle=True, poll_interval=1)) as db:
            wait_for(lambda: _connected(db, mailbox), 10, "the first sync")
            mailbox.append(order_mail(4))
            wait_for(lambda: count(db) == 1, 5, "the mail found by polling a server without IDLE")
    finally:
        server.cleanup()


def _connected(db: Database, mailbox: Mailbox) -> bool:
    with db.session() as session:
        return session.scalar(select(ImapFolderState.id)) is not None


def test_reconnects_after_the_server_restarts(tmp_path: Path, dovecot: DovecotServer, imap_mailbox: Mailbox) -> None:
    imap_mailbox.append(order_mail(10))
    with running(settings_for(tmp_path, imap_mailbox, poll_interval=3600)) as db:
        wait_for(lambda: count(db) == 1, 10, "the first mail")
        dovecot.stop()
        try:
            imap_mailbox.deliver(order_mail(11))  # arrives while the server is down
        finally:
            dovecot.start()
        imap_mailbox.append(order_mail(12))
        wait_for(lambda: count(db) == 3, 20, "the mails that arrived while the server was down")
    assert sorted(stored_hashes(db)) == sorted(content_hash(order_mail(n)) for n in (10, 11, 12))


@pytest.mark.parametrize(("after", "target", "expected"), [
    ("keyword", "$SmartReturn", lambda mb: mb.uids("INBOX", ["KEYWORD", "$SmartReturn"]) == mb.uids()),
    ("seen", "", lambda mb: mb.uids("INBOX", ["UNSEEN"]) == [] and len(mb.uids()) == 3),
    ("move", "Processed/Shop", lambda mb: mb.uids() == [] and len(mb.uids("Processed/Shop")) == 3),
    ("none", "", lambda mb: mb.uids("INBOX", ["UNSEEN"]) == mb.uids() and len(mb.uids()) == 3),
])
def test_after_action_runs_once_and_mail_is_not_fetched_again(tmp_path: Path, imap_mailbox: Mailbox,
                                                              after: str, target: str, expected) -> None:
    imap_mailbox.append([order_mail(n) for n in (20, 21, 22)])
    settings = settings_for(tmp_path, imap_mailbox, after=after, after_target=target or "x")
    db = open_database(settings.database_url)
    first = loop.sync_once(settings, db)
    assert [w.error for w in first] == [None]
    assert first[0].health.ingested == 3
    assert expected(imap_mailbox)
    again = loop.sync_once(settings, db)
    assert again[0].health.ingested == 0, "mail below the cursor must never be fetched again"
    assert count(db) == 3


def test_after_action_missed_by_a_crash_is_caught_up(tmp_path: Path, imap_mailbox: Mailbox) -> None:
    imap_mailbox.append([order_mail(n) for n in (30, 31)])
    db_settings = settings_for(tmp_path, imap_mailbox, after="none")
    db = open_database(db_settings.database_url)
    loop.sync_once(db_settings, db)  # stored, cursor past both, no action (as if killed right after commit)
    moving = settings_for(tmp_path, imap_mailbox, after="move", after_target="Archive")
    assert loop.sync_once(moving, db)[0].health.ingested == 0
    assert imap_mailbox.uids() == [] and len(imap_mailbox.uids("Archive")) == 2
    assert count(db) == 2


def test_uidvalidity_change_rescans_without_duplicates(tmp_path: Path, imap_mailbox: Mailbox) -> None:
    mails = [order_mail(n) for n in range(40, 45)]
    imap_mailbox.create_folder("Shop")
    imap_mailbox.append(mails, folder="Shop")
    settings = settings_for(tmp_path, imap_mailbox, folders=["Shop"], after="none")
    db = open_database(settings.database_url)
    loop.sync_once(settings, db)
    before = imap_mailbox.uidvalidity("Shop")

    imap_mailbox.delete_folder("Shop")
    imap_mailbox.create_folder("Shop")
    # the same mails again; one was re-saved by a client that added a header (same Message-ID,
    # different bytes), plus one genuinely new mail
    resaved = mails[0].replace(b"Subject:", b"X-Restored: yes\r\nSubject:", 1)
    imap_mailbox.append([resaved, *mails[1:], order_mail(45)], folder="Shop")
    assert imap_mailbox.uidvalidity("Shop") != before

    workers = loop.sync_once(settings, db)
    assert [w.error for w in workers] == [None]
    assert count(db) == 6
    assert sorted(stored_hashes(db)) == sorted(content_hash(m) for m in [*mails, order_mail(45)])
    with db.session() as session:
        state = session.scalar(select(ImapFolderState).where(ImapFolderState.folder == "Shop"))
        assert (state.uidvalidity, state.last_uid) == (imap_mailbox.uidvalidity("Shop"), 6)


def test_mail_from_a_stranger_is_ignored_and_creates_no_records(tmp_path: Path, imap_mailbox: Mailbox) -> None:
    imap_mailbox.append(order_mail(50, sender=STRANGER))
    settings = settings_for(tmp_path, imap_mailbox)
    assert settings.ingest.allowed_forwarders == [FORWARDER]
    db = open_database(settings.database_url)
    loop.sync_once(settings, db)
    with db.session() as session:
        message = session.scalar(select(Message))
        assert message.status == "ignored"
        assert STRANGER in message.status_reason and "allow-listed" in message.status_reason
        assert session.scalar(select(func.count(Order.id))) == 0


def test_a_bad_message_does_not_stop_the_loop(tmp_path: Path, imap_mailbox: Mailbox) -> None:
    imap_mailbox.append([b"\r\n\r\n   \r\n", order_mail(60)])  # a mail of whitespace only, then a good one
    with running(settings_for(tmp_path, imap_mailbox)) as db:
        wait_for(lambda: count(db) == 2, 10, "both mails")
        imap_mailbox.append(order_mail(61))
        wait_for(lambda: count(db) == 3, 5, "the mail after the bad one")
        assert count(db, Message.status == "failed") == 1


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_tls_and_starttls_verify_the_server_certificate(tmp_path: Path, dovecot: DovecotServer,
                                                        imap_mailbox: Mailbox, security: str) -> None:
    imap_mailbox.append(order_mail(70))
    port = dovecot.tls_port if security == "tls" else dovecot.port
    common = dict(host="localhost", port=port, security=security)
    untrusted = settings_for(tmp_path, imap_mailbox, **common)
    db = open_database(untrusted.database_url)
    [worker] = loop.sync_once(untrusted, db)
    assert worker.error is not None and "CERTIFICATE_VERIFY_FAILED" in str(worker.error)
    assert count(db) == 0

    trusted = settings_for(tmp_path, imap_mailbox, **common, ca_file=str(dovecot.cert_file))
    [worker] = loop.sync_once(trusted, db)
    assert worker.error is None
    assert count(db) == 1


def test_two_folders_are_watched_at_once(tmp_path: Path, imap_mailbox: Mailbox) -> None:
    imap_mailbox.create_folder("Shop")
    with running(settings_for(tmp_path, imap_mailbox, folders=["INBOX", "Shop"])) as db:
        wait_for(lambda: _folders(db) == {"INBOX", "Shop"}, 10, "both folders connected")
        imap_mailbox.append(order_mail(80))
        imap_mailbox.append(order_mail(81), folder="Shop")
        wait_for(lambda: count(db) == 2, 5, "one mail in each folder")
    with db.session() as session:
        assert set(session.scalars(select(Message.source_folder))) == {"INBOX", "Shop"}


def _folders(db: Database) -> set[str]:
    with db.session() as session:
        return set(session.scalars(select(ImapFolderState.folder)))


def test_mail_arriving_just_as_idle_restarts_is_not_left_waiting(tmp_path: Path, imap_mailbox: Mailbox) -> None:
    """Dovecot does not announce a mail delivered while IDLE starts; re-issuing IDLE soon catches it."""
    with running(settings_for(tmp_path, imap_mailbox, poll_interval=3600)) as db:
        wait_for(lambda: _connected(db, imap_mailbox), 10, "the first sync")
        for n in range(1, 11):  # each APPEND lands right when the daemon re-enters IDLE
            imap_mailbox.append(order_mail(90 + n))
            wait_for(lambda: count(db) == n, 4, f"mail {n} (appended as the daemon re-entered IDLE)")


def test_run_once_fetches_what_is_new_and_exits(tmp_path: Path, imap_mailbox: Mailbox) -> None:
    from typer.testing import CliRunner

    from smartreturn.cli import app
    from tests.daemon.conftest import write_config

    imap_mailbox.append([order_mail(n) for n in (100, 101)])
    config = write_config(tmp_path, [imap_mailbox.account_settings()])
    result = CliRunner().invoke(app, ["--config", str(config), "run", "--once"], env={"SMARTRETURN_CONFIG": ""})
    assert result.exit_code == 0, result.output
    assert "test/INBOX: 2 mails ingested" in result.output
    broken = write_config(tmp_path, [imap_mailbox.account_settings(folders=["Nope"])])
    result = CliRunner().invoke(app, ["--config", str(broken), "run", "--once"], env={"SMARTRETURN_CONFIG": ""})
    assert result.exit_code == 1 and "SELECT 'Nope'" in result.output, result.output


def test_backoff_grows_exponentially_with_jitter_and_resets() -> None:
    import random

    backoff = loop.Backoff(base=1.0, cap=30.0, rng=random.Random(7))
    delays = [backoff.next() for _ in range(8)]
    ceilings = [1, 2, 4, 8, 16, 30, 30, 30]
    assert all(1.0 <= d <= c for d, c in zip(delays, ceilings)), delays
    assert len(set(delays)) > 4, "jitter: delays must not all be equal"
    backoff.reset()
    assert backoff.next() == 1.0


def test_backfill_searches_the_folder_in_uid_windows_sparse_uids_and_late_mail_included(
        tmp_path: Path, imap_mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """UID SEARCH goes a window at a time up to the SELECT's UIDNEXT (one SEARCH over a large folder
    cost memory the daemon kept), then open-ended: gaps in the UIDs and mail that arrives after the
    SELECT are all stored."""
    monkeypatch.setattr(loop, "SEARCH_WINDOW", 2)
    imap_mailbox.append([order_mail(n) for n in range(40, 49)])
    with imap_mailbox.client() as client:  # UIDs 2-6 gone: an empty window, then a doubled one
        client.select_folder("INBOX")
        client.delete_messages([2, 3, 4, 5, 6])
        client.expunge()
    settings = settings_for(tmp_path, imap_mailbox, poll_interval=3600)
    db = open_database(settings.database_url)
    searched: list[tuple[int, int]] = []
    original = loop.ImapConnection.uids_between

    def recording(self, first: int, last: int) -> list[int]:
        searched.append((first, last))
        return original(self, first, last)

    monkeypatch.setattr(loop.ImapConnection, "uids_between", recording)
    assert loop.sync_once(settings, db)[0].health.ingested == 4
    assert searched[:3] == [(1, 2), (3, 4), (5, 8)]  # windows, doubled after the empty one
    assert sorted(stored_hashes(db)) == sorted(content_hash(order_mail(n)) for n in (40, 46, 47, 48))
    with running(settings) as db:  # a daemon: its SELECT's UIDNEXT goes stale as mail arrives
        imap_mailbox.append([order_mail(n) for n in range(50, 55)])
        wait_for(lambda: count(db) == 9, 10 * patience(), "mail that arrived after the SELECT")


def test_the_next_batch_is_read_while_one_is_stored_and_each_mail_is_read_once(
        tmp_path: Path, imap_mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """The daemon reads batch N+1 in the parse worker (a read-ahead thread) while it stores batch N;
    ingest_batch then reads nothing itself."""
    import threading

    from smartreturn import pipeline

    imap_mailbox.append([order_mail(n) for n in range(60, 67)])
    settings = settings_for(tmp_path, imap_mailbox, batch_size=2)
    read_by: list[tuple[str, int]] = []
    original = pipeline.read_messages

    def recording(jobs, settings):
        read_by.append((threading.current_thread().name, len(jobs)))
        return original(jobs, settings)

    monkeypatch.setattr(pipeline, "read_messages", recording)
    db = open_database(settings.database_url)
    assert loop.sync_once(settings, db)[0].health.ingested == 7
    assert sorted(stored_hashes(db)) == sorted(content_hash(order_mail(n)) for n in range(60, 67))
    assert sum(n for name, n in read_by if name == "read-ahead") == 7
    assert sum(n for name, n in read_by if name != "read-ahead") == 0
