"""Deadlines from the rules for open orders and cases: pure functions of a snapshot and ``now``.

:func:`compute_deadlines` answers, per (kind, order, case), the deadline the most specific rule gives
(or None when no rule applies or its anchor cannot be told yet). Storing them is the store's job
(store/deadlines.py); ``apply.agenda.recompute_deadlines`` runs both.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from smartreturn.model import Direction, ReturnKind, ShipmentStatus
from smartreturn.rules.policies import DeadlineKind, RuleSet, Subject, load_rules, rules_from_settings
from smartreturn.rules.return_window import ComputedDeadline, Facts, deadline_for
from smartreturn.snapshot import CaseRow, DeadlineKey, OrderRow, ShipmentRow, Snapshot

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


def _categories(order: OrderRow) -> tuple[str, ...]:
    if order.category:
        return (order.category,)
    return tuple(sorted({item.category for item in order.items if item.category}))


def subject_of(order: OrderRow, ctx: RuleContext) -> Subject:
    merchant = order.merchant.name if order.merchant is not None else None
    return Subject(order.platform, order.region or ctx.default_region, merchant, _categories(order))


_RETURN = Direction.RETURN.value
_WINDOW = DeadlineKind.RETURN_WINDOW.value
_FINAL = frozenset(s.value for s in ShipmentStatus if s.is_final)


def _delivery(order: OrderRow, shipments: Sequence[ShipmentRow]) -> tuple[datetime | None, bool]:
    """(delivered at, still in transit) from the order and its outbound parcels."""
    if not shipments:
        return order.delivered_at, False
    outbound = [s for s in shipments if s.direction != _RETURN]
    delivered = order.delivered_at or min((s.delivered_at for s in outbound if s.delivered_at), default=None)
    in_transit = bool(outbound) and delivered is None and any(
        ShipmentStatus(s.status).value not in _FINAL for s in outbound)
    return delivered, in_transit


def order_facts(order: OrderRow, shipments: Sequence[ShipmentRow], ctx: RuleContext,
                first_seen: datetime | None = None) -> Facts:
    delivered, in_transit = _delivery(order, shipments)
    return Facts(subject_of(order, ctx), order_date=order.order_date, first_seen=first_seen, delivered_at=delivered,
                 outbound_in_transit=in_transit)


def case_facts(order: OrderRow, case: CaseRow, shipments: Sequence[ShipmentRow],
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


def compute_deadlines(snap: Snapshot, now: datetime, ctx: RuleContext) -> dict[DeadlineKey, ComputedDeadline | None]:
    """Every deadline the rules give for the snapshot's open orders and cases, keyed by
    (kind, order id, return case id); None where a stored deadline no longer applies."""
    found: dict[DeadlineKey, ComputedDeadline | None] = {}
    for order in snap.watched:
        if order.id in snap.orders_with_case:
            continue  # the return is under way: its window has done its job
        facts = order_facts(order, snap.shipments_of(order.id), ctx, snap.first_seen.get(order.id))
        found[(_WINDOW, order.id, None)] = compute(DeadlineKind.RETURN_WINDOW, facts, now, ctx)
    for case in snap.open_cases:
        order = snap.orders[case.order_id]
        facts = case_facts(order, case, snap.shipments_of(order.id), ctx, snap.first_seen.get(order.id))
        for kind in CASE_KINDS[ReturnKind(case.kind)]:
            found[(kind.value, order.id, case.id)] = compute(kind, facts, now, ctx)
    return found
