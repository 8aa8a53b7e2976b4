"""Benchmark: build_agenda() with 10,000 open return cases in SQLite.

Store: 40,000 orders over two years (the open cases' orders in the last two months), 10,000 open
cases with a return parcel each, 20,000 refunded cases as merchant history. Two runs: the first
inserts every Deadline row, the second only compares (the daemon's steady state).

Baseline, measured in the same run on the same file: a raw sqlite3 scan that reads the rows the
agenda must at least touch (recent orders, open cases, parcels, refund history) once.

    .venv/bin/python bench/bench_agenda.py [--open 10000] [--history 20000] [--orders 40000]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert

from smartreturn.config import Settings
from smartreturn.apply.agenda import build_agenda
from smartreturn.store.db import open_database
from smartreturn.store.tables import Merchant, Order, ReturnCase, Shipment

NOW = datetime(2026, 11, 25, 8, tzinfo=timezone.utc)


def build(path: Path, n_open: int, n_history: int, n_orders: int) -> None:
    db = open_database(f"sqlite:///{path}")
    rng = random.Random(3)
    with db.session() as s:
        s.execute(insert(Merchant), [{"platform": "shop", "name": f"m{i}"} for i in range(100)])
        orders = []
        for i in range(n_orders):
            ordered = NOW - timedelta(days=rng.randint(1, 60) if i < n_open else rng.randint(1, 700))
            orders.append({
                "platform": rng.choice(["amazon", "taobao", "otto"]), "order_number": f"O{i}", "merchant_id": 1 + i % 100,
                "order_date": ordered, "delivered_at": min(NOW, ordered + timedelta(days=rng.randint(1, 6))),
                "total": Decimal(rng.randint(500, 50000)) / 100, "currency": "EUR", "region": "de", "status": "delivered"})
        s.execute(insert(Order), orders)
        cases = [{"order_id": i + 1, "case_number": "", "status": rng.choice(["requested", "shipped", "received"]),
                  "currency": "EUR", "expected_refund": Decimal("49.90"),
                  "requested_at": NOW - timedelta(days=rng.randint(1, 30)),
                  "shipped_at": NOW - timedelta(days=rng.randint(1, 20)),
                  "received_at": NOW - timedelta(days=rng.randint(1, 20)) if rng.random() < .5 else None}
                 for i in range(n_open)]
        for i in range(n_history):
            received = NOW - timedelta(days=rng.randint(30, 400))
            cases.append({"order_id": n_open + i + 1, "case_number": "", "status": "refunded", "currency": "EUR",
                          "expected_refund": Decimal("30"), "requested_at": received - timedelta(days=5),
                          "received_at": received, "refunded_at": received + timedelta(days=rng.randint(1, 30))})
        s.execute(insert(ReturnCase), cases)
        s.execute(insert(Shipment), [{
            "carrier": "dhl", "tracking_number": f"T{i}", "direction": "return", "order_id": i + 1,
            "return_case_id": i + 1, "status": "in_transit",
            "last_event_at": NOW - timedelta(days=rng.randint(0, 10))} for i in range(n_open)])
    db.dispose()


def baseline(path: Path) -> float:
    start = time.perf_counter()
    con = sqlite3.connect(path)
    since = (NOW - timedelta(days=180)).replace(tzinfo=None).isoformat(" ")
    for query, args in (("SELECT * FROM orders WHERE order_date >= ? OR order_date IS NULL", (since,)),
                        ("SELECT * FROM return_cases", ()), ("SELECT * FROM shipments", ()),
                        ("SELECT * FROM items", ()), ("SELECT * FROM deadlines", ())):
        for _ in con.execute(query, args):
            pass
    con.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--history", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=40_000)
    args = parser.parse_args()
    settings = Settings.model_validate({"general": {"timezone": "Europe/Berlin"}})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        build(path, args.open, args.history, max(args.orders, args.open + args.history))
        db = open_database(f"sqlite:///{path}")
        for label in ("first run (inserts deadlines)", "steady state"):
            with db.session() as session:
                start = time.perf_counter()
                agenda = build_agenda(session, NOW, settings)
                elapsed = time.perf_counter() - start
            print(f"{label}: {elapsed:.2f} s, {len(agenda.items)} items")
        db.dispose()
        print(f"baseline raw sqlite3 scan: {baseline(path):.2f} s")


if __name__ == "__main__":
    main()
