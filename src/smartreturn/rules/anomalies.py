"""Anomalies: things that went wrong or look odd, found in a snapshot (pure functions of it and ``now``).

- refund overdue: the refund deadline (Deadline row) has passed and no refund came
- delivered to the merchant but no refund (yet within the deadline) for some days
- a parcel that does not move: Shipment.stuck, or no tracking event for N days
- a merchant whose refunds are usually late (the user's own history)
- unusual return frequency or amount: median/MAD over the user's own history (robust z-score)
"""

from __future__ import annotations

import logging
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

from smartreturn.model import Direction, Money, ShipmentStatus
from smartreturn.rules import state_machine
from smartreturn.rules.deadlines import RuleContext, merchant_received_at
from smartreturn.rules.policies import DeadlineKind, Subject
from smartreturn.rules.return_window import Facts, days_left, local_date, refund_due
from smartreturn.snapshot import (  # noqa: F401 (AMOUNT_HISTORY: re-exported)
    AMOUNT_HISTORY,
    FREQUENCY_HISTORY_WINDOWS,
    FREQUENCY_WINDOW,
    CaseRow,
    OrderRow,
    Snapshot,
)

log = logging.getLogger(__name__)

MERCHANT_LATE_MIN_CASES = 3
MERCHANT_LATE_SHARE = 0.5
ROBUST_Z = 3.5                  # Iglewicz & Hoaglin's cut-off for the modified z-score
MERCHANT_HISTORY_FOR = timedelta(days=730)
MOVING = frozenset({ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY, ShipmentStatus.FAILED_ATTEMPT,
                    ShipmentStatus.EXCEPTION, ShipmentStatus.RETURNING, ShipmentStatus.PICKUP_READY})

_STATUS = {status.value: status for status in ShipmentStatus}
_REFUND_DUE = DeadlineKind.REFUND_DUE.value


class AnomalyKind(StrEnum):
    REFUND_OVERDUE = "refund_overdue"
    REFUND_SHORT = "refund_short"                  # less came back than was paid for the returned items
    REFUND_LESS_THAN_EXPECTED = "refund_less_than_expected"  # less than the amount the shop stated
    RECEIVED_NO_REFUND = "received_no_refund"
    RETURN_STUCK = "return_stuck"
    PARCEL_STUCK = "parcel_stuck"
    MERCHANT_LATE = "merchant_late"
    UNUSUAL_FREQUENCY = "unusual_frequency"
    UNUSUAL_AMOUNT = "unusual_amount"


@dataclass(frozen=True, slots=True)
class Anomaly:
    kind: AnomalyKind
    key: str                      # stable across runs while the situation is the same
    title: str
    detail: str = ""
    order_id: int | None = None
    return_case_id: int | None = None
    shipment_id: int | None = None
    merchant_id: int | None = None
    due_on: date | None = None
    days: int | None = None       # days overdue / without movement / since the merchant got it
    amount: Money | None = None
    z: float | None = None        # robust z-score for the "unusual" kinds


@dataclass(frozen=True, slots=True)
class MerchantRecord:
    late: int = 0
    refunds: int = 0              # refunds whose lateness could be judged

    @property
    def late_share(self) -> float:
        return self.late / self.refunds if self.refunds else 0.0


@dataclass(frozen=True, slots=True)
class RobustScale:
    """Median and spread of a sample, for modified z-scores (Iglewicz & Hoaglin)."""

    median: float
    mad: float       # median absolute deviation
    meanad: float    # mean absolute deviation from the median, the stand-in when MAD = 0

    @classmethod
    def of(cls, sample: Sequence[float]) -> "RobustScale | None":
        if len(sample) < 2:
            return None
        median = statistics.median(sample)
        deviations = [abs(x - median) for x in sample]
        return cls(median, statistics.median(deviations), statistics.fmean(deviations))

    def z(self, value: float) -> float | None:
        if self.mad > 0:
            return 0.6745 * (value - self.median) / self.mad
        if self.meanad > 0:
            return (value - self.median) / (1.253314 * self.meanad)
        return None  # no spread at all


def robust_z(value: float, sample: Sequence[float]) -> float | None:
    """Modified z-score of ``value`` against ``sample`` (0.6745·(x − median)/MAD); None if too few.

    When more than half the sample is equal (MAD = 0), the mean absolute deviation stands in
    (×1.253314, as in Iglewicz & Hoaglin); a sample without any spread gives None."""
    scale = RobustScale.of(sample)
    return None if scale is None else scale.z(value)


