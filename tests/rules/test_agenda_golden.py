"""build_agenda() on a seeded, varied store against its recorded output (agenda_golden.json).

The expected values were produced by the original, row-at-a-time implementation before the agenda path
was rewritten for speed: the rewrite must give the same items (key, kind, urgency, title, detail,
priority and its factors, ids, names, due date, days left, amount), the same money outstanding and
parser health, and leave the same Deadline rows, on SQLite and on PostgreSQL. Three runs: the first
(inserts every deadline), the steady state, and two days later (some deadlines move, windows close).

Regenerate only after a deliberate behaviour change (refuses to overwrite):
    .venv/bin/python -m tests.rules.test_agenda_golden --write
"""

from __future__ import annotations

import json
import random
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartreturn import clock
from smartreturn.config import Settings
from smartreturn.rules.agenda import Agenda
from smartreturn.apply.agenda import build_agenda
from smartreturn.store.db import Database
from smartreturn.store.tables import (
    CaseEvent,
    Deadline,
    Merchant,
    Message,
    Order,
    OrderItem,
    ReturnCase,
    Shipment,
)

GOLDEN = Path(__file__).with_name("agenda_golden.json")
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)
RUNS = (("first", NOW), ("steady", NOW + timedelta(hours=3)), ("later", NOW + timedelta(days=2)))
SETTINGS = Settings.model_validate({"general": {"timezone": "Europe/Berlin"}, "rules": {"region": "de"},
                                    "priority": {"prefer": {"Laden 3": 0.8, "jd": 0.5}}})

PLATFORMS = [("amazon", "de", "EUR"), ("otto", "de", "EUR"), ("taobao", "cn", "CNY"), ("jd", "cn", "CNY"),
             ("ebay", "us", "USD"), ("amazon", "uk", "GBP"), ("shop", None, "EUR"), ("aliexpress", None, "USD")]
CATEGORIES = [None, None, None, "custom_made", "electronics", "fresh"]
OPEN = ["requested", "approved", "label_issued", "shipped", "received", "disputed", "exchange_shipped"]
CLOSED = ["refunded", "rejected", "cancelled", "exchange_delivered"]


