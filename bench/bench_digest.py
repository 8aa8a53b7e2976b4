"""Benchmark: render the digest (HTML + text) for 10,000 open cases (goal: under 1 s).

Baseline, measured in the same run: the same items formatted with plain f-strings and html.escape
(no template engine), i.e. the floor any renderer needs to touch every item.

    .venv/bin/python bench/bench_digest.py [--items 10000]
"""

from __future__ import annotations

import argparse
import html
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from smartreturn.model import Money
from smartreturn.notify.digest import MAX_ITEMS_PER_SECTION, render_digest
from smartreturn.rules.agenda import Agenda, AgendaItem, AgendaKind, Urgency

KINDS = [(AgendaKind.WINDOW_CLOSING, Urgency.URGENT), (AgendaKind.REFUND_OVERDUE, Urgency.URGENT),
         (AgendaKind.RETURN_STUCK, Urgency.SOON), (AgendaKind.ARRIVED, Urgency.INFO)]


def agenda(n: int) -> Agenda:
    today = date(2026, 11, 25)
    items = tuple(AgendaItem(
        key=f"k{i}", kind=KINDS[i % 4][0], urgency=KINDS[i % 4][1], title=f"Return window closes for order {i}",
        detail=f"Delivered on {today - timedelta(days=i % 30)} <by courier>", platform="amazon", merchant=f"Shop {i % 97}",
        order_number=f"302-{i:07d}-0000000", item_names=(f"Item {i} & accessories",), due_on=today + timedelta(days=i % 5),
        days_left=i % 5, amount=Money(Decimal("19.99"), "EUR"), priority=float(i % 13)) for i in range(n))
    return Agenda(generated_at=datetime(2026, 11, 25, 8, tzinfo=timezone.utc), items=items,
                  money_outstanding=(Money(Decimal("1999.00"), "EUR"),))


def baseline(a: Agenda) -> int:
    parts = [f"<tr><td>{i.due_on}</td><td><strong>{html.escape(i.title)}</strong><br>{html.escape(i.detail)}"
             f"<br><small>{html.escape(', '.join(i.item_names))}</small></td></tr>" for i in a.items]
    text = [f"- {i.title} [{i.due_on}]\n  {i.detail}\n  {', '.join(i.item_names)}" for i in a.items]
    return len("".join(parts)) + len("\n".join(text))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args()
    a = agenda(args.items)
    render_digest(agenda(10), local_date=date(2026, 11, 25))  # template compilation, once per process
    t0 = time.perf_counter()
    size = baseline(a)
    floor = time.perf_counter() - t0
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        digest = render_digest(a, local_date=date(2026, 11, 25))
        runs.append(time.perf_counter() - t0)
    best = min(runs)
    t0 = time.perf_counter()
    everything = render_digest(a, local_date=date(2026, 11, 25), limit=None)
    full = time.perf_counter() - t0
    print(f"digest listing all {args.items:,} items (no per-section cap): {full:.3f} s, "
          f"HTML {len(everything.html) / 1e6:.1f} MB")
    print(f"digest for {args.items:,} open items (shown: {MAX_ITEMS_PER_SECTION} per section): best {best:.3f} s of 3 (goal < 1 s), HTML {len(digest.html) / 1e6:.1f} MB + "
          f"text {len(digest.text) / 1e6:.1f} MB; baseline f-strings + html.escape: {floor:.3f} s "
          f"({size / 1e6:.1f} MB); ratio {best / floor:.1f}x")


if __name__ == "__main__":
    main()