def case_amount(case: CaseRow, order: OrderRow) -> Money | None:
    currency = case.currency or order.currency
    amount = case.expected_refund if case.expected_refund is not None else order.total
    if amount is None or not currency:
        return None
    if case.refunded_amount and case.refunded_amount < amount:
        amount -= case.refunded_amount  # a partial refund came: the rest is outstanding
    return Money(amount, currency)


def refund_overdue(snap: Snapshot, now: datetime, ctx: RuleContext) -> list[Anomaly]:
    """Open cases waiting for money whose refund_due deadline (in the snapshot) has passed."""
    cases = {case.id: case for case in snap.waiting_for_refund()}
    found: list[Anomaly] = []
    if not cases:
        return found
    today = local_date(now, ctx.tz)
    rows = sorted((d for d in snap.deadlines.values() if d.kind == _REFUND_DUE
                   and d.return_case_id in cases and d.due_on < today), key=lambda d: d.return_case_id)
    for deadline in rows:
        case = cases[deadline.return_case_id]  # type: ignore[index]
        due_on = deadline.due_on
        late = -days_left(due_on, now, ctx.tz)
        order = snap.orders[case.order_id]
        assumed = " (assumed: the merchant's receipt is estimated)" if deadline.confidence == "assumed" else ""
        found.append(Anomaly(
            AnomalyKind.REFUND_OVERDUE, f"refund_overdue:case:{case.id}:{due_on.isoformat()}",
            f"Ask for the refund — due {due_on.day} {due_on:%b}, {late} day{'s' if late != 1 else ''} late",
            f"refund was due on {due_on.isoformat()} by rule {deadline.rule_id}{assumed}",
            order_id=case.order_id, return_case_id=case.id, merchant_id=order.merchant_id,
            due_on=due_on, days=late, amount=case_amount(case, order)))
    return found


def received_no_refund(snap: Snapshot, now: datetime, ctx: RuleContext, min_days: int = 3,
                       overdue: set[int] | None = None) -> list[Anomaly]:
    """The merchant has had the return for ``min_days`` or more and no refund came (not yet overdue:
    those are in :func:`refund_overdue`)."""
    if overdue is None:
        overdue = {a.return_case_id for a in refund_overdue(snap, now, ctx)}  # type: ignore[misc]
    found = []
    today = local_date(now, ctx.tz)
    for case in snap.waiting_for_refund():
        if case.id in overdue:
            continue
        order = snap.orders[case.order_id]
        received = merchant_received_at(case, snap.shipments_of(order.id))
        if received is None:
            continue
        received_on = local_date(received, ctx.tz)
        since = (today - received_on).days
        if since < min_days:
            continue
        how = "confirmed by the merchant" if case.received_at else "the return parcel was delivered"
        found.append(Anomaly(
            AnomalyKind.RECEIVED_NO_REFUND, f"received_no_refund:case:{case.id}",
            f"Merchant has had the return for {since} days, no refund yet",
            f"received {received_on.isoformat()} ({how})",
            order_id=case.order_id, return_case_id=case.id, merchant_id=order.merchant_id,
            days=since, amount=case_amount(case, order)))
    return found


@lru_cache(maxsize=1024)
def short_date(day: date) -> str:
    """'Fri 18 Dec' (English; the digest words it in its own language)."""
    return f"{day:%a} {day.day} {day:%b}"


def short_refunds(snap: Snapshot) -> list[Anomaly]:
    """Refunds of the last weeks that paid back less than expected: less than the amount the shop stated
    ("refund less than expected"), or less than the returned items cost ("refund short by X")."""
    found = []
    for case in snap.refunded_recently:
        order = snap.orders.get(case.order_id)
        currency = case.currency or (order.currency if order else None)
        if case.refunded_amount is None or not currency or order is None:
            continue
        expected = case.expected_refund if case.expected_refund is not None else order.total
        if expected is None or case.refunded_amount >= expected:
            continue
        gap = expected - case.refunded_amount
        if case.expected_source == "stated":
            kind, title = (AnomalyKind.REFUND_LESS_THAN_EXPECTED,
                           f"Refund less than expected: {case.refunded_amount} of {expected} {currency}")
        else:
            kind, title = AnomalyKind.REFUND_SHORT, f"Refund short by {gap} {currency}"
        found.append(Anomaly(
            kind, f"{kind.value}:case:{case.id}", title,
            f"refunded {case.refunded_amount} {currency}, expected {expected} {currency}",
            order_id=case.order_id, return_case_id=case.id, merchant_id=order.merchant_id,
            amount=Money(gap, currency)))
    return found


