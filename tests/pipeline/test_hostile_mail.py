"""Hostile bytes never lose a mail: stored once, with a status; header values that are not text are
escaped; one mail cannot create more than the cap; a mail that parses too long is kept as failed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from smartreturn.config import load_settings
from smartreturn.parsers.caps import MAX_PER_MAIL
from smartreturn.pipeline import Source, ingest_batch, ingest_bytes
from smartreturn.store.tables import Message, Shipment
from smartreturn.tracking.detect import validate
from tests.pipeline.mails import order_mail

FILE = Source(kind="file", path="x.eml")
HEAD = (b"From: Shop <orders@shop.example>\r\nTo: me@example.org\r\nSubject: Your order\r\n"
        b"Date: Mon, 02 Nov 2026 10:00:00 +0000\r\nMessage-ID: <m1@shop.example>\r\n")

HOSTILE = {
    "8-bit Message-ID": HEAD.replace(b"<m1@", b"<m\xff\xfe1@") + b"\r\nhello\r\n",
    "NUL in Message-ID": HEAD.replace(b"<m1@", b"<m\x001@") + b"\r\nhello\r\n",
    "NUL in subject and body": HEAD.replace(b"Your order", b"Your\x00order") + b"\r\nhel\x00lo\r\n",
    "NUL in an encoded word": HEAD.replace(b"Your order", b"=?utf-8?q?a=00b?=") + b"\r\nhello\r\n",
    "8-bit From and To": HEAD.replace(b"Shop <", b"Sh\xe9\xff <").replace(b"me@", b"m\xffe@") + b"\r\nhi\r\n",
    "8-bit Content-Disposition (a Header object)":
        HEAD + b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Disposition: attach\xffment\r\n"
               b"Content-Type: text/plain; name=\"\xfe\"\r\n\r\nhi\r\n--XX--\r\n",
    "NUL and controls in HTML": HEAD + b"Content-Type: text/html\r\n\r\n<p>a\x00b\x01c\x0bd</p>\r\n",
    "NUL in a charset label": HEAD + b"Content-Type: text/plain; charset=\"utf-7\x00\"\r\n\r\nhello\r\n",
    "bogus charset": HEAD + b"Content-Type: text/plain; charset=\"x-\xff-nonsense\"\r\n\r\nhello \xff\r\n",
}


@pytest.mark.parametrize("name", HOSTILE)
def test_every_hostile_mail_is_stored_once_with_a_status(any_db, name):
    raw = HOSTILE[name]
    outcome = ingest_bytes(any_db, raw, FILE, load_settings(env={}))
    assert ingest_bytes(any_db, raw, FILE, load_settings(env={})).duplicate
    with any_db.session() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 1
        message = session.get(Message, outcome.message_pk)
        assert message.raw == raw and message.status in ("parsed", "ignored", "unmatched", "failed")
        for text in (message.message_id, message.subject or "", message.from_addr or ""):
            assert "\x00" not in text and text.encode("utf-8")  # storable everywhere


def test_header_bytes_that_are_not_text_are_stored_escaped(sqlite_db):
    outcome = ingest_bytes(sqlite_db, HOSTILE["8-bit Message-ID"], FILE, load_settings(env={}))
    nul = ingest_bytes(sqlite_db, HOSTILE["NUL in Message-ID"], FILE, load_settings(env={}))
    with sqlite_db.session() as session:
        assert session.get(Message, outcome.message_pk).message_id == "<m\\xff\\xfe1@shop.example>"
        assert session.get(Message, nul.message_pk).message_id == "<m\\x001@shop.example>"


def test_a_file_name_that_is_not_utf8_is_kept(sqlite_db):
    path = b"/mail/caf\xe9.eml".decode("utf-8", "surrogateescape")  # what os.listdir gives for such a name
    outcome = ingest_bytes(sqlite_db, order_mail("N-1"), Source(kind="file", path=path), load_settings(env={}))
    with sqlite_db.session() as session:
        assert session.get(Message, outcome.message_pk).source_path == "/mail/caf\\xe9.eml"


def _ups_numbers(count: int) -> list[str]:
    numbers, serial = [], 0
    while len(numbers) < count:
        base = f"1Z999AA1{serial:09d}"
        numbers += [base + d for d in "0123456789" if validate("ups", base + d)][:1]
        serial += 1
    return numbers


def test_one_mail_creates_at_most_the_cap_and_says_so(sqlite_db):
    numbers = _ups_numbers(MAX_PER_MAIL + 30)
    body = "\r\n".join(f"UPS tracking number: {n}" for n in numbers).encode()
    raw = HEAD.replace(b"orders@shop.example", b"mcinfo@ups.com") + b"\r\n" + body + b"\r\n"
    outcome = ingest_bytes(sqlite_db, raw, FILE, load_settings(env={}))
    assert outcome.status == "parsed"
    # one event per number (carrier layer) or one event with 80 numbers (detector): either way 30 are cut
    assert outcome.reason in (f"capped at {MAX_PER_MAIL} per mail: 30 more tracking numbers not stored",
                              f"capped at {MAX_PER_MAIL} per mail: 30 more events not stored")
    with sqlite_db.session() as session:
        assert session.scalar(select(func.count()).select_from(Shipment)) == MAX_PER_MAIL
        assert session.get(Message, outcome.message_pk).status_reason == outcome.reason


def test_a_mail_that_parses_too_long_is_kept_as_parse_timeout_and_the_batch_goes_on(sqlite_db):
    # A 9 MB text mail: linear, but 0.6-1 s of parser work since the parsers' prefilters (it was seconds);
    # with a 0.25 s limit of CPU time its worker is stopped, while a small mail takes a few milliseconds.
    huge = HEAD + b"\r\n" + b"Thank you for your order, it ships soon.\r\n" * 220_000
    settings = load_settings(env={"SMARTRETURN_INGEST__PARSE_TIMEOUT": "0.25"})
    with sqlite_db.session() as session:
        outcomes = ingest_batch(session, [(order_mail("T-1"), FILE), (huge, FILE), (order_mail("T-2"), FILE)],
                                settings)
    assert [o.status for o in outcomes] == ["parsed", "failed", "parsed"]
    assert outcomes[1].reason.startswith("parse timeout")
    with sqlite_db.session() as session:
        assert session.get(Message, outcomes[1].message_pk).raw == huge


def test_a_mail_that_needs_more_memory_than_the_limit_is_kept_as_parse_memory_limit_and_the_batch_goes_on(sqlite_db):
    # 7 MB of HTML tables (under max_message_bytes): lxml's tree of it needs well over 80 MB; with the
    # default 512 MB it is read (ignored: no parser knows it). The worker alone uses ~40 MB.
    tables = HEAD + b"Content-Type: text/html\r\n\r\n" + b"<table><tr><td>Item</td><td>1</td></tr></table>\r\n" * 150_000
    settings = load_settings(env={"SMARTRETURN_INGEST__PARSE_MEMORY_MB": "80",
                                  "SMARTRETURN_INGEST__PARSE_TIMEOUT": "30"})  # the limit met first, not the timeout
    with sqlite_db.session() as session:
        outcomes = ingest_batch(session, [(order_mail("M-1"), FILE), (tables, FILE), (order_mail("M-2"), FILE)],
                                settings)
    assert [o.status for o in outcomes] == ["parsed", "failed", "parsed"]
    assert outcomes[1].reason == "parse memory limit (MemoryError at 80 MB)"
    with sqlite_db.session() as session:
        assert session.get(Message, outcomes[1].message_pk).raw == tables
