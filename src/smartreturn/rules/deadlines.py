"""Deadlines from the rules for open orders and cases: pure functions of a snapshot and ``now``.

:func:`compute_deadlines` answers, per (kind, order, case), the deadline the most specific rule gives
(or None when no rule applies or its anchor cannot be told yet). Storing them is the store's job
(store/deadlines.py); ``apply.agenda.recompute_deadlines`` runs both.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from smartreturn.model import Direction, ReturnKind, ShipmentStatus
from smartreturn.rules.policies import (
    Anchor,
    Basis,
    Confidence,
    DeadlineKind,
    RuleSet,
    Subject,
    load_rules,
    rules_from_settings,
)
from smartreturn.rules.categories import classify_item
from smartreturn.rules.return_window import ComputedDeadline, Facts, deadline_for, local_date
from smartreturn.snapshot import CaseRow, DeadlineKey, DeadlineRow, OrderRow, ShipmentRow, Snapshot, StatedRow

log = logging.getLogger(__name__)

CASE_KINDS: dict[ReturnKind, tuple[DeadlineKind, ...]] = {
    ReturnKind.RETURN: (DeadlineKind.SHIP_BY, DeadlineKind.REFUND_DUE, DeadlineKind.MERCHANT_RESPONSE,
                        DeadlineKind.AUTO_REFUND),
    ReturnKind.EXCHANGE: (DeadlineKind.SHIP_BY, DeadlineKind.MERCHANT_RESPONSE),
    ReturnKind.REFUND_ONLY: (DeadlineKind.MERCHANT_RESPONSE, DeadlineKind.AUTO_REFUND),
}
# The case statuses in which each kind of case deadline is still running (a timer that has done its
# job disappears: the merchant answered, the parcel left, the merchant confirmed receipt).
RUNNING: dict[DeadlineKind, frozenset[str]] = {
    DeadlineKind.SHIP_BY: frozenset({"requested", "approved", "label_issued"}),
    DeadlineKind.REFUND_DUE: frozenset({"requested", "approved", "label_issued", "shipped", "received", "disputed"}),
    DeadlineKind.MERCHANT_RESPONSE: frozenset({"requested"}),
    DeadlineKind.AUTO_REFUND: frozenset({"shipped"}),
}
# Deadlines the buyer must meet (a later date is better for the buyer) and those the merchant must meet.
BUYER_SIDE = frozenset({DeadlineKind.RETURN_WINDOW, DeadlineKind.SHIP_BY})


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Everything the pure rule functions need besides the facts."""

    rules: RuleSet
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    default_region: str | None = None
    holiday_country: str | None = None   # the user's country: holidays when the shop's is unknown

    @classmethod
    def from_settings(cls, settings: Any) -> "RuleContext":
        return cls(rules_from_settings(settings), settings.general.tz, settings.rules.region,
                   settings.rules.holiday_country)

    @classmethod
    def default(cls) -> "RuleContext":
        return cls(load_rules())


def _item_category(name: str, category: str | None, ctx: RuleContext) -> str | None:
    """The item's stored category, else the one its name gives (categories.toml; memoised per name)."""
    if category:
        return category
    memo = ctx.rules.counted
    key = ("category", name)
    if key not in memo:
        memo[key] = classify_item(name, ctx.rules.category_words)
    return memo[key]


def _categories(order: OrderRow, ctx: RuleContext) -> tuple[str, ...]:
    """The order's category (the user's correction), else its items': an order whose items are not all
    in one category gets every category found plus "" so that no category rule matches it alone."""
    if order.category:
        return (order.category,)
    found = {_item_category(item.name, item.category, ctx) for item in order.items}
    if not found or found == {None}:
        return ()
    return tuple(sorted(c or "" for c in found))


# Order.region values that name a country (other than by its ISO code) or a group
_REGION_COUNTRY = {"uk": "GB", "el": "GR"}


def country_of(order: OrderRow, ctx: RuleContext) -> str | None:
    """The shop's country: stated on the order, else its region when that is a country ("de", from the
    shop's domain), else its currency's country (DKK → DK, CHF → CH ...; EUR names none)."""
    if order.country:
        return order.country.upper()
    region = (order.region or "").lower()
    if region in _REGION_COUNTRY:
        return _REGION_COUNTRY[region]
    if len(region) == 2 and region not in ctx.rules.region_groups:
        return region.upper()
    return ctx.rules.currency_country.get((order.currency or "").upper())


