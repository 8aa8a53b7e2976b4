"""Benchmark: refresh 2,000 active shipments (SQLite) against the local fake 17TRACK within its budget.

The fake server (tests/tracking/fake_providers.py, real HTTP on 127.0.0.1) enforces 17TRACK's
3 requests/second itself and counts every request over it, so "respects the budget" is checked by
the other side. The goal: the run finishes in the time the budget allows, not more than 10 % slower.

Baseline, measured in the same run: the same number of requests paced by a fresh budget with the
same limits and nothing else to do (no HTTP, no database); also shown: the theoretical minimum,
(ceil(requests / rate) - 1) seconds.

    .venv/bin/python bench/bench_tracking_refresh.py [--shipments 2000] [--rate 3] [--no-write]
"""

from __future__ import annotations

import argparse
import math
import random
import re
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.tracking.fake_providers

from smartreturn.config import Settings  # noqa: E402
from smartreturn.store.db import open_database  # noqa: E402
from smartreturn.store.tables import ProviderUsage, Shipment, TrackingEvent  # noqa: E402
from smartreturn.tracking import carriers  # noqa: E402
from smartreturn.tracking.budget import QuotaBudget, QuotaLimits  # noqa: E402
from smartreturn.tracking.poller import JITTER_MARGIN, build_providers, poll_due_shipments  # noqa: E402
from tests.tracking.fake_providers import (  # noqa: E402
    SEVENTEEN_KEY,
    FakeProviderServer,
    seventeen_event,
    seventeen_item,
)

RESULTS = ROOT / "bench" / "RESULTS.md"
HEADING = "## Tracking refresh"
COMMAND = ".venv/bin/python bench/bench_tracking_refresh.py"


def populate(db, server, n: int, now: datetime) -> None:
    rng = random.Random(11)
    codes = [c for c in carriers.all_carriers() if c.providers.get("17track")]
    rows = []
    for i in range(n):
        carrier = codes[i % len(codes)]
        number = f"BENCH{i:08d}"
        rows.append({"carrier": carrier.code, "tracking_number": number, "status": "in_transit",
                     "created_at": now - timedelta(days=3), "shipped_at": now - timedelta(days=3)})
        roll = rng.random()
        if roll < 0.05:
            continue  # 17TRACK has no data yet
        main, sub = (("Delivered", "Delivered_Other") if roll < 0.30 else
                     ("OutForDelivery", "OutForDelivery_Other") if roll < 0.40 else ("InTransit", "InTransit_Other"))
        events = [seventeen_event((now - timedelta(hours=6 * k + 1)).isoformat(timespec="seconds"),
                                  f"scan {k}", "InTransit", "InTransit_Other", "Hub") for k in range(1, rng.randint(3, 6))]
        events.insert(0, seventeen_event((now - timedelta(hours=1)).isoformat(timespec="seconds"), main, main, sub, "Town"))
        server.state.seventeen[number] = seventeen_item(number, int(carrier.providers["17track"]), main, sub, events)
    with db.session() as session:
        session.execute(insert(Shipment), rows)


def measured_baseline(requests: int, rate: int) -> float:
    """The same number of requests, paced by an equal budget, with nothing else to do."""
    budget = QuotaBudget("baseline", QuotaLimits(per_second=rate), margin=JITTER_MARGIN)
    start = time.perf_counter()
    for _ in range(requests):
        while not budget.try_acquire():
            time.sleep(max(budget.wait_time(), 0.001))
    return time.perf_counter() - start


def write_results(row: str) -> None:
    section = (f"{HEADING}\n\nCommand: `{COMMAND}`\n\n"
               "| run | shipments | requests | elapsed | baseline: same requests paced by the budget alone "
               "(theoretical minimum) | ratio | requests over 3/s seen by the server | goal |\n"
               "|---|---|---|---|---|---|---|---|\n" + row + "\n")
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1).rstrip("\n") + "\n"
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipments", type=int, default=2000)
    parser.add_argument("--rate", type=int, default=3, help="requests per second (17TRACK: 3)")
    parser.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    args = parser.parse_args()

    now = datetime.now(timezone.utc)
    with tempfile.TemporaryDirectory() as tmp, FakeProviderServer() as server:
        server.state.rate_per_second["17track"] = args.rate
        db = open_database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        populate(db, server, args.shipments, now)
        settings = Settings.model_validate({"tracking": {
            "providers": ["17track"],
            "seventeen_track": {"api_key": SEVENTEEN_KEY, "base_url": server.url("17track"),
                                "per_second": args.rate, "per_hour": 10_000, "per_month": args.shipments},
        }})
        providers = build_providers(settings)
        start = time.perf_counter()
        report = poll_due_shipments(db, settings, now, providers)
        elapsed = time.perf_counter() - start
        for provider in providers.values():
            provider.close()

        requests = dict(report.requests).get("17track", 0)
        with db.session() as session:
            events = session.scalar(select(func.count()).select_from(TrackingEvent))
            delivered = session.scalar(select(func.count()).select_from(Shipment).where(Shipment.status == "delivered"))
            quota_used = session.scalar(select(ProviderUsage.count).where(
                ProviderUsage.provider == "17track:quota", ProviderUsage.period == now.strftime("%Y-%m")))
        db.dispose()
        violations = server.state.violations.get("17track", 0)
        theoretical = max(0, math.ceil(requests / args.rate) - 1)
        baseline = measured_baseline(requests, args.rate)

    ratio = elapsed / baseline if baseline else float("inf")
    ok = ratio <= 1.10 and violations == 0 and report.polled == args.shipments and report.problems == ()
    print(f"shipments {args.shipments}: polled {report.polled}, registered {report.registered}, "
          f"delivered {delivered} (stopped {report.stopped}), events {events}, problems {len(report.problems)}")
    print(f"requests {requests} (register + gettrackinfo + stoptrack, 40 numbers each); "
          f"registration quota used {quota_used}/{args.shipments}; requests over {args.rate}/s seen by the server: {violations}")
    print(f"elapsed {elapsed:.2f} s; baseline (budget pacing alone, measured) {baseline:.2f} s; "
          f"theoretical minimum {theoretical} s; ratio {ratio:.3f} -> {'OK' if ok else 'FAIL'} (goal <= 1.10)")
    if not args.no_write:
        row = (f"| {now:%Y-%m-%d} | {args.shipments:,} active (17TRACK, {args.rate} req/s) | {requests} | "
               f"{elapsed:.2f} s | {baseline:.2f} s ({theoretical} s) | {ratio:.3f} | {violations} | "
               f"≤ 1.10 × baseline, 0 over budget {'✅' if ok else '❌'} |")
        write_results(row)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
