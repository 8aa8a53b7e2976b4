"""Anomalies: things that went wrong or look odd, found in the store.

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
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from smartreturn.model import Direction, Money, ShipmentStatus
from smartreturn.rules import state_machine
from smartreturn.rules.deadlines import RuleContext, case_facts, is_waiting_for_refund, shipments_by_order
from smartreturn.rules.policies import DeadlineKind
from smartreturn.rules.return_window import days_left, local_date, refund_due
from smartreturn.store.tables import Deadline, Order, ReturnCase, Shipment

log = logging.getLogger(__name__)

MERCHANT_LATE_MIN_CASES = 3
MERCHANT_LATE_SHARE = 0.5
ROBUST_Z = 3.5                  # Iglewicz & Hoaglin's cut-off for the modified z-score
FREQUENCY_WINDOW = timedelta(days=30)
FREQUENCY_HISTORY_WINDOWS = 12  # one year of 30-day windows
MOVING = frozenset({ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY, ShipmentStatus.FAILED_ATTEMPT,
                    ShipmentStatus.EXCEPTION, ShipmentStatus.RETURNING, ShipmentStatus.PICKUP_READY})


class AnomalyKind(StrEnum):
    REFUND_OVERDUE = "refund_overdue"
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


def robust_z(value: float, sample: Sequence[float]) -> float | None:
    """Modified z-score of ``value`` against ``sample`` (0.6745·(x − median)/MAD); None if too few.

    When more than half the sample is equal (MAD = 0), the mean absolute deviation stands in
    (×1.253314, as in Iglewicz & Hoaglin); a sample without any spread gives None."""
    if len(sample) < 2:
        return None
    median = statistics.median(sample)
    mad = statistics.median(abs(x - median) for x in sample)
    if mad > 0:
        return 0.6745 * (value - median) / mad
    meanad = statistics.fmean(abs(x - median) for x in sample)
    if meanad > 0:
        return (value - median) / (1.253314 * meanad)
    return None


def case_amount(case: ReturnCase, order: Order) -> Money | None:
    currency = case.currency or order.currency
    amount = case.expected_refund if case.expected_refund is not None else order.total
    if amount is None or not currency:
        return None
    if case.refunded_amount and case.refunded_amount < amount:
        amount -= case.refunded_amount  # a partial refund came: the rest is outstanding
    return Money(amount, currency)


def open_waiting_cases(session: Session) -> list[ReturnCase]:
    open_statuses = [s.value for s in state_machine.OPEN_STATES]
    cases = session.scalars(
        select(ReturnCase).where(ReturnCase.status.in_(open_statuses))
        .options(selectinload(ReturnCase.order).selectinload(Order.merchant),
                 selectinload(ReturnCase.order).selectinload(Order.items))
    ).all()
    return [c for c in cases if is_waiting_for_refund(c)]


def refund_overdue(session: Session, now: datetime, ctx: RuleContext) -> list[Anomaly]:
    found = []
    cases = {c.id: c for c in open_waiting_cases(session)}
    if not cases:
        return found
    rows = session.scalars(select(Deadline).where(
        Deadline.kind == DeadlineKind.REFUND_DUE.value, Deadline.return_case_id.in_(list(cases)))).all()
    for row in rows:
        left = days_left(row.due_on, now, ctx.tz)
        if left >= 0:
            continue
        case = cases[row.return_case_id]  # type: ignore[index]
        assumed = " (assumed: the merchant's receipt is estimated)" if row.confidence == "assumed" else ""
        found.append(Anomaly(
            AnomalyKind.REFUND_OVERDUE, f"refund_overdue:case:{case.id}:{row.due_on.isoformat()}",
            f"Refund overdue by {-left} day{'s' if left != -1 else ''}",
            f"refund was due on {row.due_on.isoformat()} by rule {row.rule_id}{assumed}",
            order_id=case.order_id, return_case_id=case.id, merchant_id=case.order.merchant_id,
            due_on=row.due_on, days=-left, amount=case_amount(case, case.order)))
    return found


def received_no_refund(session: Session, now: datetime, ctx: RuleContext, min_days: int = 3) -> list[Anomaly]:
    """The merchant has had the return for ``min_days`` or more and no refund came (not yet overdue)."""
    found = []
    cases = open_waiting_cases(session)
    shipments = shipments_by_order(session, {c.order_id for c in cases})
    overdue = {a.return_case_id for a in refund_overdue(session, now, ctx)}
    today = local_date(now, ctx.tz)
    for case in cases:
        if case.id in overdue:
            continue
        facts = case_facts(case.order, case, shipments.get(case.order_id, ()), ctx)
        if facts.merchant_received_at is None:
            continue
        since = (today - local_date(facts.merchant_received_at, ctx.tz)).days
        if since < min_days:
            continue
        how = "confirmed by the merchant" if case.received_at else "the return parcel was delivered"
        found.append(Anomaly(
            AnomalyKind.RECEIVED_NO_REFUND, f"received_no_refund:case:{case.id}",
            f"Merchant has had the return for {since} days, no refund yet",
            f"received {local_date(facts.merchant_received_at, ctx.tz).isoformat()} ({how})",
            order_id=case.order_id, return_case_id=case.id, merchant_id=case.order.merchant_id,
            days=since, amount=case_amount(case, case.order)))
    return found


def stuck_parcels(session: Session, now: datetime, stuck_days: Mapping[str, int] | None = None) -> list[Anomaly]:
    """Parcels on their way that have not moved for ``stuck_days[carrier]`` (else ``["default"]``) days,
    or that the tracking code marked as stuck. Return parcels of closed cases are left out."""
    stuck_days = stuck_days or {"default": 5}
    found = []
    candidates = session.scalars(select(Shipment).where(
        Shipment.status.not_in([s.value for s in ShipmentStatus if s.is_final]))).all()
    closed_cases = {c for c, status in session.execute(select(ReturnCase.id, ReturnCase.status)) if not state_machine.is_open(status)}
    for shipment in candidates:
        status = ShipmentStatus(shipment.status)
        if shipment.return_case_id in closed_cases:
            continue
        last = shipment.last_event_at or shipment.shipped_at
        limit = stuck_days.get(shipment.carrier, stuck_days.get("default", 5))
        idle = (now - last).days if last else None
        if not (shipment.stuck or (status in MOVING and idle is not None and idle >= limit)):
            continue
        is_return = shipment.direction == Direction.RETURN.value
        kind = AnomalyKind.RETURN_STUCK if is_return else AnomalyKind.PARCEL_STUCK
        since = last.date().isoformat() if last else "never"
        what = "Return parcel" if is_return else "Parcel"
        found.append(Anomaly(
            kind, f"{kind.value}:shipment:{shipment.id}:{since}",
            f"{what} {shipment.carrier} {shipment.tracking_number} not moving" + (f" for {idle} days" if idle is not None else ""),
            f"last status {status.value}, last event {since}",
            order_id=shipment.order_id, return_case_id=shipment.return_case_id, shipment_id=shipment.id, days=idle))
    return found


def merchant_history(session: Session, now: datetime, ctx: RuleContext) -> dict[int, MerchantRecord]:
    """Per merchant id: refunded cases whose refund came after the rule's refund deadline."""
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    cases = session.scalars(
        select(ReturnCase).join(Order).where(ReturnCase.refunded_at.is_not(None), Order.merchant_id.is_not(None))
        .options(selectinload(ReturnCase.order).selectinload(Order.merchant),
                 selectinload(ReturnCase.order).selectinload(Order.items))
    ).all()
    shipments = shipments_by_order(session, {c.order_id for c in cases})
    for case in cases:
        due = refund_due(case_facts(case.order, case, shipments.get(case.order_id, ()), ctx), ctx.rules, now, ctx.tz,
                         ctx.holiday_country)
        if due is None:
            continue  # no receipt date: lateness cannot be told
        record = counts[case.order.merchant_id]  # type: ignore[index]
        record[1] += 1
        if local_date(case.refunded_at, ctx.tz) > due.due_on:  # type: ignore[arg-type]
            record[0] += 1
    return {merchant: MerchantRecord(late, total) for merchant, (late, total) in counts.items()}