def subject_of(order: OrderRow, ctx: RuleContext) -> Subject:
    merchant = order.merchant.name if order.merchant is not None else None
    return Subject(order.platform, order.region or ctx.default_region, merchant, _categories(order, ctx),
                   country_of(order, ctx))


_RETURN = Direction.RETURN.value
_WINDOW = DeadlineKind.RETURN_WINDOW.value
# per case kind (as stored): its deadline kinds with their stored names, looked up once
_CASE_KINDS = {kind.value: tuple((deadline, deadline.value) for deadline in kinds) for kind, kinds in CASE_KINDS.items()}
_FINAL = frozenset(s.value for s in ShipmentStatus if s.is_final)


def _delivery(order: OrderRow, shipments: Sequence[ShipmentRow]) -> tuple[datetime | None, bool, datetime | None, bool]:
    """(first delivered at, still in transit, last delivered at, some parcel still missing) from the
    order and its outbound parcels."""
    outbound = [s for s in shipments if s.direction != _RETURN]
    if not outbound:
        return order.delivered_at, False, order.delivered_at, False
    arrived = [s.delivered_at for s in outbound if s.delivered_at]
    delivered = order.delivered_at or min(arrived, default=None)
    in_transit = delivered is None and any(s.status not in _FINAL for s in outbound)
    missing = any(s.delivered_at is None and s.status not in _FINAL for s in outbound)
    last = max([*arrived, *([order.delivered_at] if order.delivered_at else [])], default=None)
    return delivered, in_transit, last, missing


def order_facts(order: OrderRow, shipments: Sequence[ShipmentRow], ctx: RuleContext,
                first_seen: datetime | None = None) -> Facts:
    delivered, in_transit, last, missing = _delivery(order, shipments)
    return Facts(subject_of(order, ctx), order_date=order.order_date, first_seen=first_seen, delivered_at=delivered,
                 outbound_in_transit=in_transit, last_delivered_at=last, parcels_missing=missing)


def _return_parcels(case: CaseRow, shipments: Sequence[ShipmentRow]) -> list[ShipmentRow]:
    return [s for s in shipments if s.return_case_id == case.id and s.direction == _RETURN]


def merchant_received_at(case: CaseRow, shipments: Sequence[ShipmentRow]) -> datetime | None:
    """When the merchant got the return: as the case says, else its first return parcel delivered."""
    if case.received_at is not None or not shipments:
        return case.received_at
    return min((s.delivered_at for s in _return_parcels(case, shipments) if s.delivered_at), default=None)


def case_facts(order: OrderRow, case: CaseRow, shipments: Sequence[ShipmentRow],
               ctx: RuleContext, first_seen: datetime | None = None) -> Facts:
    delivered, in_transit, last, missing = _delivery(order, shipments)
    shipped, received = case.shipped_at, case.received_at
    if shipments and shipped is None:
        shipped = min((s.shipped_at for s in _return_parcels(case, shipments) if s.shipped_at), default=None)
    if shipments and received is None:
        received = merchant_received_at(case, shipments)
    approved = min((m for m in (case.approved_at, case.label_at) if m is not None), default=None)
    return Facts(subject_of(order, ctx), order_date=order.order_date, first_seen=first_seen, delivered_at=delivered,
                 outbound_in_transit=in_transit, requested_at=case.requested_at,
                 return_shipped_at=shipped, merchant_received_at=received, last_delivered_at=last,
                 parcels_missing=missing, approved_at=approved)


