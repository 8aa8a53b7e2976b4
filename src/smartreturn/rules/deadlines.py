"""Deadlines in the store: compute them from the rules for open orders and cases, upsert Deadline rows.

A Deadline row's natural key is (kind, order_id, return_case_id). Rows of closed cases are left as
they were (history: was the refund late?). A row whose rule no longer applies (the order turned out
to be custom-made, the anchor vanished) is deleted.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from smartreturn.model import Direction, ReturnKind, ReturnStatus, ShipmentStatus
from smartreturn.rules import state_machine
from smartreturn.rules.policies import DeadlineKind, RuleSet, Subject, load_rules, rules_from_settings
from smartreturn.rules.return_window import ComputedDeadline, Facts, deadline_for
from smartreturn.store.tables import CaseEvent, Deadline, Order, ReturnCase, Shipment

log = logging.getLogger(__name__)

# Orders older than this are not watched for a return window any more (the longest window with
# the holiday extension is about three months).
WATCH_ORDERS_FOR = timedelta(days=180)

CASE_KINDS: dict[ReturnKind, tuple[DeadlineKind, ...]] = {
    ReturnKind.RETURN: (DeadlineKind.REFUND_DUE, DeadlineKind.MERCHANT_RESPONSE, DeadlineKind.AUTO_REFUND),
    ReturnKind.EXCHANGE: (DeadlineKind.MERCHANT_RESPONSE,),
    ReturnKind.REFUND_ONLY: (DeadlineKind.MERCHANT_RESPONSE, DeadlineKind.AUTO_REFUND),
}


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Everything the pure rule functions need besides the facts."""

    rules: RuleSet
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    default_region: str | None = None
    holiday_country: str | None = None

    @classmethod
    def from_settings(cls, settings: Any) -> "RuleContext":
        return cls(rules_from_settings(settings), settings.general.tz, settings.rules.region,
                   settings.rules.holiday_country)

    @classmethod
    def default(cls) -> "RuleContext":
        return cls(load_rules())


def _categories(order: Order) -> tuple[str, ...]:
    if order.category:
        return (order.category,)
    return tuple(sorted({item.category for item in order.items if item.category}))


def subject_of(order: Order, ctx: RuleContext) -> Subject:
    merchant = order.merchant.name if order.merchant is not None else None
    return Subject(order.platform, order.region or ctx.default_region, merchant, _categories(order))


def order_facts(order: Order, shipments: Sequence[Shipment], ctx: RuleContext,
                first_seen: datetime | None = None) -> Facts:
    outbound = [s for s in shipments if s.direction != Direction.RETURN.value]
    delivered = order.delivered_at or min((s.delivered_at for s in outbound if s.delivered_at), default=None)
    in_transit = bool(outbound) and delivered is None and any(
        not ShipmentStatus(s.status).is_final for s in outbound)
    return Facts(subject_of(order, ctx), order_date=order.order_date, first_seen=first_seen, delivered_at=delivered,
                 outbound_in_transit=in_transit)


def case_facts(order: Order, case: ReturnCase, shipments: Sequence[Shipment], ctx: RuleContext,
               first_seen: datetime | None = None) -> Facts:
    base = order_facts(order, shipments, ctx, first_seen)
    parcels = [s for s in shipments if s.return_case_id == case.id and s.direction == Direction.RETURN.value]
    shipped = case.shipped_at or min((s.shipped_at for s in parcels if s.shipped_at), default=None)
    received = case.received_at or min((s.delivered_at for s in parcels if s.delivered_at), default=None)
    return Facts(base.subject, order_date=base.order_date, first_seen=first_seen, delivered_at=base.delivered_at,
                 outbound_in_transit=base.outbound_in_transit, requested_at=case.requested_at,
                 return_shipped_at=shipped, merchant_received_at=received)


CHUNK = 500  # ids per IN (...) list


def chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


def shipments_by_order(session: Session, order_ids: Iterable[int]) -> dict[int, list[Shipment]]:
    grouped: dict[int, list[Shipment]] = defaultdict(list)
    for part in chunks(order_ids):
        for shipment in session.scalars(select(Shipment).where(Shipment.order_id.in_(part))):
            grouped[shipment.order_id].append(shipment)  # type: ignore[index]
    return grouped


def _watched(now: datetime):
    """Orders whose return window may still be open: ordered or delivered recently, or (without an
    order date) first stored recently."""
    cutoff = now - WATCH_ORDERS_FOR
    return (Order.status != "cancelled",
            or_(Order.order_date >= cutoff, Order.delivered_at >= cutoff,
                and_(Order.order_date.is_(None), Order.created_at >= cutoff)))