def stuck_parcels(snap: Snapshot, now: datetime, stuck_days: Mapping[str, int] | None = None,
                  archive_after: timedelta = timedelta(days=60)) -> list[Anomaly]:
    """Parcels on their way that have not moved for ``stuck_days[carrier]`` (else ``["default"]``) days,
    or that the tracking code marked as stuck. Return parcels of closed cases are left out."""
    stuck_days = stuck_days or {"default": 5}
    open_case_ids = {case.id for case in snap.open_cases}
    found = []
    for shipment in snap.active_shipments:
        status = _STATUS.get(shipment.status) or ShipmentStatus(shipment.status)
        if shipment.return_case_id is not None and shipment.return_case_id not in open_case_ids:
            continue
        last = shipment.last_event_at or shipment.shipped_at
        if last is not None and now - last > archive_after:
            continue  # older than the tracking horizon: archived, not stuck
        limit = stuck_days.get(shipment.carrier, stuck_days.get("default", 5))
        idle = (now - last).days if last else None
        if not (shipment.stuck or (status in MOVING and idle is not None and idle >= limit)):
            continue
        is_return = shipment.direction == Direction.RETURN.value
        kind = AnomalyKind.RETURN_STUCK if is_return else AnomalyKind.PARCEL_STUCK
        since = last.date().isoformat() if last else "never"
        what = "Return parcel" if is_return else "Parcel"
        state = "waiting for pickup" if status is ShipmentStatus.PICKUP_READY else "not moving"
        found.append(Anomaly(
            kind, f"{kind.value}:shipment:{shipment.id}:{since}",
            f"{what} {shipment.carrier} {shipment.tracking_number} {state}" + (f" for {idle} days" if idle is not None else ""),
            f"last status {status.value}, last event {since}",
            order_id=shipment.order_id, return_case_id=shipment.return_case_id, shipment_id=shipment.id, days=idle))
    return found


def merchant_history(snap: Snapshot, now: datetime, ctx: RuleContext) -> dict[int, MerchantRecord]:
    """Per merchant id: refunds of the last two years (snapshot.refund_history) that came after the
    rule's refund deadline. Item categories are not looked at here (refund rules do not depend on
    them); the order's own category is."""
    rows = snap.refund_history
    # The answer depends only on these rows, the context and the local day (the rules read ``now`` as
    # that day): the previous call's answer is kept under exactly those inputs (compared, not hashed),
    # so an unchanged history (most hours of a daemon) is compared, not counted again.
    context = (ctx.tz, ctx.default_region, ctx.holiday_country, local_date(now, ctx.tz))
    previous = ctx.rules.counted.get(_HISTORY)
    if previous is not None and previous[0] == context and previous[1] == rows:
        return dict(previous[2])
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    # These facts hold only a subject and two moments, and the rules look at the local dates of
    # those: rows with the same subject and dates share one refund deadline (computed once). The
    # merchant and category are part of the subject only if some refund rule looks at them.
    kind_rules = [rule for rule in ctx.rules.rules if rule.kind is DeadlineKind.REFUND_DUE]
    by_merchant = any(rule.merchants for rule in kind_rules)
    by_category = any(rule.categories for rule in kind_rules)
    due_by: dict[tuple[Any, ...], date | None] = {}
    tz = ctx.tz
    for merchant_id, platform, region, category, name, shipped, received, refunded in rows:
        key = (platform, region, name if by_merchant else None, category if by_category else None,
               shipped.astimezone(tz).date() if shipped else None, received.astimezone(tz).date() if received else None)
        if key in due_by:
            due_on = due_by[key]
        else:
            subject = Subject(platform, region or ctx.default_region, name, (category,) if category else ())
            due = refund_due(Facts(subject, return_shipped_at=shipped, merchant_received_at=received),
                             ctx.rules, now, tz, ctx.holiday_country)
            due_on = due_by[key] = due.due_on if due is not None else None
        if due_on is None:
            continue  # no receipt or shipping date: lateness cannot be told
        record = counts[merchant_id]
        record[1] += 1
        if local_date(refunded, tz) > due_on:
            record[0] += 1
    found = {merchant: MerchantRecord(late, total) for merchant, (late, total) in counts.items()}
    ctx.rules.counted[_HISTORY] = (context, rows, found)
    return dict(found)


_HISTORY = ("merchant_history",)  # where the previous answer is kept (RuleSet.counted)