def late_merchants(session: Session, now: datetime, ctx: RuleContext,
                   history: Mapping[int, MerchantRecord] | None = None) -> list[Anomaly]:
    """Merchants with an open case whose refunds were late at least half the time (3+ refunds)."""
    history = merchant_history(session, now, ctx) if history is None else history
    found = []
    seen: set[int] = set()
    for case in open_waiting_cases(session):
        merchant = case.order.merchant
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


def _case_time(case: ReturnCase) -> datetime:
    return case.requested_at or case.created_at


def unusual_returns(session: Session, now: datetime, ctx: RuleContext, min_history: int = 5) -> list[Anomaly]:
    """More returns in the last 30 days than usual, or an open case with an unusually large amount."""
    found = []
    cases = session.scalars(select(ReturnCase).options(selectinload(ReturnCase.order))).all()
    if not cases:
        return found
    # frequency: returns per 30-day window, this window against up to a year of earlier ones
    first = min(_case_time(c) for c in cases)
    recent = sum(1 for c in cases if now - FREQUENCY_WINDOW < _case_time(c) <= now)
    earlier = []
    for n in range(1, FREQUENCY_HISTORY_WINDOWS + 1):
        end = now - FREQUENCY_WINDOW * n
        if end < first:
            break
        earlier.append(sum(1 for c in cases if end - FREQUENCY_WINDOW < _case_time(c) <= end))
    if len(earlier) >= min_history:
        z = robust_z(recent, earlier)
        median = statistics.median(earlier)
        if (z is None and recent >= median + 3) or (z is not None and z > ROBUST_Z and recent >= median + 3):
            week = local_date(now, ctx.tz).isocalendar()
            found.append(Anomaly(
                AnomalyKind.UNUSUAL_FREQUENCY, f"anomaly:unusual_frequency:{week.year}-W{week.week:02d}",
                f"{recent} returns in the last 30 days (usually {median:g})",
                f"median of the previous {len(earlier)} periods: {median:g}",
                days=30, z=None if z is None else round(z, 2)))
    # amount: each open case against the user's earlier cases in the same currency
    by_currency: dict[str, list[tuple[ReturnCase, Decimal]]] = defaultdict(list)
    for case in cases:
        amount = case.expected_refund if case.expected_refund is not None else case.order.total
        currency = case.currency or case.order.currency
        if amount is not None and currency:
            by_currency[currency].append((case, amount))
    for currency, rows in by_currency.items():
        for case, amount in rows:
            if not state_machine.is_open(case.status):
                continue
            sample = [float(a) for other, a in rows if other.id != case.id and _case_time(other) < _case_time(case)]
            if len(sample) < min_history:
                continue
            z = robust_z(float(amount), sample)
            if z is None or z <= ROBUST_Z:
                continue
            median = statistics.median(sample)
            found.append(Anomaly(
                AnomalyKind.UNUSUAL_AMOUNT, f"anomaly:unusual_amount:case:{case.id}",
                f"Unusually large return: {amount} {currency}",
                f"your returns are usually about {median:g} {currency}",
                order_id=case.order_id, return_case_id=case.id, merchant_id=case.order.merchant_id,
                amount=Money(amount, currency), z=round(z, 2)))
    return found


def find_anomalies(session: Session, now: datetime, ctx: RuleContext, *, stuck_days: Mapping[str, int] | None = None,
                   received_days: int = 3, min_history: int = 5,
                   history: Mapping[int, MerchantRecord] | None = None) -> list[Anomaly]:
    """All of the above (deadlines must be recomputed first: refund_overdue reads Deadline rows)."""
    return [
        *refund_overdue(session, now, ctx),
        *received_no_refund(session, now, ctx, received_days),
        *stuck_parcels(session, now, stuck_days),
        *late_merchants(session, now, ctx, history),
        *unusual_returns(session, now, ctx, min_history),
    ]
