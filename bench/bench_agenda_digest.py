"""Benchmark: the daily digest end to end for 10,000 open cases: what notify.jobs.send_digest() does
before sending, i.e. build_agenda() + parcels_on_the_way() + render_digest().

Goal (issue 6): under 1 s in the steady state (deadlines already stored: the daemon's daily run).
Store: the one of bench_agenda.py (40,000 orders, 10,000 open cases with a return parcel each,
20,000 refunded cases as merchant history) in a SQLite file. The first run inserts every Deadline
row; the steady state is the best of three later runs, each in its own session.

Baseline, measured in the same run on the same file: bench_agenda.baseline(), a raw sqlite3 scan of
the rows the agenda must at least touch (recent orders, cases, parcels, items, deadlines), once.

    .venv/bin/python bench/bench_agenda_digest.py [--open 10000] [--history 20000] [--orders 40000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_agenda import NOW, baseline, build  # noqa: E402

from smartreturn.config import Settings  # noqa: E402
from smartreturn.notify.digest import render_digest  # noqa: E402
from smartreturn.apply.agenda import build_agenda  # noqa: E402
from smartreturn.store.db import open_database  # noqa: E402
from smartreturn.tracking.prediction import parcels_on_the_way  # noqa: E402

STEADY_RUNS = 3


def run_once(db, settings: Settings) -> tuple[float, float, int, int]:
    """(seconds for build_agenda, seconds for the digest: parcels on the way + render_digest, items,
    HTML bytes) of one daily run."""
    tz = settings.general.tz
    with db.session() as session:
        start = time.perf_counter()
        agenda = build_agenda(session, NOW, settings)
        built = time.perf_counter()
        travelling = parcels_on_the_way(session, NOW, tz)
        digest = render_digest(agenda, local_date=NOW.astimezone(tz).date(), on_the_way=travelling)
        done = time.perf_counter()
    return built - start, done - built, len(agenda.items), len(digest.html)


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
        try:
            agenda_s, render_s, items, size = run_once(db, settings)
            print(f"first run (inserts deadlines): {agenda_s + render_s:.3f} s "
                  f"(build_agenda {agenda_s:.3f} + digest {render_s:.3f}), {items:,} items")
            steady = [run_once(db, settings) for _ in range(STEADY_RUNS)]
        finally:
            db.dispose()
        floor = baseline(path)
    best = min(steady, key=lambda run: run[0] + run[1])
    total = best[0] + best[1]
    print(f"steady state, best of {STEADY_RUNS}: {total:.3f} s (build_agenda {best[0]:.3f} + digest "
          f"{best[1]:.3f}), {best[2]:,} items, HTML {best[3] / 1e6:.2f} MB; goal < 1 s: "
          f"{'met' if total < 1 else 'NOT met'}")
    print(f"all steady runs: {', '.join(f'{a + r:.3f}' for a, r, _, _ in steady)} s")
    print(f"baseline raw sqlite3 scan of the same rows: {floor:.3f} s; ratio {total / floor:.1f}x")


if __name__ == "__main__":
    main()
