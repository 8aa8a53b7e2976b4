"""The "unusual returns" history counted in SQL (store.snapshot.return_history) equals the same counts
made row by row in Python over every case, on SQLite and PostgreSQL: window edges (a case asked for
exactly 30 days before now belongs to the window before), cases without a request date (their creation
date counts), and the cut at AMOUNT_HISTORY with ties on the date (the larger amounts are kept)."""

from __future__ import annotations

import random
from bisect import bisect_right
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import insert, select

from smartreturn.rules.state_machine import OPEN_STATES
from smartreturn.snapshot import AMOUNT_HISTORY, FREQUENCY_HISTORY_WINDOWS, FREQUENCY_WINDOW
from smartreturn.store.snapshot import OPEN_CASE_STATUSES, return_history
from smartreturn.store.tables import Order, ReturnCase

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)
STATUSES = ["requested", "shipped", "received", "disputed", "refunded", "refunded", "refunded", "rejected", "cancelled",
            "exchange_delivered"]


def test_open_statuses_agree() -> None:
    """The store's open cases are the ones the rules call open (the amounts compare exactly those)."""
    assert set(OPEN_CASE_STATUSES) == {status.value for status in OPEN_STATES}


def _reference(rows: list[tuple], currencies: set[str]) -> tuple:
    """The row-by-row computation the SQL replaced (sorted times and bisect; sorted (when, amount))."""
    times = sorted(when for when, *_ in rows)
    counts = tuple(bisect_right(times, NOW - FREQUENCY_WINDOW * n) - bisect_right(times, NOW - FREQUENCY_WINDOW * (n + 1))
                   for n in range(FREQUENCY_HISTORY_WINDOWS + 1))
    closed: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    for when, status, amount, currency in rows:
        if amount is not None and currency and status not in OPEN_CASE_STATUSES and currency in currencies:
            closed[currency].append((when, float(amount)))
    amounts = {code: sorted(amount for _, amount in sorted(sample)[-AMOUNT_HISTORY:]) for code, sample in closed.items()}
    return times[0], counts, amounts


def test_counts_and_amounts_equal_the_row_by_row_reference(any_db) -> None:
    rng = random.Random(12)
    with any_db.session() as session:
        orders = [{"platform": "shop", "order_number": f"H{i}", "currency": rng.choice(["EUR", "EUR", "CNY", None]),
                   "total": rng.choice([None, Decimal("10.00"), Decimal(rng.randint(100, 9999)) / 100]),
                   "status": "delivered"} for i in range(7000)]
        session.execute(insert(Order), orders)
        ids = session.scalars(select(Order.id).order_by(Order.id)).all()
        edges = [NOW - FREQUENCY_WINDOW * n for n in range(FREQUENCY_HISTORY_WINDOWS + 2)]
        tied = NOW - timedelta(days=250)  # many closed cases asked for at the same moment: the cut falls among them
        cases = []
        for i, order_id in enumerate(ids):
            requested = (rng.choice(edges) if i % 7 == 0 else tied if i % 3 == 0
                         else NOW - timedelta(days=rng.uniform(0, 420)))
            cases.append({"order_id": order_id, "case_number": f"C{i}", "status": rng.choice(STATUSES),
                          "requested_at": None if i % 11 == 0 else requested, "created_at": requested,
                          "currency": rng.choice(["EUR", "CNY", None]),
                          "expected_refund": rng.choice([None, Decimal(rng.randint(100, 9999)) / 100])})
        session.execute(insert(ReturnCase), cases)
        session.flush()
        rows = session.execute(select(
            ReturnCase.requested_at, ReturnCase.created_at, ReturnCase.status, ReturnCase.expected_refund,
            ReturnCase.currency, Order.total, Order.currency).join(Order, ReturnCase.order_id == Order.id)).all()
        rows = [(requested or created, status, expected if expected is not None else total,
                 currency if currency is not None else order_currency)
                for requested, created, status, expected, currency, total, order_currency in rows]
        first, counts, amounts = _reference(rows, {"EUR", "CNY"})
        history = return_history(session, NOW, ["EUR", "CNY", "EUR"])
    assert history.first == first
    assert history.per_window == counts
    closed_eur = [when for when, status, amount, currency in rows
                  if status not in OPEN_CASE_STATUSES and amount is not None and currency == "EUR"]
    assert sum(when > tied for when in closed_eur) < AMOUNT_HISTORY < sum(when >= tied for when in closed_eur)  # cut among ties
    assert {code: sorted(values) for code, values in history.closed_amounts.items()} == amounts


def test_no_case_at_all(any_db) -> None:
    with any_db.session() as session:
        history = return_history(session, NOW, ["EUR"])
    assert history.first is None and history.per_window == () and history.closed_amounts == {}