def compute(kind: DeadlineKind, facts: Facts, now: datetime, ctx: RuleContext,
            stored: DeadlineRow | None = None, stated: StatedRow | None = None) -> ComputedDeadline | None:
    """The deadline of ``kind``: the rule's, with an assumed anchor stored earlier kept fixed; a date the
    merchant stated wins over it, unless the rule is law and gives the buyer more (the law is the floor)."""
    if stored is not None and stored.confidence == Confidence.ASSUMED and stored.anchor_on is not None:
        rule = ctx.rules.select(kind, facts.subject)
        if rule is not None and rule.id == stored.rule_id:
            facts = replace(facts, fixed_anchor=stored.anchor_on)
    result = deadline_for(kind, facts, ctx.rules, now, ctx.tz, ctx.holiday_country)
    computed = result if isinstance(result, ComputedDeadline) else None
    if stated is None:
        return computed
    said = ComputedDeadline(kind, stated.due_on, "stated", Anchor.STATED, stated.due_on, Confidence.STATED,
                            "the merchant stated this date", evidence_message_id=stated.message_id,
                            basis=Basis.POLICY, source=stated.quote)
    if computed is not None and computed.basis is Basis.LAW and computed.confidence is not Confidence.ASSUMED:
        better = computed.due_on > said.due_on if kind in BUYER_SIDE else computed.due_on < said.due_on
        if better:
            return replace(computed, note=f"{computed.note}; the shop said {stated.due_on.isoformat()}, the law gives more")
    return said


def _assumed(stored: DeadlineRow | None) -> tuple[str, Any] | None:
    """What :func:`compute` reads of a stored deadline: an assumed anchor's rule and date."""
    if stored is not None and stored.confidence == Confidence.ASSUMED and stored.anchor_on is not None:
        return stored.rule_id, stored.anchor_on
    return None


def compute_deadlines(snap: Snapshot, now: datetime, ctx: RuleContext) -> dict[DeadlineKey, ComputedDeadline | None]:
    """Every deadline the rules give for the snapshot's open orders and cases, keyed by
    (kind, order id, return case id); None where a stored deadline no longer applies.

    An order's (or case's) deadlines depend only on its rows (order with items and merchant, case,
    parcels, first mail, the stored assumed anchor, the merchant's stated date), the local day and the
    context. The answers of the previous call are kept in the rule set under exactly those inputs, so
    a long-running process (daemon, web) computes again only what changed since; the key is the full
    input, so a hit is the same answer by construction."""
    today = local_date(now, ctx.tz)
    context = (ctx.tz, ctx.default_region, ctx.holiday_country, today)
    previous_context, previous = ctx.rules.counted.get(_MEMO, (None, {}))
    if previous_context != context:
        previous = {}
    memo: dict[Any, Any] = {}
    found: dict[DeadlineKey, ComputedDeadline | None] = {}
    deadlines, stated, first_seen = snap.deadlines, snap.stated, snap.first_seen
    for order in snap.watched:
        if order.id in snap.orders_with_case:
            continue  # the return is under way: its window has done its job
        key: DeadlineKey = (_WINDOW, order.id, None)
        shipments = snap.shipments_of(order.id)
        seen = first_seen.get(order.id)
        stored, said = deadlines.get(key), stated.get(key)
        inputs = (order, tuple(shipments), seen, _assumed(stored), said)
        hit = previous.get(key)
        if hit is None or hit[0] != inputs:
            facts = order_facts(order, shipments, ctx, seen)
            hit = (inputs, compute(DeadlineKind.RETURN_WINDOW, facts, now, ctx, stored, said))
        memo[key] = hit
        found[key] = hit[1]
    for case in snap.open_cases:
        order = snap.orders[case.order_id]
        shipments = snap.shipments_of(order.id)
        seen = first_seen.get(order.id)
        keys = [(kind, (name, order.id, case.id)) for kind, name in _CASE_KINDS[case.kind]]
        inputs = (order, case, tuple(shipments), seen,
                  tuple((_assumed(deadlines.get(key)), stated.get(key)) for _, key in keys))
        hit = previous.get(case.id)
        if hit is None or hit[0] != inputs:
            facts = case_facts(order, case, shipments, ctx, seen)
            hit = (inputs, tuple(compute(kind, facts, now, ctx, deadlines.get(key), stated.get(key))
                                 if case.status in RUNNING[kind] else None for kind, key in keys))
        memo[case.id] = hit
        for (_, key), result in zip(keys, hit[1]):
            found[key] = result
    # by order / case (a dict of plain keys: comparing the inputs once is cheaper than hashing them);
    # this call's answers only, so the memo never outgrows a run; an unchanged entry keeps the rows of
    # the run that computed it, so this run's copies are freed when the run ends
    ctx.rules.counted[_MEMO] = (context, memo)
    return found


_MEMO = ("compute_deadlines",)
