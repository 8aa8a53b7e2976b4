"""What keeps build_agenda() fast (bench/bench_agenda_digest.py): a fixed number of SQL statements
whatever the store's size (no query per row), a steady state that writes nothing, the SQLite
timestamp fast path giving the same values as the generic one, and the garbage collector left as found."""

from __future__ import annotations

import gc
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import event, select
from sqlalchemy.dialects import sqlite

from smartreturn.config import Settings
from smartreturn.apply.agenda import build_agenda
from smartreturn.store.db import Database
from smartreturn.store.tables import Deadline, Merchant, Order, OrderItem, ReturnCase, Shipment, UTCDateTime

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)
SETTINGS = Settings.model_validate({"general": {"timezone": "Europe/Berlin"}, "rules": {"region": "de"}})


def fill(db: Database, n: int) -> None:
    """n of each: open cases with a stuck return parcel, closing windows, old orders with a stuck
    outbound parcel (outside the snapshot), arrivals, refunds and merchant history."""
    with db.session() as s:
        shops = [Merchant(platform="shop", name=f"Shop {i}") for i in range(3)]
        s.add_all(shops)
        s.flush()
        for i in range(n):
            shop = shops[i % 3]
            recent = Order(platform="otto", order_number=f"A{i}", region="de", merchant_id=shop.id, currency="EUR",
                           total=Decimal("40.00"), order_date=NOW - timedelta(days=20),
                           delivered_at=NOW - timedelta(days=12 + i % 3))
            old = Order(platform="amazon", order_number=f"B{i}", region="de", merchant_id=shop.id, currency="EUR",
                        total=Decimal("15.00"), order_date=NOW - timedelta(days=400),
                        delivered_at=NOW - timedelta(days=396))
            arrived = Order(platform="otto", order_number=f"C{i}", region="de", currency="EUR",
                            delivered_at=NOW - timedelta(hours=5))
            returned = Order(platform="otto", order_number=f"D{i}", region="de", merchant_id=shop.id, currency="EUR",
                             total=Decimal("70.00"), order_date=NOW - timedelta(days=30),
                             delivered_at=NOW - timedelta(days=27))
            s.add_all([recent, old, arrived, returned])
            s.flush()
            s.add(OrderItem(order_id=recent.id, name=f"Item {i}"))
            case = ReturnCase(order_id=returned.id, case_number="", status="shipped", currency="EUR",
                              requested_at=NOW - timedelta(days=25), shipped_at=NOW - timedelta(days=23),
                              received_at=NOW - timedelta(days=20))
            history = ReturnCase(order_id=old.id, case_number="H", status="refunded", currency="EUR",
                                 received_at=NOW - timedelta(days=60), refunded_at=NOW - timedelta(hours=3))
            s.add_all([case, history])
            s.flush()
            s.add_all([
                Shipment(carrier="dhl", tracking_number=f"R{i}", direction="return", order_id=returned.id,
                         return_case_id=case.id, status="in_transit", last_event_at=NOW - timedelta(days=7)),
                Shipment(carrier="dhl", tracking_number=f"O{i}", direction="outbound", order_id=old.id,
                         status="in_transit", last_event_at=NOW - timedelta(days=30)),
                Shipment(carrier="ups", tracking_number=f"D{i}", direction="outbound", order_id=arrived.id,
                         status="delivered", delivered_at=NOW - timedelta(hours=4)),
            ])


def statements(db: Database) -> tuple[int, int, set[str]]:
    """(SQL statements of one build_agenda run, agenda items, kinds of items)."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with db.session() as session:
            agenda = build_agenda(session, NOW, SETTINGS)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen), len(agenda.items), {item.kind.value for item in agenda.items}


def test_the_number_of_queries_does_not_grow_with_the_store(tmp_path) -> None:
    from smartreturn.store.db import open_database

    small, large = (open_database(f"sqlite:///{tmp_path / name}") for name in ("small.db", "large.db"))
    try:
        fill(small, 5)
        fill(large, 60)
        for db in (small, large):
            statements(db)  # the first run inserts the deadlines
        (few, few_items, kinds), (many, many_items, _) = statements(small), statements(large)
    finally:
        small.dispose()
        large.dispose()
    assert kinds >= {"window_closing", "refund_overdue", "return_stuck", "parcel_stuck", "arrived", "refunded"}
    assert many_items > 10 * few_items // 2
    assert many == few, f"{few} statements for 5 of each, {many} for 60: a query per row crept in"


def test_the_steady_state_writes_no_deadline(any_db) -> None:
    fill(any_db, 4)
    with any_db.session() as session:
        build_agenda(session, NOW, SETTINGS)
        first = {d.id: (d.due_on, d.computed_at) for d in session.scalars(select(Deadline))}
    writes: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        if not statement.lstrip().upper().startswith("SELECT"):
            writes.append(statement)

    event.listen(any_db.engine, "before_cursor_execute", count)
    try:
        with any_db.session() as session:
            build_agenda(session, NOW + timedelta(hours=2), SETTINGS)
            again = {d.id: (d.due_on, d.computed_at) for d in session.scalars(select(Deadline))}
    finally:
        event.remove(any_db.engine, "before_cursor_execute", count)
    assert first and again == first
    assert [w for w in writes if "deadlines" in w] == []


@pytest.mark.parametrize("stored", ["2026-11-25 08:00:00.000000", "2026-11-25 08:00:00", "2026-03-29 01:30:05.123456",
                                    "2026-11-25 08:00:00.5"])
def test_sqlite_timestamps_read_the_same_through_the_fast_path(stored: str) -> None:
    dialect = sqlite.dialect()
    column = UTCDateTime()
    fast = column.result_processor(dialect, None)
    impl = column.impl_instance.dialect_impl(dialect).result_processor(dialect, None)
    generic = column.process_result_value(impl(stored), dialect)
    assert fast(stored) == generic and fast(stored).tzinfo is timezone.utc and fast(None) is None


@pytest.mark.parametrize("enabled", [True, False])
def test_the_garbage_collector_is_left_as_it_was(sqlite_db, enabled: bool) -> None:
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        with sqlite_db.session() as session:
            build_agenda(session, NOW, SETTINGS)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
