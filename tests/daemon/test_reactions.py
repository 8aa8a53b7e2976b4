"""Reminders follow the mail: a mail that makes a refund overdue is pushed and drafted within seconds,
and the first digest after start-up lists it (real Dovecot, real HTTP receiver, real SMTP sink)."""

from __future__ import annotations

import email
import email.policy
import logging
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from smartreturn import clock
from smartreturn.config import Settings, load_settings
from tests.conftest import FIXTURES
from tests.daemon.conftest import running, wait_for, write_config
from tests.timing import patience
from tests.servers.dovecot import Mailbox
from tests.servers.sinks import HttpReceiver, SmtpSink

pytestmark = pytest.mark.imap

# A real-looking forwarded Taobao mail: "the seller received your return" on 2026-11-24 (Beijing time).
# Its From is 163.com's real form, an encoded word in a quoted display name: the allow-list reads the address.
RETURN_RECEIVED = (FIXTURES / "taobao" / "forwarded_163_return_received.eml").read_bytes()
FORWARDER = "lina_2019@163.com"
ORDER = "3456789012349876543"
# Ten days later the 7-day refund clock (cn.platform.refund_7d) is 3 days overdue: urgent, and a draft is due.
TEN_DAYS_LATER = datetime(2026, 12, 4, 4, 0, tzinfo=timezone.utc)  # 12:00 in Asia/Shanghai


def settings_for(folder: Path, mailbox: Mailbox, http: HttpReceiver, smtp: SmtpSink, digest_time: str) -> Settings:
    config = write_config(
        folder, [mailbox.account_settings(poll_interval=3600)],
        ingest={"allowed_forwarders": [FORWARDER]},
        general={"state_dir": str(folder / "state"), "timezone": "Asia/Shanghai"},
        notify={"urls": [http.url("push")], "digest_urls": [smtp.url()], "digest_time": digest_time})
    return load_settings(config, env={})




def drafts(mailbox: Mailbox) -> list[bytes]:
    with mailbox.client() as client:
        client.select_folder("Drafts", readonly=True)
        uids = client.search("ALL")
        return [data[b"BODY[]"] for data in client.fetch(uids, ["BODY.PEEK[]"]).values()] if uids else []


def digests(smtp: SmtpSink) -> list:
    """Digest mails (the weekly stats mail goes to the same address)."""
    return [m for m in smtp.messages if " urgent, " in m["Subject"]]


def pushes(http: HttpReceiver) -> list[dict]:
    return [r["json"] for r in http.requests if r["path"] == "/push" and r["json"]]


def test_mail_that_makes_a_refund_overdue_is_pushed_and_drafted_within_seconds_then_digested(
        tmp_path: Path, imap_mailbox: Mailbox, http_receiver: HttpReceiver, smtp_sink: SmtpSink,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    # 12:00 local, digest at 12:30: the digest is not due at start-up, the mail comes while running
    settings = settings_for(tmp_path, imap_mailbox, http_receiver, smtp_sink, digest_time="12:30")
    with clock.pinned(TEN_DAYS_LATER), running(settings):
        wait_for(lambda: "initial sync done" in caplog.text, 15, "the initial sync")
        assert pushes(http_receiver) == [] and drafts(imap_mailbox) == []

        appended = time.monotonic()
        imap_mailbox.append(RETURN_RECEIVED)
        push = wait_for(lambda: pushes(http_receiver), 10, "the urgent push at the HTTP receiver")
        draft = wait_for(lambda: drafts(imap_mailbox), 10, "the follow-up draft in Drafts")
        assert time.monotonic() - appended < 10 * patience()
        assert len(push) == 1 and "3 days late" in push[0]["title"]
        assert ORDER in push[0]["message"]
        assert len(draft) == 1
        saved = email.message_from_bytes(draft[0], policy=email.policy.default)
        assert ORDER in saved["Subject"] and ORDER in saved.get_body(("plain",)).get_content()
        assert saved["X-SmartReturn-Case"] == "r1; level 1"
        assert digests(smtp_sink) == [], "the digest went out before digest_time"

        # digest_time comes: the first digest of the day lists the case
        clock.pin(datetime(2026, 12, 4, 4, 31, tzinfo=timezone.utc))
        digest = wait_for(lambda: digests(smtp_sink), 10, "the digest at digest_time")
        time.sleep(1.5)  # two more loop ticks: nothing is sent twice
    assert len(digest) == 1 and len(digests(smtp_sink)) == 1
    body = digest[0].get_body(("plain",)).get_content()
    assert ORDER in body and "Nothing needs your attention" not in body
    assert len(pushes(http_receiver)) == 1 and len(drafts(imap_mailbox)) == 1

    log = caplog.text
    assert "test/INBOX: stored UIDs 1-1: 1 new (1 parsed), 0 duplicate" in log
    assert "push sent: push:" in log and "draft saved to Drafts: draft:case:1:level:1" in log
    assert "digest sent: digest:2026-12-04" in log


def test_first_digest_after_start_up_waits_for_the_mailbox(tmp_path: Path, imap_mailbox: Mailbox,
                                                           http_receiver: HttpReceiver, smtp_sink: SmtpSink) -> None:
    """The mail arrived while the daemon was down and the digest is due: it is sent once the mail is read."""
    imap_mailbox.append(RETURN_RECEIVED)
    settings = settings_for(tmp_path, imap_mailbox, http_receiver, smtp_sink, digest_time="08:00")
    with clock.pinned(TEN_DAYS_LATER), running(settings):
        digest = wait_for(lambda: digests(smtp_sink), 15, "the digest after the initial sync")
        wait_for(lambda: pushes(http_receiver), 10, "the urgent push")
    body = digest[0].get_body(("plain",)).get_content()
    assert ORDER in body and "Nothing needs your attention" not in body
