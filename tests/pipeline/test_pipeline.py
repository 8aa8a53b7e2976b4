"""One mail in: stored, allow-listed, parsed, applied; bad mail kept as failed, never lost."""

from __future__ import annotations

from sqlalchemy import func, select

from smartreturn.config import load_settings
from smartreturn.pipeline import Source, ingest_bytes, reparse
from smartreturn.store.tables import Base, Message, Order

from tests.pipeline.mails import order_mail

FILE = Source(kind="file", path="x.eml")
IMAP = Source(kind="imap", account="main", folder="INBOX", uidvalidity=1, uid=1)


def settings(**env: str):
    return load_settings(env={f"SMARTRETURN_{k.upper()}": v for k, v in env.items()})


def _counts(db) -> dict[str, int]:
    with db.session() as session:
        return {t.name: session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def test_a_mail_is_stored_parsed_and_not_duplicated(any_db):
    raw = order_mail()
    first = ingest_bytes(any_db, raw, FILE, settings())
    assert (first.status, first.duplicate, first.parser) == ("parsed", False, "schema_org")
    assert first.records >= 1
    before = _counts(any_db)
    second = ingest_bytes(any_db, raw, FILE, settings())
    assert second.duplicate and second.message_pk == first.message_pk
    assert _counts(any_db) == before
    with any_db.session() as session:
        message = session.get(Message, first.message_pk)
        assert message.raw == raw and message.message_id == "<112-7654321-0000001@shop.example>"
        assert session.scalars(select(Order.order_number)).all() == ["112-7654321-0000001"]


def test_imap_mail_from_a_stranger_is_ignored_and_creates_nothing(any_db):
    cfg = settings(ingest__allowed_forwarders='["me@example.com"]')
    outcome = ingest_bytes(any_db, order_mail(outer_from="Mallory <mallory@evil.example>"), IMAP, cfg)
    assert outcome.status == "ignored" and "mallory@evil.example" in outcome.reason
    assert _counts(any_db)["orders"] == 0
    accepted = ingest_bytes(any_db, order_mail("A-2", outer_from="Me <ME@example.com>"), IMAP, cfg)
    assert accepted.status == "parsed"
    with any_db.session() as session:
        message = session.get(Message, accepted.message_pk)
        assert message.forwarded_by == "me@example.com"
        assert message.from_addr == "auto-confirm@shop.example"


def test_imap_without_an_allow_list_parses_nothing(any_db):
    outcome = ingest_bytes(any_db, order_mail(), IMAP, settings())
    assert outcome.status == "ignored" and "allowed_forwarders" in outcome.reason


def test_malformed_mail_is_kept_as_failed_with_a_reason(any_db):
    cfg = settings(ingest__max_message_bytes="1000000")
    empty = ingest_bytes(any_db, b"", FILE, cfg)
    assert empty.status == "failed" and "0 bytes" in empty.reason
    huge = order_mail("BIG-1").replace(b"Thank you", b"X" * 2_000_000 + b" Thank you", 1)
    too_big = ingest_bytes(any_db, huge, FILE, cfg)
    assert too_big.status == "failed" and "too large" in too_big.reason
    truncated = order_mail("T-1")[:-400]
    cut = ingest_bytes(any_db, truncated, FILE, cfg)
    assert cut.status == "failed" and "truncated" in cut.reason
    # a wrong charset label is repaired (Chinese mailers often mislabel GBK), not failed
    wrong_charset = order_mail("C-1").replace(b'charset="utf-8"', b'charset="klingon-8"')
    assert wrong_charset != order_mail("C-1")
    assert ingest_bytes(any_db, wrong_charset, FILE, cfg).status == "parsed"
    with any_db.session() as session:
        stored = session.scalars(select(Message).order_by(Message.id)).all()
        assert len(stored) == 4 and stored[0].raw == b"" and stored[1].raw == huge


def test_reparse_reruns_parsers_over_stored_mail_without_duplicates(any_db):
    ingest_bytes(any_db, order_mail("R-1"), FILE, settings())
    ingest_bytes(any_db, b"not a mail at all", FILE, settings())
    before = _counts(any_db)
    counts = reparse(any_db, settings())
    assert sum(counts.values()) == 2
    assert _counts(any_db) == before


def test_a_domain_entry_allows_that_domain_only(any_db):
    cfg = settings(ingest__allowed_forwarders='["@family.example"]')
    lookalike = ingest_bytes(any_db, order_mail("D-1", outer_from="x@evil-family.example"), IMAP, cfg)
    assert lookalike.status == "ignored" and "x@evil-family.example" in lookalike.reason
    accepted = ingest_bytes(any_db, order_mail("D-2", outer_from="Li <li@family.example>"), IMAP, cfg)
    assert accepted.status == "parsed"
    assert _counts(any_db)["orders"] == 1