def populate(session: Session) -> None:
    """About 220 orders with every kind of thing the agenda looks at; deterministic (seeded)."""
    rng = random.Random(6)
    merchants = [Merchant(platform="shop", name=f"Laden {i}") for i in range(8)]
    session.add_all(merchants)
    session.flush()

    def when(lo: float, hi: float) -> datetime:  # a moment between lo and hi days before NOW
        return NOW - timedelta(days=rng.uniform(lo, hi))

    def maybe(p: float) -> bool:
        return rng.random() < p

    for i in range(220):
        platform, region, currency = rng.choice(PLATFORMS)
        history = i >= 160  # older orders: merchant history and the frequency/amount baseline
        ordered = when(60, 700) if history else when(0, 45)
        order = Order(platform=platform, order_number=f"G-{i:04d}", region=region if maybe(.85) else None,
                      merchant_id=rng.choice(merchants).id if maybe(.9) else None,
                      order_date=None if maybe(.1) else ordered, currency=currency,
                      total=Decimal(rng.randint(300, 90000)) / 100 if maybe(.95) else None,
                      delivered_at=ordered + timedelta(days=rng.uniform(1, 8)) if maybe(.7) else None,
                      category=rng.choice(CATEGORIES), status="cancelled" if maybe(.04) else "delivered",
                      created_at=ordered)
        if order.delivered_at is not None and order.delivered_at > NOW:
            order.delivered_at = NOW - timedelta(hours=rng.randint(1, 20))  # arrived yesterday
        session.add(order)
        session.flush()
        for n in range(rng.randint(0, 3)):
            session.add(OrderItem(order_id=order.id, name=f"Item {i}.{n} <b>" if n == 1 else f"Item {i}.{n}",
                                  category=rng.choice(CATEGORIES)))
        if order.order_date is None:
            session.add(CaseEvent(kind="order_placed", occurred_at=ordered, order_id=order.id, source="cli"))
        if maybe(.35):  # outbound parcel
            status = rng.choice(["in_transit", "in_transit", "delivered", "pickup_ready", "exception"])
            session.add(Shipment(carrier=rng.choice(["dhl", "sf", "ups"]), tracking_number=f"GO{i:05d}",
                                 direction="outbound", order_id=order.id, status=status,
                                 shipped_at=ordered + timedelta(days=1), last_event_at=when(0, 15) if maybe(.8) else None,
                                 delivered_at=when(0, 2) if status == "delivered" else None, stuck=maybe(.1)))
        if history:
            if maybe(.8):
                received = when(20, 600)
                status = rng.choice(CLOSED) if maybe(.3) else "refunded"
                session.add(ReturnCase(order_id=order.id, case_number=f"H{i}", status=status, currency=currency,
                                       expected_refund=Decimal(rng.randint(1000, 5000)) / 100,
                                       requested_at=received - timedelta(days=4), received_at=received,
                                       shipped_at=received - timedelta(days=2) if maybe(.5) else None,
                                       refunded_at=received + timedelta(days=rng.randint(1, 30))
                                       if status == "refunded" else None))
            continue
        for n in range(rng.choice([0, 0, 0, 1, 1, 2])):
            kind = rng.choice(["return", "return", "exchange", "refund_only"])
            status = rng.choice(OPEN) if maybe(.85) else rng.choice(CLOSED)
            requested = when(0, 40)
            case = ReturnCase(
                order_id=order.id, case_number=f"C{i}-{n}", kind=kind, status=status, currency=currency,
                reason_category=rng.choice([None, "defective", "size_fit", "changed_mind", "bogus"]),
                items_text=rng.choice([None, "Item a, Item b", " , Item c"]),
                expected_refund=Decimal(rng.choice([2000, 4990, 250000])) / 100 if maybe(.7) else None,
                refunded_amount=Decimal("10.00") if maybe(.15) else None, requested_at=requested,
                shipped_at=requested + timedelta(days=1) if maybe(.5) else None,
                received_at=requested + timedelta(days=rng.randint(2, 9)) if maybe(.35) else None,
                refunded_at=when(0, 2) if status == "refunded" else None, created_at=requested)
            session.add(case)
            session.flush()
            if maybe(.7):
                p_status = rng.choice(["in_transit", "delivered", "pickup_ready", "pending"])
                session.add(Shipment(carrier=rng.choice(["dhl", "sf", "ups"]), tracking_number=f"GR{i:05d}{n}",
                                     direction="return", order_id=order.id, return_case_id=case.id, status=p_status,
                                     shipped_at=requested + timedelta(days=1) if maybe(.6) else None,
                                     last_event_at=when(0, 12) if maybe(.8) else None,
                                     delivered_at=when(0, 12) if p_status == "delivered" else None,
                                     stuck=maybe(.1)))
    for d in range(-1, 6):  # windows closing around today: EU 14 days, Amazon 30 days, assumed delivery
        for j, (platform, days) in enumerate((("otto", 14), ("amazon", 30), ("ebay", 30))):
            delivered = NOW - timedelta(days=days - d, hours=j)
            session.add(Order(platform=platform, order_number=f"W-{d}-{j}", region="de", currency="EUR",
                              merchant_id=merchants[(d + j) % 8].id, total=Decimal(19 + 40 * j),
                              order_date=delivered - timedelta(days=3),
                              delivered_at=None if platform == "ebay" else delivered, created_at=delivered))
    session.flush()
    for n, order_id in enumerate(session.scalars(select(Order.id).where(Order.order_number.like("W-%")).order_by(Order.id))):
        if n % 5 == 0:  # refunded in the last day (news), with and without an amount
            session.add(ReturnCase(order_id=order_id, case_number=f"R{n}", status="refunded", currency=None,
                                   refunded_amount=Decimal("12.50") if n % 2 else None,
                                   refunded_at=NOW - timedelta(hours=n + 1)))
    for n in range(12):  # parser health: known platforms, marketing, unknown senders, old mail
        sender = rng.choice(["auto-confirm@amazon.de", "shipment-tracking@amazon.de", "newsletter@amazon.de",
                             "news@random.example", "service@jd.com"])
        raw = f"From: {sender}\r\nX-N: {n}\r\n\r\nbody".encode()
        session.add(Message(message_id=f"<g{n}@test>", content_hash=f"{n:064d}", raw=raw, size=len(raw),
                            source_kind="file", from_addr=sender, received_at=when(0, 4), status="unmatched"))
    session.flush()


