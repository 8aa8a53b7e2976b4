"""Several mails in one transaction (the IMAP batch path): same outcome as one by one, failures isolated."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

import pytest
from sqlalchemy import func, select

from smartreturn.config import load_settings
from smartreturn.mail.message import Email
from smartreturn.model import Event, EventKind
from smartreturn.parsers import registry
from smartreturn.pipeline import Source, ingest_batch, ingest_bytes
from smartreturn.store.tables import CaseEvent, Message, Order
from tests.pipeline.mails import order_mail

FILE = Source(kind="file", path="x.eml")


class NaiveTimeParser:
    """A buggy parser: its event carries a naive datetime, which the store refuses when writing it."""

    name: ClassVar[str] = "naive_time_test"
    version: ClassVar[int] = 1

    def identify(self, email: Email) -> bool:
        return "BROKEN" in email.subject

    def extract(self, email: Email) -> list[Event]:
        return [Event(kind=EventKind.ORDER_PLACED, platform="naive_time_test", order_number="BROKEN-1",
                      occurred_at=datetime(2026, 11, 20, 9, 30))]


@pytest.fixture
def buggy_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    builtin = registry.load_parsers()
    monkeypatch.setattr(registry, "load_parsers", lambda: (*builtin, NaiveTimeParser()))


def _settings(**env: str):
    return load_settings(env=env)


def test_a_batch_stores_each_mail_once_and_reports_in_order(any_db):
    old, new = order_mail("OLD-1"), order_mail("B-1")  # each call draws a new MIME boundary: keep the bytes
    stored_before = ingest_bytes(any_db, old, FILE, _settings())
    items = [(new, FILE), (b"", FILE), (new, FILE), (old, FILE), (order_mail("B-2"), FILE)]
    with any_db.session() as session:
        outcomes = ingest_batch(session, items, _settings())
    assert [(o.status, o.duplicate) for o in outcomes] == [
        ("parsed", False), ("failed", False), ("parsed", True), ("parsed", True), ("parsed", False)]
    assert outcomes[2].message_pk == outcomes[0].message_pk
    assert outcomes[3].message_pk == stored_before.message_pk
    assert "0 bytes" in outcomes[1].reason
    assert outcomes[0].records == 1 and outcomes[2].records == 0
    with any_db.session() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 4
        assert sorted(session.scalars(select(Order.order_number))) == ["B-1", "B-2", "OLD-1"]
        first = session.get(Message, outcomes[0].message_pk)
        assert (first.message_id, first.parser_name, first.status) == ("<B-1@shop.example>", "schema_org", "parsed")
        assert first.parsed_at.tzinfo is not None and first.received_at.tzinfo is not None


def test_a_mail_whose_records_fail_is_kept_failed_and_the_others_are_written(any_db, buggy_parser):
    broken = order_mail("X-1").replace(b"Subject: Your order X-1", b"Subject: BROKEN order X-1")
    assert broken != order_mail("X-1")
    items = [(order_mail("G-1"), FILE), (broken, FILE), (order_mail("G-2"), FILE)]
    with any_db.session() as session:  # parsed in this process: the buggy parser is patched in here only
        outcomes = ingest_batch(session, items, _settings(SMARTRETURN_INGEST__PARSE_TIMEOUT="0"))
    assert [o.status for o in outcomes] == ["parsed", "failed", "parsed"]
    assert "naive datetime" in outcomes[1].reason and outcomes[1].parser is None
    with any_db.session() as session:
        assert sorted(session.scalars(select(Order.order_number))) == ["G-1", "G-2"]
        failed = session.get(Message, outcomes[1].message_pk)
        assert (failed.status, failed.parser_name, failed.raw) == ("failed", None, broken)
        assert "naive datetime" in failed.status_reason
        assert session.scalar(select(func.count()).select_from(CaseEvent)) == 2  # one per written mail


def test_a_failing_mail_alone_is_kept_failed_too(any_db, buggy_parser):
    broken = order_mail("X-2").replace(b"Subject: Your order X-2", b"Subject: BROKEN order X-2")
    outcome = ingest_bytes(any_db, broken, FILE, _settings(SMARTRETURN_INGEST__PARSE_TIMEOUT="0"))
    assert outcome.status == "failed" and "naive datetime" in outcome.reason
    with any_db.session() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 0
        assert session.get(Message, outcome.message_pk).status == "failed"


def _snapshot(db) -> dict[str, list[tuple]]:
    """Every row the pipeline writes, without the clock columns."""
    from smartreturn.store.tables import Base

    clock = {"created_at", "updated_at", "parsed_at", "received_at", "computed_at"}
    tables = ("messages", "merchants", "orders", "items", "return_cases", "shipments", "tracking_events",
              "case_events")
    with db.session() as session:
        snapshot = {}
        for name in tables:
            table = Base.metadata.tables[name]
            columns = [c for c in table.columns if c.name not in clock]
            snapshot[name] = [tuple(row) for row in session.execute(select(*columns).order_by(table.c.id))]
        return snapshot


def test_the_fixture_corpus_in_batches_gives_the_same_rows_as_one_mail_at_a_time(any_db, tmp_path):
    from smartreturn.store.db import open_database
    from tests.conftest import FIXTURES

    mails = [path.read_bytes() for path in sorted(FIXTURES.rglob("*.eml"))]
    mails += mails[:40]  # copies: duplicates by content, also within one batch
    assert len(mails) > 200
    one_by_one = open_database(f"sqlite:///{tmp_path / 'one.db'}")
    try:
        singles = [ingest_bytes(one_by_one, raw, FILE, _settings()) for raw in mails]
        expected = _snapshot(one_by_one)
    finally:
        one_by_one.dispose()
    batched = []
    for start in range(0, len(mails), 50):
        with any_db.session() as session:
            batched += ingest_batch(session, [(raw, FILE) for raw in mails[start:start + 50]], _settings())
    assert [(o.status, o.duplicate, o.records, o.reason) for o in batched] == [
        (o.status, o.duplicate, o.records, o.reason) for o in singles]
    assert sum(o.status == "parsed" for o in singles) > 150
    got = _snapshot(any_db)
    assert {name: len(rows) for name, rows in got.items()} == {name: len(rows) for name, rows in expected.items()}
    assert got == expected
