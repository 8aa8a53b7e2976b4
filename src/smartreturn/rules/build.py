"""``assemble_agenda()``: what the user should look at today, from a snapshot, its (recomputed)
deadlines and the anomalies found in it; pure. ``apply.agenda.build_agenda`` loads the snapshot,
recomputes and stores the deadlines, then calls it. Item keys are stable while the situation is the same (notifications use them exactly once):
a window closing gets one key per stage (``d3`` soon, ``d1`` urgent), a refund one key per due date.
"""

from __future__ import annotations

import gc
import logging
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from smartreturn.model import Direction, Money
from smartreturn.rules.agenda import Agenda, AgendaItem, AgendaKind, Urgency
from smartreturn.rules.anomalies import Anomaly, AnomalyKind, MerchantRecord, case_amount, short_date
from smartreturn.rules.deadlines import RuleContext
from smartreturn.rules.policies import DeadlineKind
from smartreturn.rules.priority import PriorityInput, Weights, score
from smartreturn.rules.return_window import days_left
from smartreturn.snapshot import CaseRow, OrderRow, Snapshot

log = logging.getLogger(__name__)

URGENT_DAYS = 1
SOON_DAYS = 3
RECENT = timedelta(days=1)
URGENCY_ORDER = {Urgency.URGENT: 0, Urgency.SOON: 1, Urgency.INFO: 2}

ANOMALY_AGENDA: dict[AnomalyKind, tuple[AgendaKind, Urgency]] = {
    AnomalyKind.REFUND_OVERDUE: (AgendaKind.REFUND_OVERDUE, Urgency.URGENT),
    AnomalyKind.RECEIVED_NO_REFUND: (AgendaKind.RECEIVED_NO_REFUND, Urgency.SOON),
    AnomalyKind.RETURN_STUCK: (AgendaKind.RETURN_STUCK, Urgency.SOON),
    AnomalyKind.PARCEL_STUCK: (AgendaKind.PARCEL_STUCK, Urgency.SOON),
    AnomalyKind.MERCHANT_LATE: (AgendaKind.ANOMALY, Urgency.INFO),
    AnomalyKind.UNUSUAL_FREQUENCY: (AgendaKind.ANOMALY, Urgency.SOON),
    AnomalyKind.UNUSUAL_AMOUNT: (AgendaKind.ANOMALY, Urgency.SOON),
    AnomalyKind.REFUND_SHORT: (AgendaKind.REFUND_SHORT, Urgency.SOON),
    AnomalyKind.REFUND_LESS_THAN_EXPECTED: (AgendaKind.REFUND_SHORT, Urgency.SOON),
}
ANOMALY_ACTION = {AnomalyKind.REFUND_OVERDUE: "ask_refund", AnomalyKind.RECEIVED_NO_REFUND: "check_refund",
                  AnomalyKind.RETURN_STUCK: "return_stuck", AnomalyKind.PARCEL_STUCK: "parcel_stuck",
                  AnomalyKind.REFUND_SHORT: "refund_short", AnomalyKind.REFUND_LESS_THAN_EXPECTED: "refund_less"}
# Platforms whose name a reader knows; parser names (schema_org, tracking_numbers ...) are never shown.
PLATFORM_NAMES = {"amazon": "Amazon", "ebay": "eBay", "shopify": "Shopify", "aliexpress": "AliExpress",
                  "etsy": "Etsy", "temu": "Temu", "taobao": "淘宝 Taobao", "tmall": "天猫 Tmall", "jd": "京东 JD",
                  "pinduoduo": "拼多多 Pinduoduo", "douyin": "抖音 Douyin", "otto": "OTTO", "zalando": "Zalando"}