@dataclass(frozen=True)
class Snapshot:
    """The rows the rules look at, loaded once per run: recent orders (return-window candidates),
    open return cases, their orders, items, merchants and parcels."""

    watched: tuple[Order, ...]
    open_cases: tuple[ReturnCase, ...]
    orders: Mapping[int, Order]
    orders_with_case: frozenset[int]   # watched orders that have a return case, open or not
    shipments: Mapping[int, list[Shipment]]
    first_seen: Mapping[int, datetime]  # orders without an order date: their first mail's date

    def shipments_of(self, order_id: int) -> list[Shipment]:
        return self.shipments.get(order_id, [])

    def waiting_for_refund(self) -> list[ReturnCase]:
        return [case for case in self.open_cases if is_waiting_for_refund(case)]


def load_snapshot(session: Session, now: datetime) -> Snapshot:
    options = (selectinload(Order.items), selectinload(Order.merchant))
    watched = session.scalars(select(Order).where(*_watched(now)).options(*options)).all()
    open_statuses = [status.value for status in state_machine.OPEN_STATES]
    open_cases = session.scalars(select(ReturnCase).where(ReturnCase.status.in_(open_statuses))
                                 .order_by(ReturnCase.id)).all()
    orders = {order.id: order for order in watched}
    for part in chunks({case.order_id for case in open_cases} - orders.keys()):
        orders.update((o.id, o) for o in session.scalars(select(Order).where(Order.id.in_(part)).options(*options)))
    with_case = frozenset(session.scalars(select(ReturnCase.order_id).join(Order, ReturnCase.order_id == Order.id)
                                          .where(*_watched(now))))
    first_seen = dict(session.execute(
        select(CaseEvent.order_id, func.min(CaseEvent.occurred_at)).join(Order, CaseEvent.order_id == Order.id)
        .where(*_watched(now), Order.order_date.is_(None)).group_by(CaseEvent.order_id)).all())
    return Snapshot(tuple(watched), tuple(open_cases), orders, with_case, shipments_by_order(session, orders), first_seen)


def compute(kind: DeadlineKind, facts: Facts, now: datetime, ctx: RuleContext) -> ComputedDeadline | None:
    result = deadline_for(kind, facts, ctx.rules, now, ctx.tz, ctx.holiday_country)
    return result if isinstance(result, ComputedDeadline) else None


def _upsert(session: Session, existing: dict[tuple[str, int, int | None], Deadline], kind: DeadlineKind,
            order_id: int, case_id: int | None, computed: ComputedDeadline | None, now: datetime) -> int:
    row = existing.get((kind.value, order_id, case_id))
    if computed is None:
        if row is None:
            return 0
        session.delete(row)
        return 1
    values = {"due_on": computed.due_on, "rule_id": computed.rule_id, "anchor": computed.anchor.value,
              "confidence": computed.confidence.value}
    if row is None:
        session.add(Deadline(kind=kind.value, order_id=order_id, return_case_id=case_id, computed_at=now, **values))
        return 1
    if any(getattr(row, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(row, name, value)
        row.computed_at = now
        return 1
    return 0


def recompute_deadlines(session: Session, now: datetime, ctx: RuleContext | None = None,
                        snapshot: Snapshot | None = None) -> int:
    """Upsert the deadlines of open orders and open return cases; returns the rows changed."""
    ctx = ctx or RuleContext.default()
    snap = snapshot or load_snapshot(session, now)
    existing: dict[tuple[str, int, int | None], Deadline] = {}
    for part in chunks(snap.orders):
        existing.update(((d.kind, d.order_id, d.return_case_id), d)
                        for d in session.scalars(select(Deadline).where(Deadline.order_id.in_(part))))
    changed = 0
    for order in snap.watched:
        if order.id in snap.orders_with_case:
            continue  # the return is under way: its window has done its job
        facts = order_facts(order, snap.shipments_of(order.id), ctx, snap.first_seen.get(order.id))
        changed += _upsert(session, existing, DeadlineKind.RETURN_WINDOW, order.id, None,
                           compute(DeadlineKind.RETURN_WINDOW, facts, now, ctx), now)
    for case in snap.open_cases:
        order = snap.orders[case.order_id]
        facts = case_facts(order, case, snap.shipments_of(order.id), ctx, snap.first_seen.get(order.id))
        for kind in CASE_KINDS[ReturnKind(case.kind)]:
            changed += _upsert(session, existing, kind, order.id, case.id, compute(kind, facts, now, ctx), now)
    session.flush()
    log.info("deadlines recomputed: %d changed", changed)
    return changed


def is_waiting_for_refund(case: ReturnCase) -> bool:
    """The buyer expects money: an open return or refund-only case (an exchange expects goods)."""
    return case.kind != ReturnKind.EXCHANGE.value and case.status not in (
        ReturnStatus.REFUNDED.value, ReturnStatus.REJECTED.value, ReturnStatus.CANCELLED.value,
        ReturnStatus.EXCHANGE_DELIVERED.value)
