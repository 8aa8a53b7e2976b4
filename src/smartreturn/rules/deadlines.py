"""Deadlines in the store: compute them from the rules for open orders and cases, upsert Deadline rows.

A Deadline row's natural key is (kind, order_id, return_case_id). Rows of closed cases are left as
they were (history: was the refund late?). A row whose rule no longer applies (the order turned out
to be custom-made, the anchor vanished) is deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from smartreturn.model import Direction, ReturnKind, ShipmentStatus
from smartreturn.rules.policies import DeadlineKind, RuleSet, Subject, load_rules, rules_from_settings
from smartreturn.rules.return_window import ComputedDeadline, Facts, deadline_for
from smartreturn.rules.snapshot import (  # noqa: F401  (re-exported: the rules modules import them from here)
    WATCH_ORDERS_FOR,
    CaseRow,
    OrderRow,
    ShipmentRow,
    Snapshot,
    chunks,
    is_waiting_for_refund,
    load_snapshot,
    read,
    shipments_by_order,
)
from smartreturn.store.tables import Deadline, Order, ReturnCase, Shipment

log = logging.getLogger(__name__)

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


def _categories(order: Order | OrderRow) -> tuple[str, ...]:
    if order.category:
        return (order.category,)
    return tuple(sorted({item.category for item in order.items if item.category}))


def subject_of(order: Order | OrderRow, ctx: RuleContext) -> Subject:
    merchant = order.merchant.name if order.merchant is not None else None
    return Subject(order.platform, order.region or ctx.default_region, merchant, _categories(order))


_RETURN = Direction.RETURN.value
_WINDOW = DeadlineKind.RETURN_WINDOW.value
_FINAL = frozenset(s.value for s in ShipmentStatus if s.is_final)


def _delivery(order: Order | OrderRow, shipments: Sequence[Shipment | ShipmentRow]) -> tuple[datetime | None, bool]:
    """(delivered at, still in transit) from the order and its outbound parcels."""
    if not shipments:
        return order.delivered_at, False
    outbound = [s for s in shipments if s.direction != _RETURN]
    delivered = order.delivered_at or min((s.delivered_at for s in outbound if s.delivered_at), default=None)
    in_transit = bool(outbound) and delivered is None and any(
        ShipmentStatus(s.status).value not in _FINAL for s in outbound)
    return delivered, in_transit


def order_facts(order: Order | OrderRow, shipments: Sequence[Shipment | ShipmentRow], ctx: RuleContext,
                first_seen: datetime | None = None) -> Facts:
    delivered, in_transit = _delivery(order, shipments)
    return Facts(subject_of(order, ctx), order_date=order.order_date, first_seen=first_seen, delivered_at=delivered,
                 outbound_in_transit=in_transit)


def case_facts(order: Order | OrderRow, case: ReturnCase | CaseRow, shipments: Sequence[Shipment | ShipmentRow],
               ctx: RuleContext, first_seen: datetime | None = None) -> Facts:
    delivered, in_transit = _delivery(order, shipments)
    shipped, received = case.shipped_at, case.received_at
    if shipments and (shipped is None or received is None):
        parcels = [s for s in shipments if s.return_case_id == case.id and s.direction == _RETURN]
        shipped = shipped or min((s.shipped_at for s in parcels if s.shipped_at), default=None)
        received = received or min((s.delivered_at for s in parcels if s.delivered_at), default=None)
    return Facts(subject_of(order, ctx), order_date=order.order_date, first_seen=first_seen, delivered_at=delivered,
                 outbound_in_transit=in_transit, requested_at=case.requested_at,
                 return_shipped_at=shipped, merchant_received_at=received)


def compute(kind: DeadlineKind, facts: Facts, now: datetime, ctx: RuleContext) -> ComputedDeadline | None:
    result = deadline_for(kind, facts, ctx.rules, now, ctx.tz, ctx.holiday_country)
    return result if isinstance(result, ComputedDeadline) else None


_Key = tuple[str, int, "int | None"]
_Stored = tuple[int, date, str, str, str]  # id, due_on, rule_id, anchor, confidence


def _stored(session: Session, order_ids: Iterable[int]) -> dict[_Key, _Stored]:
    """The Deadline rows of these orders, as plain values keyed by (kind, order_id, return_case_id)."""
    existing: dict[_Key, _Stored] = {}
    for part in chunks(order_ids):
        for row in read(session, select(
                Deadline.kind, Deadline.order_id, Deadline.return_case_id, Deadline.id, Deadline.due_on,
                Deadline.rule_id, Deadline.anchor, Deadline.confidence).where(Deadline.order_id.in_(part))).all():
            existing[(row[0], row[1], row[2])] = tuple(row[3:])  # type: ignore[assignment]
    return existing


def _write(session: Session, inserts: list[dict[str, Any]], updates: list[dict[str, Any]], deletes: list[int]) -> None:
    """Bulk INSERT, UPDATE by primary key and DELETE; loaded Deadline objects are expired so that
    the session shows the new values."""
    if inserts:
        session.execute(insert(Deadline), inserts)
    if updates:
        session.execute(update(Deadline), updates)
        changed = {values["id"] for values in updates}
        for obj in list(session.identity_map.values()):
            if isinstance(obj, Deadline) and obj.id in changed:
                session.expire(obj)
    for part in chunks(deletes):
        session.execute(delete(Deadline).where(Deadline.id.in_(part)))


def recompute_deadlines(session: Session, now: datetime, ctx: RuleContext | None = None,
                        snapshot: Snapshot | None = None) -> int:
    """Upsert the deadlines of open orders and open return cases; returns the rows changed.

    The stored rows are read as plain values and compared in Python; only new, changed and vanished
    rows are written (bulk statements), so the steady state writes nothing."""
    ctx = ctx or RuleContext.default()
    snap = snapshot or load_snapshot(session, now)
    existing = _stored(session, snap.orders)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    deletes: list[int] = []

    def upsert(kind: str, order_id: int, case_id: int | None, computed: ComputedDeadline | None) -> None:
        row = existing.get((kind, order_id, case_id))
        if computed is None:
            if row is not None:
                deletes.append(row[0])
            return
        # StrEnum members compare equal to their stored text
        if row is not None and row[1:] == (computed.due_on, computed.rule_id, computed.anchor, computed.confidence):
            return
        values = {"due_on": computed.due_on, "rule_id": computed.rule_id, "anchor": computed.anchor.value,
                  "confidence": computed.confidence.value, "computed_at": now}
        if row is None:
            inserts.append({"kind": kind, "order_id": order_id, "return_case_id": case_id, **values})
        else:
            updates.append({"id": row[0], **values})

    for order in snap.watched:
        if order.id in snap.orders_with_case:
            continue  # the return is under way: its window has done its job
        facts = order_facts(order, snap.shipments_of(order.id), ctx, snap.first_seen.get(order.id))
        upsert(_WINDOW, order.id, None, compute(DeadlineKind.RETURN_WINDOW, facts, now, ctx))
    for case in snap.open_cases:
        order = snap.orders[case.order_id]
        facts = case_facts(order, case, snap.shipments_of(order.id), ctx, snap.first_seen.get(order.id))
        for kind in CASE_KINDS[ReturnKind(case.kind)]:
            upsert(kind.value, order.id, case.id, compute(kind, facts, now, ctx))
    _write(session, inserts, updates, deletes)
    changed = len(inserts) + len(updates) + len(deletes)
    log.info("deadlines recomputed: %d changed", changed)
    return changed