PROBLEM_STATUSES = frozenset({"exception", "failed_attempt", "returned_to_sender"})
_ITEMS = ("agenda_items",)  # where the previous run's items are kept (RuleSet.counted)
# the kinds as stored strings, looked up once (an enum member's .value is a property: ~10^5 lookups a run)
_RETURN_WINDOW, _SHIP_BY, _REFUND_DUE = (DeadlineKind.RETURN_WINDOW.value, DeadlineKind.SHIP_BY.value,
                                        DeadlineKind.REFUND_DUE.value)
_MERCHANT_RESPONSE, _AUTO_REFUND = DeadlineKind.MERCHANT_RESPONSE.value, DeadlineKind.AUTO_REFUND.value


def _item_names(order: OrderRow | None, case: CaseRow | None = None) -> tuple[str, ...]:
    if case is not None and case.items_text:
        return tuple(name.strip() for name in case.items_text.split(", ") if name.strip())
    return tuple(item.name for item in order.items) if order is not None else ()


def _order_money(order: OrderRow) -> Money | None:
    return Money(order.total, order.currency) if order.total is not None and order.currency else None


class _Builder:
    """Collects the items; every row it looks at is a plain snapshot row (smartreturn/snapshot.py)."""

    def __init__(self, now: datetime, ctx: RuleContext, weights: Weights,
                 history: Mapping[int, MerchantRecord], snapshot: Snapshot) -> None:
        self.now, self.ctx, self.weights, self.history = now, ctx, weights, history
        self.snap = snapshot
        self.items: list[AgendaItem] = []
        # An item is a pure function of add()'s arguments, the merchant's record and the weights: the
        # previous run's items are kept in the rule set under exactly those, so an unchanged one is
        # reused (kept with the key of the run that made it) instead of being scored and built again.
        previous_weights, previous = ctx.rules.counted.get(_ITEMS, (None, {}))
        self._previous = previous if previous_weights == weights else {}
        self._memo: dict[str, tuple[tuple[Any, ...], AgendaItem]] = {}  # by item key

    def remember(self) -> None:
        """Keep this run's items for the next run (only these: the memo never outgrows a run)."""
        self.ctx.rules.counted[_ITEMS] = (self.weights, self._memo)

    def add(self, *, key: str, kind: AgendaKind, urgency: Urgency, title: str, detail: str = "",
            order: OrderRow | None = None, case: CaseRow | None = None, shipment_id: int | None = None,
            due_on: date | None = None, left: int | None = None, amount: Money | None = None,
            action: str = "") -> None:
        merchant = order.merchant if order is not None else None
        record = self.history.get(merchant.id) if merchant is not None else None
        inputs = (key, kind, urgency, title, detail, order, case, shipment_id, due_on, left, amount, action, record)
        hit = self._previous.get(key)
        if hit is None or hit[0] != inputs:
            hit = (inputs, self._item(inputs))
        self._memo[key] = hit
        self.items.append(hit[1])

    def _item(self, inputs: tuple[Any, ...]) -> AgendaItem:
        key, kind, urgency, title, detail, order, case, shipment_id, due_on, left, amount, action, record = inputs
        merchant = order.merchant if order is not None else None
        priority, factors = score(PriorityInput(
            days_left=left, amount=amount, reason=case.reason_category if case is not None else None,
            late_refunds=record.late if record else 0, refunds=record.refunds if record else 0,
            merchant=merchant.name if merchant else None, platform=order.platform if order else None), self.weights)
        return AgendaItem(
            key=key, kind=kind, urgency=urgency, title=title, detail=detail, priority=priority, factors=factors,
            order_id=order.id if order else None, return_case_id=case.id if case else None, shipment_id=shipment_id,
            platform=order.platform if order else None, merchant=merchant.name if merchant else None,
            order_number=order.order_number if order else None, item_names=_item_names(order, case),
            due_on=due_on, days_left=left, amount=amount, action=action,
            shop=merchant.name if merchant else PLATFORM_NAMES.get(order.platform) if order else None,
            platform_name=PLATFORM_NAMES.get(order.platform) if order else None)

    def windows_closing(self, horizon_days: int = SOON_DAYS) -> None:
        today = self.now.astimezone(self.ctx.tz).date()
        last = today + timedelta(days=horizon_days)
        rows = sorted((d for d in self.snap.deadlines.values()
                       if d.kind == _RETURN_WINDOW and d.return_case_id is None
                       and today <= d.due_on <= last and d.order_id not in self.snap.orders_with_case),
                      key=lambda d: d.id or 0)
        for deadline in rows:
            order = self.snap.orders[deadline.order_id]
            due_on = deadline.due_on
            left = days_left(due_on, self.now, self.ctx.tz)
            stage = "d1" if left <= URGENT_DAYS else "d3" if left <= SOON_DAYS else "d7"
            when = {0: "today", 1: "tomorrow"}.get(left, f"{short_date(due_on)} (in {left} days)")
            assumed = ", delivery date assumed" if deadline.confidence == "assumed" else ""
            self.add(key=f"window_closing:order:{order.id}:{due_on.isoformat()}:{stage}",
                     kind=AgendaKind.WINDOW_CLOSING,
                     urgency=Urgency.URGENT if left <= URGENT_DAYS else Urgency.SOON,
                     title=f"Return window closes {when}",
                     detail=f"last day {due_on.isoformat()} (rule {deadline.rule_id}{assumed})",
                     order=order, due_on=due_on, left=left, amount=_order_money(order), action="return_window")

    def ship_by(self, horizon_days: int) -> None:
        """Send the parcel back by the ship-by day (rule or the shop's own date); overdue says so."""
        cases = {case.id: case for case in self.snap.open_cases}
        rows = sorted((d for d in self.snap.deadlines.values() if d.kind == _SHIP_BY
                       and d.return_case_id in cases), key=lambda d: (d.due_on, d.return_case_id))
        for deadline in rows:
            left = days_left(deadline.due_on, self.now, self.ctx.tz)
            if left > horizon_days:
                continue
            case = cases[deadline.return_case_id]  # type: ignore[index]
            order = self.snap.orders[case.order_id]
            due = short_date(deadline.due_on)
            title = (f"Send the parcel back by {due}" if left >= 0
                     else f"Send the parcel back — due {due}, {-left} day{'s' if left != -1 else ''} late")
            stage = "late" if left < 0 else "d1" if left <= URGENT_DAYS else "d3" if left <= SOON_DAYS else "d7"
            said = " (the shop's own date)" if deadline.confidence == "stated" else ""
            self.add(key=f"ship_by:case:{case.id}:{deadline.due_on.isoformat()}:{stage}", kind=AgendaKind.SHIP_BY,
                     urgency=Urgency.URGENT if left <= URGENT_DAYS else Urgency.SOON, title=title,
                     detail=f"last day {deadline.due_on.isoformat()}{said}", order=order, case=case,
                     due_on=deadline.due_on, left=left, amount=case_amount(case, order), action="send_back")

    def platform_timers(self, horizon_days: int) -> None:
        """The platform decides for the buyer when the shop stays silent: say when, and check after."""
        cases = {case.id: case for case in self.snap.open_cases}
        wording = {_MERCHANT_RESPONSE: ("platform_response", "approves the return if the shop has not answered by",
                                                          "should have approved the return: the shop did not answer by"),
                   _AUTO_REFUND: ("platform_refund", "refunds by itself if the shop has not confirmed receipt by",
                                                    "should have refunded by itself: the shop did not confirm receipt by")}
        # filtered, then sorted (a stable sort: the same order as sorting them all first)
        timers = [d for d in self.snap.deadlines.values() if d.kind in wording and d.return_case_id in cases]
        for deadline in sorted(timers, key=lambda d: (d.due_on, d.return_case_id or 0)):
            left = days_left(deadline.due_on, self.now, self.ctx.tz)
            if left > horizon_days or left < -7:
                continue
            case = cases[deadline.return_case_id]  # type: ignore[index]
            order = self.snap.orders[case.order_id]
            action, before, after = wording[deadline.kind]
            platform = PLATFORM_NAMES.get(order.platform, order.platform)
            title = f"{platform} {before if left >= 0 else after} {short_date(deadline.due_on)}"
            self.add(key=f"{action}:case:{case.id}:{deadline.due_on.isoformat()}:{'after' if left < 0 else 'before'}",
                     kind=AgendaKind.PLATFORM_TIMER, urgency=Urgency.SOON if left < 0 or left <= URGENT_DAYS else Urgency.INFO,
                     title=title, detail=f"platform timer ({deadline.rule_id})", order=order, case=case,
                     due_on=deadline.due_on, left=left, action=action if left >= 0 else action + "_passed")

    def delivery_problems(self) -> None:
        """A parcel that reported a problem today: said the same day, not days later as "not moving"."""
        today = self.now.astimezone(self.ctx.tz).date()
        for parcel in self.snap.active_shipments:
            if parcel.status not in PROBLEM_STATUSES or parcel.last_event_at is None:
                continue
            if parcel.last_event_at.astimezone(self.ctx.tz).date() != today:
                continue
            order = self.snap.orders.get(parcel.order_id) if parcel.order_id else None
            what = "return parcel" if parcel.direction == Direction.RETURN.value else "parcel"
            self.add(key=f"delivery_problem:shipment:{parcel.id}:{today.isoformat()}:{parcel.status}",
                     kind=AgendaKind.DELIVERY_PROBLEM, urgency=Urgency.URGENT,
                     title=f"Delivery problem with the {what} {parcel.carrier} {parcel.tracking_number}: {parcel.status.replace('_', ' ')}",
                     detail="check the carrier's page or call them today", order=order,
                     case=self.snap.case(parcel.return_case_id), shipment_id=parcel.id, action="delivery_problem")

    def _refund_deadlines(self) -> dict[int, date]:
        return {d.return_case_id: d.due_on for d in self.snap.deadlines.values()
                if d.kind == _REFUND_DUE and d.return_case_id is not None}

    def anomalies(self, anomalies: list[Anomaly]) -> None:
        cases = {case.id: case for case in self.snap.open_cases}
        refund_due = self._refund_deadlines()
        orders = self.snap.orders
        for anomaly in anomalies:
            kind, urgency = ANOMALY_AGENDA[anomaly.kind]
            case = cases.get(anomaly.return_case_id) if anomaly.return_case_id else None
            order_id = anomaly.order_id or (case.order_id if case else None)
            order = orders.get(order_id) if order_id else None
            # case anomalies carry the refund deadline: it drives the urgency factor and the digest
            due_on = anomaly.due_on or (refund_due.get(anomaly.return_case_id) if anomaly.return_case_id else None)
            left = days_left(due_on, self.now, self.ctx.tz) if due_on else None
            self.add(key=anomaly.key, kind=kind, urgency=urgency, title=anomaly.title, detail=anomaly.detail,
                     order=order, case=case, shipment_id=anomaly.shipment_id, due_on=due_on, left=left,
                     amount=anomaly.amount, action=ANOMALY_ACTION.get(anomaly.kind, ""))

    def arrived(self) -> None:
        delivered = self.snap.delivered_recently
        for order in delivered:
            self.add(key=f"arrived:order:{order.id}", kind=AgendaKind.ARRIVED, urgency=Urgency.INFO,
                     title="Delivered", detail=f"delivered {order.delivered_at.isoformat()}",  # type: ignore[union-attr]
                     order=order, amount=_order_money(order))
        seen = {order.id for order in delivered}
        for parcel in self.snap.parcels_delivered_recently:
            is_return = parcel.direction == Direction.RETURN.value
            if not is_return and parcel.order_id in seen:
                continue
            order = self.snap.orders.get(parcel.order_id) if parcel.order_id else None
            case = self.snap.case(parcel.return_case_id)
            if order is not None:
                seen.add(order.id)
            self.add(key=f"arrived:shipment:{parcel.id}", kind=AgendaKind.ARRIVED, urgency=Urgency.INFO,
                     title="Return delivered to the merchant" if is_return else "Delivered",
                     detail=f"{parcel.carrier} {parcel.tracking_number}", order=order, case=case,
                     shipment_id=parcel.id)

    def refunded(self) -> None:
        since = self.now - RECENT
        for case in self.snap.refunded_recently:
            if case.refunded_at is None or case.refunded_at <= since:
                continue
            order = self.snap.orders[case.order_id]
            currency = case.currency or order.currency
            amount = Money(case.refunded_amount, currency) if case.refunded_amount is not None and currency else None
            self.add(key=f"refunded:case:{case.id}", kind=AgendaKind.REFUNDED, urgency=Urgency.INFO,
                     title=f"Refunded {amount}" if amount else "Refunded", order=order, case=case, amount=amount)

    def parser_health(self, days: int) -> tuple[tuple[str, int], ...]:
        health = []
        for sender, count, latest in self.snap.unmatched:
            if not self.ctx.rules.is_known_sender(sender):
                continue
            health.append((sender, count))
            latest_day = latest.date().isoformat() if latest else ""
            self.items.append(AgendaItem(
                key=f"parser_health:{sender}:{latest_day}", kind=AgendaKind.PARSER_HEALTH, urgency=Urgency.INFO,
                title=f"{count} mail{'s' if count != 1 else ''} from {sender} not understood",
                detail=f"in the last {days} days; the template may have changed (smartreturn reparse after a fix)"))
        return tuple(sorted(health, key=lambda pair: (-pair[1], pair[0])))