def late_merchants(snap: Snapshot, now: datetime, ctx: RuleContext,
                   history: Mapping[int, MerchantRecord] | None = None) -> list[Anomaly]:
    """Merchants with an open case whose refunds were late at least half the time (3+ refunds)."""
    history = merchant_history(snap, now, ctx) if history is None else history
    found = []
    seen: set[int] = set()
    for case in snap.waiting_for_refund():
        merchant = snap.orders[case.order_id].merchant
        if merchant is None or merchant.id in seen:
            continue
        record = history.get(merchant.id)
        if record is None or record.refunds < MERCHANT_LATE_MIN_CASES or record.late_share < MERCHANT_LATE_SHARE:
            continue
        seen.add(merchant.id)
        found.append(Anomaly(
            AnomalyKind.MERCHANT_LATE, f"anomaly:merchant_late:merchant:{merchant.id}",
            f"{merchant.name} refunds are usually late",
            f"{record.late} of {record.refunds} refunds came after the deadline; watch case r{case.id}",
            order_id=case.order_id, return_case_id=case.id, merchant_id=merchant.id))
    return found


def unusual_returns(snap: Snapshot, now: datetime, ctx: RuleContext, min_history: int = 5) -> list[Anomaly]:
    """More returns in the last 30 days than usual, or an open case with an unusually large amount
    (against the user's closed cases in the same currency); from the store's counts
    (``snap.return_history``) and the snapshot's open cases."""
    found: list[Anomaly] = []
    history = snap.return_history
    if history is None or history.first is None:
        return found
    # frequency: returns per 30-day window, this window against up to a year of earlier ones
    recent = history.per_window[0]
    earlier = []
    for n in range(1, FREQUENCY_HISTORY_WINDOWS + 1):
        if now - FREQUENCY_WINDOW * n < history.first:
            break
        earlier.append(history.per_window[n])
    if len(earlier) >= min_history:
        scale = RobustScale.of(earlier)
        z = scale.z(recent) if scale else None
        median = statistics.median(earlier)
        if recent >= median + 3 and (z is None or z > ROBUST_Z):
            week = local_date(now, ctx.tz).isocalendar()
            found.append(Anomaly(
                AnomalyKind.UNUSUAL_FREQUENCY, f"anomaly:unusual_frequency:{week.year}-W{week.week:02d}",
                f"{recent} returns in the last 30 days (usually {median:g})",
                f"median of the previous {len(earlier)} periods: {median:g}",
                days=30, z=None if z is None else round(z, 2)))
    # amount: each open case against the most recent closed cases in the same currency
    scales = {currency: (RobustScale.of(sample), len(sample))
              for currency, sample in history.closed_amounts.items() if len(sample) >= min_history}
    open_statuses = frozenset(status.value for status in state_machine.OPEN_STATES)
    for case in snap.open_cases:
        order = snap.orders[case.order_id]
        amount = case.expected_refund if case.expected_refund is not None else order.total
        currency = case.currency if case.currency is not None else order.currency
        if amount is None or not currency or currency not in scales or case.status not in open_statuses:
            continue
        scale, size = scales[currency]
        z = scale.z(float(amount)) if scale else None
        if z is None or z <= ROBUST_Z:
            continue
        found.append(Anomaly(
            AnomalyKind.UNUSUAL_AMOUNT, f"anomaly:unusual_amount:case:{case.id}",
            f"Unusually large return: {amount} {currency}",
            f"your last {size} returns were usually about {scale.median:g} {currency}",
            order_id=case.order_id, return_case_id=case.id, merchant_id=order.merchant_id,
            amount=Money(amount, currency), z=round(z, 2)))
    return found


def find_anomalies(snap: Snapshot, now: datetime, ctx: RuleContext, *, stuck_days: Mapping[str, int] | None = None,
                   received_days: int = 3, min_history: int = 5,
                   history: Mapping[int, MerchantRecord] | None = None,
                   archive_after: timedelta = timedelta(days=60)) -> list[Anomaly]:
    """All of the above (the snapshot's deadlines must be the recomputed ones: refund_overdue reads them)."""
    overdue = refund_overdue(snap, now, ctx)
    return [
        *overdue,
        *received_no_refund(snap, now, ctx, received_days, {a.return_case_id for a in overdue}),  # type: ignore[misc]
        *stuck_parcels(snap, now, stuck_days, archive_after),
        *short_refunds(snap),
        *late_merchants(snap, now, ctx, history),
        *unusual_returns(snap, now, ctx, min_history),
    ]
