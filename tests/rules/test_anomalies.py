"""Anomalies on a small real SQLite store."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from smartreturn.model import Money
from smartreturn.rules.anomalies import (
    AnomalyKind,
    late_merchants,
    merchant_history,
    received_no_refund,
    refund_overdue,
    robust_z,
    stuck_parcels,
    unusual_returns,
)
from smartreturn.apply.agenda import recompute_deadlines
from smartreturn.rules.deadlines import RuleContext
from smartreturn.rules.policies import load_rules
from tests.rules import rows
from tests.rules.rows import utc
from smartreturn.apply.agenda import refresh_deadlines
from smartreturn.store.snapshot import load_snapshot


def snap(session, now):
    """The snapshot the rules see at ``now``, with its deadlines recomputed (as the agenda does)."""
    return refresh_deadlines(session, load_snapshot(session, now), now, CTX)[0]

BERLIN = ZoneInfo("Europe/Berlin")
CTX = RuleContext(load_rules(), BERLIN)
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)


def test_refund_overdue_from_the_day_after_the_deadline(sqlite_db) -> None:
    with sqlite_db.session() as session:
        order = rows.order(session)
        late = rows.case(session, order, status="received", received=utc(2026, 11, 5, 12), expected="89.90")
        on_time = rows.case(session, rows.order(session), status="received", received=utc(2026, 11, 11, 12))  # due 25th
        refunded = rows.case(session, rows.order(session), status="refunded", received=utc(2026, 11, 1, 12),
                             refunded=utc(2026, 11, 24, 12))
        recompute_deadlines(session, NOW, CTX)
        found = refund_overdue(snap(session, NOW), NOW, CTX)
        assert [(a.return_case_id, a.days, a.amount) for a in found] == [(late.id, 6, Money(Decimal("89.90"), "EUR"))]
        assert found[0].key == f"refund_overdue:case:{late.id}:2026-11-19"
        assert on_time.id not in {a.return_case_id for a in found} and refunded.id not in {a.return_case_id for a in found}
        # on the deadline day itself it is not overdue; the next day it is
        assert refund_overdue(snap(session, utc(2026, 11, 25, 22, 59)), utc(2026, 11, 25, 22, 59), CTX)[-1].return_case_id == late.id
        assert on_time.id in {a.return_case_id for a in refund_overdue(snap(session, utc(2026, 11, 25, 23, 0)), utc(2026, 11, 25, 23, 0), CTX)}


def test_partial_refund_leaves_the_rest_outstanding(sqlite_db) -> None:
    with sqlite_db.session() as session:
        case = rows.case(session, rows.order(session), status="received", received=utc(2026, 11, 1, 12),
                         expected="100.00", refunded_amount="30.00")
        recompute_deadlines(session, NOW, CTX)
        assert refund_overdue(snap(session, NOW), NOW, CTX)[0].amount == Money(Decimal("70.00"), "EUR")
        assert case.id == refund_overdue(snap(session, NOW), NOW, CTX)[0].return_case_id


def test_delivered_to_the_merchant_but_no_refund(sqlite_db) -> None:
    with sqlite_db.session() as session:
        # the case still says "shipped", but the carrier delivered the return parcel four days ago
        waiting = rows.case(session, rows.order(session), status="shipped", shipped=utc(2026, 11, 18, 9))
        rows.parcel(session, for_case=waiting, direction="return", status="delivered", delivered=utc(2026, 11, 21, 9))
        fresh = rows.case(session, rows.order(session), status="received", received=utc(2026, 11, 24, 9))
        exchange = rows.case(session, rows.order(session), kind="exchange", status="received", received=utc(2026, 11, 1, 9))
        recompute_deadlines(session, NOW, CTX)
        found = received_no_refund(snap(session, NOW), NOW, CTX, min_days=3)
        assert [(a.return_case_id, a.days) for a in found] == [(waiting.id, 4)]
        assert "return parcel was delivered" in found[0].detail
        assert {fresh.id, exchange.id}.isdisjoint(a.return_case_id for a in found)


def test_stuck_parcels(sqlite_db) -> None:
    with sqlite_db.session() as session:
        open_case = rows.case(session, rows.order(session), status="shipped")
        closed_case = rows.case(session, rows.order(session), status="refunded")
        stuck_return = rows.parcel(session, for_case=open_case, direction="return", last_event=utc(2026, 11, 15, 10))
        rows.parcel(session, for_case=closed_case, direction="return", last_event=utc(2026, 11, 1, 10))
        moving = rows.parcel(session, of=rows.order(session), last_event=utc(2026, 11, 21, 10))  # 4 days: fine
        flagged = rows.parcel(session, of=rows.order(session), last_event=utc(2026, 11, 24, 10), stuck=True)
        at_locker = rows.parcel(session, of=rows.order(session), status="pickup_ready", last_event=utc(2026, 11, 18, 10))
        rows.parcel(session, of=rows.order(session), status="delivered", last_event=utc(2026, 10, 1, 10))
        rows.parcel(session, of=rows.order(session), status="info_received", last_event=utc(2026, 10, 1, 10))
        found = {a.shipment_id: a for a in stuck_parcels(snap(session, NOW), NOW, {"default": 5})}
        assert set(found) == {stuck_return.id, flagged.id, at_locker.id}
        assert found[at_locker.id].title.endswith("waiting for pickup for 6 days")  # 6 days 22 hours
        assert found[stuck_return.id].title.endswith("not moving for 9 days")
        assert (found[stuck_return.id].kind, found[stuck_return.id].days) == (AnomalyKind.RETURN_STUCK, 9)
        assert found[stuck_return.id].key == f"return_stuck:shipment:{stuck_return.id}:2026-11-15"
        assert found[flagged.id].kind is AnomalyKind.PARCEL_STUCK
        # a slower carrier gets more days
        assert moving.id in {a.shipment_id for a in stuck_parcels(snap(session, NOW), NOW, {"default": 3})}
        assert stuck_return.id not in {a.shipment_id for a in stuck_parcels(snap(session, NOW), NOW, {"default": 5, "dhl": 10})}


def test_merchant_whose_refunds_are_usually_late(sqlite_db) -> None:
    with sqlite_db.session() as session:
        slow = rows.merchant(session, "Slow GmbH")
        fine = rows.merchant(session, "Quick AG")
        # EU: refund due 14 days after the merchant received the return
        for received, refunded in ((utc(2026, 9, 1, 12), utc(2026, 9, 25, 12)),    # late
                                   (utc(2026, 9, 10, 12), utc(2026, 10, 10, 12)),  # late
                                   (utc(2026, 10, 1, 12), utc(2026, 10, 8, 12))):  # on time
            rows.case(session, rows.order(session, shop=slow), status="refunded", received=received, refunded=refunded)
            rows.case(session, rows.order(session, shop=fine), status="refunded", received=received,
                      refunded=received + timedelta(days=2))
        slow_open = rows.case(session, rows.order(session, shop=slow), status="shipped", shipped=utc(2026, 11, 20, 12))
        rows.case(session, rows.order(session, shop=fine), status="shipped", shipped=utc(2026, 11, 20, 12))
        history = merchant_history(snap(session, NOW), NOW, CTX)
        assert (history[slow.id].late, history[slow.id].refunds) == (2, 3)
        assert (history[fine.id].late, history[fine.id].refunds) == (0, 3)
        found = late_merchants(snap(session, NOW), NOW, CTX, history)
        assert [(a.merchant_id, a.return_case_id, a.key) for a in found] == [
            (slow.id, slow_open.id, f"anomaly:merchant_late:merchant:{slow.id}")]
        assert "2 of 3" in found[0].detail


def test_merchant_history_follows_every_change_of_the_refunds(sqlite_db) -> None:
    """The previous answer is reused only for the very same refunds and day: a refund that moves, a new one,
    or another day count again (the same rule set, as in a long-running daemon)."""
    with sqlite_db.session() as session:
        shop = rows.merchant(session, "Memo GmbH")
        first = rows.case(session, rows.order(session, shop=shop), status="refunded", received=utc(2026, 9, 1, 12),
                          refunded=utc(2026, 9, 3, 12))
        assert merchant_history(snap(session, NOW), NOW, CTX)[shop.id] == merchant_history(snap(session, NOW), NOW, CTX)[shop.id]
        assert (merchant_history(snap(session, NOW), NOW, CTX)[shop.id].late,) == (0,)
        first.refunded_at = utc(2026, 9, 30, 12)  # the same row, now late
        session.flush()
        assert merchant_history(snap(session, NOW), NOW, CTX)[shop.id].late == 1
        rows.case(session, rows.order(session, shop=shop), status="refunded", received=utc(2026, 10, 1, 12),
                  refunded=utc(2026, 10, 2, 12))
        record = merchant_history(snap(session, NOW), NOW, CTX)[shop.id]
        assert (record.late, record.refunds) == (1, 2)
        later = NOW + timedelta(days=800)  # both refunds older than the two years looked at
        assert shop.id not in merchant_history(snap(session, later), later, CTX)


@pytest.mark.parametrize(("value", "expected"), [(10.0, None), (31.0, None), (900.0, "high")])
def test_robust_z(value: float, expected: str | None) -> None:
    sample = [25.0, 30.0, 35.0, 28.0, 32.0, 30.0]
    z = robust_z(value, sample)
    assert (z is not None and z > 3.5) == (expected == "high")


def test_robust_z_without_spread() -> None:
    assert robust_z(5, [1, 1, 1, 1]) is None
    assert robust_z(9, [1, 1, 1, 2, 1]) > 3.5  # MAD is 0, the mean absolute deviation stands in


def test_unusual_amount_and_frequency(sqlite_db) -> None:
    with sqlite_db.session() as session:
        # one return a month for a year, about 30 EUR each
        for month in range(12):
            when = NOW - timedelta(days=45 + 30 * month)
            rows.case(session, rows.order(session), status="refunded", requested=when, expected=str(28 + month % 5))
        normal = rows.case(session, rows.order(session), status="requested", requested=NOW - timedelta(days=2), expected="31.00")
        found = unusual_returns(snap(session, NOW), NOW, CTX, min_history=5)
        assert found == []
        big = rows.case(session, rows.order(session), status="requested", requested=NOW - timedelta(days=1), expected="900.00")
        for day in range(4):  # six returns within the last 30 days
            rows.case(session, rows.order(session), status="refunded", requested=NOW - timedelta(days=3 + day), expected="30")
        found = {a.kind: a for a in unusual_returns(snap(session, NOW), NOW, CTX, min_history=5)}
        assert set(found) == {AnomalyKind.UNUSUAL_AMOUNT, AnomalyKind.UNUSUAL_FREQUENCY}
        assert found[AnomalyKind.UNUSUAL_AMOUNT].return_case_id == big.id
        assert found[AnomalyKind.UNUSUAL_FREQUENCY].key == "anomaly:unusual_frequency:2026-W48"
        assert found[AnomalyKind.UNUSUAL_FREQUENCY].title.startswith("6 returns")
        assert normal.id != found[AnomalyKind.UNUSUAL_AMOUNT].return_case_id


def test_too_little_history_judges_nothing(sqlite_db) -> None:
    with sqlite_db.session() as session:
        for day in range(3):
            rows.case(session, rows.order(session), status="refunded", requested=NOW - timedelta(days=40 + day), expected="20")
        rows.case(session, rows.order(session), status="requested", requested=NOW, expected="5000")
        assert unusual_returns(snap(session, NOW), NOW, CTX, min_history=5) == []