def money_outstanding(snapshot: Snapshot) -> tuple[Money, ...]:
    """Refunds expected but not received, per currency (sorted by currency)."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for case in snapshot.waiting_for_refund():
        money = case_amount(case, snapshot.orders[case.order_id])
        if money is not None:
            totals[money.currency] += money.amount
    return tuple(Money(amount, currency) for currency, amount in sorted(totals.items()) if amount)


def _sort_key(item: AgendaItem) -> tuple[int, float, int, str]:
    return (URGENCY_ORDER[item.urgency], -item.priority, item.days_left if item.days_left is not None else 10**6, item.key)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector for one agenda run.

    A run builds some 10^5 rows that all stay alive until it ends; the generational collector would
    rescan them again and again as they pile up (about a quarter of the run for 10,000 open cases).
    Reference counting still frees everything; only cycle detection waits until the run is over."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def assemble_agenda(snap: Snapshot, now: datetime, settings: Any, ctx: RuleContext,
                    anomalies: list[Anomaly], history: Mapping[int, MerchantRecord]) -> Agenda:
    """The agenda for ``now`` from a snapshot whose deadlines are up to date and the anomalies found in it."""
    with collector_paused():
        builder = _Builder(now, ctx, Weights.from_settings(settings), history, snap)
        horizon = getattr(settings.rules, "agenda_horizon_days", SOON_DAYS)
        builder.windows_closing(horizon)
        builder.ship_by(horizon)
        builder.platform_timers(horizon)
        builder.delivery_problems()
        builder.anomalies(anomalies)
        builder.arrived()
        builder.refunded()
        health = builder.parser_health(settings.rules.parser_health_days)
        builder.remember()
        items: dict[str, AgendaItem] = {}
        for item in builder.items:
            items.setdefault(item.key, item)  # one item per key, whatever found it first
        ordered = tuple(sorted(items.values(), key=_sort_key))
    log.info("agenda: %d items", len(ordered))
    return Agenda(generated_at=now, items=ordered, money_outstanding=money_outstanding(snap), parser_health=health)