def record(agenda: Agenda, session: Session) -> dict[str, Any]:
    """Everything the user sees, in JSON types (the items in their agenda order)."""
    def money(m: Any) -> list[str] | None:
        return None if m is None else [str(m.amount), m.currency]

    items = [{
        "key": i.key, "kind": i.kind.value, "urgency": i.urgency.value, "title": i.title, "detail": i.detail,
        "priority": i.priority, "factors": [list(f) for f in i.factors], "order_id": i.order_id,
        "return_case_id": i.return_case_id, "shipment_id": i.shipment_id, "platform": i.platform,
        "merchant": i.merchant, "order_number": i.order_number, "item_names": list(i.item_names),
        "due_on": i.due_on.isoformat() if i.due_on else None, "days_left": i.days_left, "amount": money(i.amount),
    } for i in agenda.items]
    deadlines = sorted(
        [d.kind, d.order_id, d.return_case_id, d.due_on.isoformat(), d.rule_id, d.anchor, d.confidence]
        for d in session.scalars(select(Deadline)))
    return {"items": items, "money_outstanding": [money(m) for m in agenda.money_outstanding],
            "parser_health": [list(p) for p in agenda.parser_health], "deadlines": deadlines}


def run_all(db: Database) -> dict[str, Any]:
    with clock.pinned(NOW), db.session() as session:  # rows the test leaves undated are written "now"
        populate(session)
    result = {}
    for name, now in RUNS:
        with clock.pinned(now), db.session() as session:
            agenda = build_agenda(session, now, SETTINGS)
            session.flush()
            result[name] = record(agenda, session)
    return result


def test_agenda_matches_the_recorded_output(any_db: Database) -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    got = run_all(any_db)
    for name, _ in RUNS:
        want, have = expected[name], got[name]
        assert have["deadlines"] == want["deadlines"], name
        assert [i["key"] for i in have["items"]] == [i["key"] for i in want["items"]], name
        for item_have, item_want in zip(have["items"], want["items"]):
            assert item_have == item_want, (name, item_want["key"])
        assert have["money_outstanding"] == want["money_outstanding"], name
        assert have["parser_health"] == want["parser_health"], name


def test_the_recorded_store_covers_every_path() -> None:
    """The golden store is only worth something if it exercises each kind of item."""
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    kinds = {item["kind"] for run in expected.values() for item in run["items"]}
    assert kinds >= {"window_closing", "refund_overdue", "received_no_refund", "return_stuck", "parcel_stuck",
                     "anomaly", "arrived", "refunded", "parser_health"}
    urgencies = {item["urgency"] for item in expected["first"]["items"]}
    assert urgencies == {"urgent", "soon", "info"}
    # no new evidence in two days: assumed anchors are fixed once, so not one deadline creeps forward
    assert expected["first"]["deadlines"] == expected["steady"]["deadlines"] == expected["later"]["deadlines"]
    assert any(row[6] == "assumed" for row in expected["later"]["deadlines"])


def _write() -> None:
    if GOLDEN.exists():
        sys.exit(f"{GOLDEN} exists: delete it first if the change in behaviour is deliberate")
    import tempfile

    from smartreturn.store.db import open_database
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(f"sqlite:///{tmp}/golden.db")
        try:
            data = run_all(db)
        finally:
            db.dispose()
    GOLDEN.write_text(json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    _write()
