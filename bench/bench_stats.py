"""Benchmark: `stats` over 100,000 orders and 20,000 returns in SQLite (goal: under 2 s).

Baseline, measured in the same run on the same file: a raw sqlite3 scan that reads every order and
return row once (the data the report must at least touch), with no aggregation in Python.

    .venv/bin/python bench/bench_stats.py [--orders 100000] [--returns 20000]
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

from smartreturn.stats.report import compute_stats
from smartreturn.store.db import open_database
from smartreturn.store.tables import Merchant, Order, ReturnCase

REASONS = ["size_fit", "defective", "not_as_described", "wrong_item", "missing_parts", "arrived_late",
           "changed_mind", "better_price", "quality", "other"]


def build(path: Path, n_orders: int, n_returns: int) -> None:
    db = open_database(f"sqlite:///{path}")
    rng = random.Random(7)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    with db.session() as s:
        s.execute(insert(Merchant), [{"platform": p, "name": f"{p}-shop-{i}"} for i in range(50) for p in ("amazon", "jd")])
        s.execute(insert(Order), [{
            "platform": "amazon" if i % 2 else "jd", "order_number": f"O{i}", "merchant_id": 1 + i % 100,
            "order_date": start + timedelta(minutes=7 * i), "total": Decimal(rng.randint(500, 50000)) / 100,
            "currency": "EUR" if i % 2 else "CNY", "status": "delivered"} for i in range(n_orders)])
        rows = []
        for i in range(n_returns):
            order = rng.randrange(n_orders)
            requested = start + timedelta(minutes=7 * order, days=rng.randint(2, 20))
            refunded = requested + timedelta(days=rng.randint(3, 30)) if rng.random() < 0.8 else None
            rows.append({"order_id": order + 1, "case_number": f"C{i}", "reason_category": rng.choice(REASONS),
                         "currency": "EUR" if order % 2 else "CNY", "expected_refund": Decimal("49.90"),
                         "refunded_amount": Decimal("49.90") if refunded else None, "requested_at": requested,
                         "received_at": requested + timedelta(days=2), "refunded_at": refunded,
                         "closed_at": refunded, "status": "refunded" if refunded else "shipped",
                         "return_shipping_cost": Decimal("4.99") if rng.random() < 0.3 else None})
        s.execute(insert(ReturnCase), rows)
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--returns", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        build(path, args.orders, args.returns)
        raw = sqlite3.connect(path)
        t0 = time.perf_counter()
        n = sum(1 for _ in raw.execute("SELECT id, platform, merchant_id, order_date, total, currency FROM orders"))
        n += sum(1 for _ in raw.execute("SELECT * FROM return_cases"))
        floor = time.perf_counter() - t0
        raw.close()
        db = open_database(f"sqlite:///{path}")
        timings = []
        for _ in range(3):
            t0 = time.perf_counter()
            with db.session() as s:
                stats = compute_stats(s)
            timings.append(time.perf_counter() - t0)
        db.dispose()
    best = min(timings)
    print(f"stats over {args.orders:,} orders / {args.returns:,} returns: best {best:.3f} s of {len(timings)} "
          f"(goal < 2 s); baseline raw scan of the same {n:,} rows: {floor:.3f} s; ratio {best / floor:.1f}x; "
          f"{len(stats.merchants)} merchants, {len(stats.months)} months")


if __name__ == "__main__":
    main()
