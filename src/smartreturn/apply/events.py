"""What a parsed mail's events do to orders, return cases and parcels (applying them twice changes nothing).

Fields are filled, never blanked: a later mail that lacks a value does not erase what an earlier
mail said. Times only move forward for statuses (out-of-order mail does not reopen a case). The rows
are written through the store's natural-key upserts; a parcel's status goes through the same timeline
merge as provider tracking (:mod:`smartreturn.apply.parcels`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartreturn.apply.parcels import note_verified, record_status
from smartreturn.model import Direction, Event, EventKind, ShipmentStatus
from smartreturn.rules import state_machine
from smartreturn.rules.policies import DeadlineKind
from smartreturn.rules.stated import Statement
from smartreturn.rules.refund_match import OpenReturn, match_refund
from smartreturn.rules.region import infer_region
from smartreturn.stats.reasons import classify as classify_reason
from smartreturn.store.repo import (
    CASE_EVENT_BY_KEY,
    ITEM_BY_KEY,
    OPEN_CASES_WITH_ORDER,
    Lookups,
    find_or_create_case,
    set_changed,
    upsert_merchant,
    upsert_order,
    upsert_shipment,
)
from smartreturn.store.tables import CaseEvent, Message, Order, OrderItem, ReturnCase, Shipment, StatedDeadline

log = logging.getLogger(__name__)

# Mail events that concern a return case. CANCELLED is left out: in a mail it cancels the order.
RETURN_EVENTS = frozenset(state_machine.EVENT_TARGET) - {EventKind.CANCELLED}

# Shipment status implied by an event kind when the mail states none.
KIND_SHIPMENT_STATUS = {
    EventKind.SHIPPED: ShipmentStatus.IN_TRANSIT,
    EventKind.EXCHANGE_SHIPPED: ShipmentStatus.IN_TRANSIT,
    EventKind.OUT_FOR_DELIVERY: ShipmentStatus.OUT_FOR_DELIVERY,
    EventKind.PICKUP_READY: ShipmentStatus.PICKUP_READY,
    EventKind.DELIVERED: ShipmentStatus.DELIVERED,
    EventKind.DELIVERY_EXCEPTION: ShipmentStatus.EXCEPTION,
    EventKind.RETURN_LABEL: ShipmentStatus.INFO_RECEIVED,
    EventKind.RETURN_SHIPPED: ShipmentStatus.IN_TRANSIT,
    EventKind.RETURN_RECEIVED: ShipmentStatus.DELIVERED,
}


@dataclass(frozen=True, slots=True)
class Applied:
    order_ids: tuple[int, ...]
    shipment_ids: tuple[int, ...]
    case_ids: tuple[int, ...]


def apply_events(session: Session, message: Message | int | None, events: list[Event], *,
                 user_note: str | None = None, default_time: datetime, source: str = "mail",
                 fresh: bool = False, case_events: list[dict] | None = None,
                 lookups: Lookups | None = None, statements: Sequence[Statement] = ()) -> Applied:
    """Upsert what ``events`` say; ``message`` (a row or its primary key) is the mail they came from.

    ``fresh``: the message was stored in this transaction and has no case events yet (skips the
    per-event existence check). ``case_events``: append the new case_events rows there (as column
    dicts, for one executemany by the caller) instead of adding them to the session; only for events
    without a refund amount, whose writing reads the case events of other mails. ``lookups``: rows
    read beforehand for these events (:meth:`Lookups.prefetch`), instead of one query per lookup.
    """
    message_pk = message.id if isinstance(message, Message) else message
    order_ids: list[int] = []
    shipment_ids: list[int] = []
    case_ids: list[int] = []
    for seq, event in enumerate(events):
        when = event.occurred_at or default_time
        order = _apply_order(session, event, when, lookups) if event.order_number else None
        linked = _refunded_case(session, event) if order is None else None  # 微信支付/bank refund notices
        if linked is not None:
            order = linked.order
        case = None
        if order is not None and (event.kind in RETURN_EVENTS or event.return_case_number):
            case = _apply_case(session, order, event, when, user_note, message_pk, lookups, linked)
        shipments = [_apply_shipment(session, event, ref, when, order, case, message_pk, lookups)
                     for ref in event.tracking]
        if order is not None:
            order_ids.append(order.id)
        if case is not None:
            case_ids.append(case.id)
        shipment_ids.extend(s.id for s in shipments)
        if message_pk is not None and (fresh or session.scalar(
                CASE_EVENT_BY_KEY, {"message_id": message_pk, "seq": seq}) is None):
            row = {
                "message_id": message_pk, "seq": seq, "kind": event.kind.value, "occurred_at": when,
                "order_id": order.id if order else None, "return_case_id": case.id if case else None,
                "shipment_id": shipments[0].id if shipments else None, "detail": _detail(event),
                "amount": event.refund_amount.amount if is_paid_refund(event) else None,
                "currency": event.refund_amount.currency if is_paid_refund(event) else None, "source": source}
            if case_events is None:
                session.add(CaseEvent(**row))
            else:
                case_events.append(row)
    _record_statements(session, message_pk, events, statements, default_time, order_ids, case_ids)
    if lookups is None:
        session.flush()
    return Applied(tuple(dict.fromkeys(order_ids)), tuple(dict.fromkeys(shipment_ids)), tuple(dict.fromkeys(case_ids)))


def _record_statements(session: Session, message_pk: int | None, events: list[Event], statements: Sequence[Statement],
                       sent: datetime, order_ids: list[int], case_ids: list[int]) -> None:
    """Dates the merchant stated (in the text, or as a parser's ``return_by``) become evidence for the
    order or return case the mail is about: a ship-by date needs a case, else it is the return window."""
    found = list(statements)
    for event in events:
        return_by = dict(event.extra).get("return_by")
        if return_by and not any(s.kind == DeadlineKind.RETURN_WINDOW for s in found):
            try:
                due = date.fromisoformat(return_by[:10])
            except ValueError:
                continue
            kind = DeadlineKind.SHIP_BY if event.kind in RETURN_EVENTS else DeadlineKind.RETURN_WINDOW
            found.append(Statement(kind, due, f"return by {due.isoformat()} ({event.platform} mail)"))
    if not found or not order_ids:
        return
    order_id, case_id = order_ids[-1], case_ids[-1] if case_ids else None
    for statement in found:
        kind = statement.kind
        if kind is DeadlineKind.SHIP_BY and case_id is None:
            kind = DeadlineKind.RETURN_WINDOW
        target_case = case_id if kind is not DeadlineKind.RETURN_WINDOW else None
        exists = session.scalar(select(StatedDeadline.id).where(
            StatedDeadline.kind == kind.value, StatedDeadline.order_id == order_id,
            StatedDeadline.return_case_id.is_(None) if target_case is None else StatedDeadline.return_case_id == target_case,
            StatedDeadline.message_id.is_(None) if message_pk is None else StatedDeadline.message_id == message_pk))
        if exists is None:
            session.add(StatedDeadline(kind=kind.value, order_id=order_id, return_case_id=target_case,
                                       due_on=statement.due_on, message_id=message_pk, quote=statement.quote[:300],
                                       stated_at=sent))


def _detail(event: Event) -> str | None:
    parts = [event.detail] if event.detail else []
    if event.pickup_code:
        extra = dict(event.extra)
        where = extra.get("pickup_location")
        parts.append(f"pickup code {event.pickup_code}" + (f" at {where}" if where else ""))
    if event.tracking:
        parts.append(", ".join(f"{t.carrier or '?'} {t.number}" for t in event.tracking))
    if event.refund_amount:
        parts.append(f"refund {event.refund_amount}")
    if event.return_reason:
        parts.append(f"reason: {event.return_reason}")
    return "; ".join(parts) or None


def _apply_order(session: Session, event: Event, when: datetime, lookups: Lookups | None = None) -> Order:
    order = upsert_order(session, event.platform, event.order_number or "", lookups)
    if event.merchant:
        merchant = upsert_merchant(session, event.platform, event.merchant, event.merchant_email, lookups)
        set_changed(order, merchant_id=order.merchant_id or merchant.id)
    if event.kind == EventKind.ORDER_PLACED and (order.order_date is None or when < order.order_date):
        order.order_date = when
    if event.total is not None and (order.total is None or event.kind == EventKind.ORDER_PLACED):
        set_changed(order, total=event.total.amount, currency=event.total.currency)
    known_items = lookups.items.get(order.id) if lookups is not None else None
    for item in event.items:
        if known_items is not None:
            row = known_items.get(item.name[:500])
        else:
            row = session.scalar(ITEM_BY_KEY, {"order_id": order.id, "name": item.name[:500]})
        if row is None:
            row = OrderItem(order_id=order.id, name=item.name[:500], quantity=item.quantity)
            session.add(row)
            if known_items is not None:
                known_items[row.name] = row
        if item.price is not None and row.unit_price is None:
            row.unit_price = item.price.amount
            row.currency = item.price.currency
            order.currency = order.currency or item.price.currency
        if item.sku and not row.sku:
            row.sku = item.sku
    if order.region is None:
        set_changed(order, region=infer_region(order.platform, event.merchant, order.currency))
    if event.kind == EventKind.DELIVERED and not any(t.direction == Direction.RETURN for t in event.tracking):
        order.delivered_at = order.delivered_at or when
    if event.kind == EventKind.CANCELLED or order.status != EventKind.CANCELLED.value:
        set_changed(order, status=event.kind.value if event.kind not in RETURN_EVENTS else order.status)
    if lookups is None:
        session.flush()
    return order


def _refunded_case(session: Session, event: Event) -> ReturnCase | None:
    """The open return a refund notice without an order number pays back (rules/refund_match.py)."""
    if event.kind is not EventKind.REFUND_ISSUED or event.refund_amount is None:
        return None
    rows = session.execute(OPEN_CASES_WITH_ORDER).all()
    candidates = [OpenReturn(case.id, case.expected_refund if case.expected_refund is not None else order.total,
                             case.currency or order.currency, order.platform, merchant)
                  for case, order, merchant in rows]
    case_id = match_refund(event.refund_amount.amount, event.refund_amount.currency, event.merchant, candidates)
    return next((case for case, _order, _merchant in rows if case.id == case_id), None) if case_id else None


def _apply_case(session: Session, order: Order, event: Event, when: datetime, user_note: str | None,
                message_pk: int | None, lookups: Lookups | None = None, case: ReturnCase | None = None) -> ReturnCase:
    case = case or find_or_create_case(session, order, event.return_case_number, event.return_kind, lookups)
    if event.kind is not EventKind.REFUND_ISSUED or is_paid_refund(event) or event.refund_amount is None:
        set_changed(case, status=state_machine.apply(case.status, event.kind, case.kind).value)  # forward-only (rules/state_machine.py)
    date_field = state_machine.TIMESTAMP_FIELD.get(state_machine.EVENT_TARGET[event.kind]) \
        if event.kind in RETURN_EVENTS else None
    if date_field and getattr(case, date_field) is None:
        setattr(case, date_field, when)
    if state_machine.is_final(case.status):
        set_changed(case, closed_at=case.closed_at or when)
    reason = event.return_reason or (user_note if event.kind in RETURN_EVENTS else None)
    if reason and not case.reason_user_set and not case.reason_text:
        case.reason_text = reason
        case.reason_source = "mail" if event.return_reason else "note"
        guess = classify_reason(reason)
        case.reason_category, case.reason_confidence = guess.category.value, guess.confidence
    if event.refund_amount is not None and not is_paid_refund(event):
        # an amount stated before the money moved ("Voraussichtliche Erstattung", 退款金额 in a request):
        # what the merchant expects to pay back, never a refund; the user's own figure wins
        if case.expected_source != "cli":
            set_changed(case, expected_refund=event.refund_amount.amount, expected_source="stated",
                        currency=case.currency or event.refund_amount.currency)
    elif event.refund_amount is not None:
        # partial refunds add up: the refunds other mails reported, plus this one
        earlier = session.scalars(select(CaseEvent.amount).where(
            CaseEvent.return_case_id == case.id, CaseEvent.kind == EventKind.REFUND_ISSUED.value,
            CaseEvent.currency == event.refund_amount.currency,
            CaseEvent.message_id != message_pk if message_pk is not None else True)).all()
        set_changed(case, refunded_amount=sum((a or Decimal(0) for a in earlier), Decimal(0)) + event.refund_amount.amount,
             currency=case.currency or event.refund_amount.currency)
    if event.return_shipping_cost is not None and case.return_shipping_cost is None:
        case.return_shipping_cost = event.return_shipping_cost.amount
        case.currency = case.currency or event.return_shipping_cost.currency
    if event.items and not case.items_text:
        case.items_text = ", ".join(i.name for i in event.items)
    if case.expected_refund is None:
        expected = _expected_refund(event, order)
        if expected is not None:
            set_changed(case, expected_refund=expected, expected_source="paid")
    if event.merchant_email and order.merchant is not None and not order.merchant.support_email:
        order.merchant.support_email = event.merchant_email
    if lookups is None:
        session.flush()
    return case


# Words that mark a stated amount as expected, not paid (also in a "refund" mail: "will be refunded").
EXPECTED_WORDS = ("voraussichtlich", "expected", "estimated", "will be refunded", "wird erstattet",
                  "预计", "将退", "应退", "待退款", "退款中")


def is_paid_refund(event: Event) -> bool:
    """Money that moved: a refund_issued event whose amount is not announced as expected."""
    if event.kind is not EventKind.REFUND_ISSUED or event.refund_amount is None:
        return False
    if dict(event.extra).get("refund_expected") in ("1", "true", "yes"):
        return False
    text = (event.detail or "").casefold()
    return not any(word in text for word in EXPECTED_WORDS)


def _expected_refund(event: Event, order: Order) -> Decimal | None:
    priced = [i for i in event.items if i.price is not None]
    if priced:
        return sum((i.price.amount * i.quantity for i in priced), Decimal(0))  # type: ignore[union-attr]
    return order.total


def _apply_shipment(session: Session, event: Event, ref, when: datetime, order: Order | None,
                    case: ReturnCase | None, message_pk: int | None, lookups: Lookups | None = None) -> Shipment:
    shipment = upsert_shipment(session, ref.number, ref.carrier, lookups)
    note_verified(shipment, ref.verified)
    is_return = ref.direction == Direction.RETURN
    set_changed(shipment, direction=Direction.RETURN.value if is_return else shipment.direction or Direction.OUTBOUND.value)
    if order is not None and shipment.order_id is None:
        shipment.order_id = order.id
    if is_return and case is not None and shipment.return_case_id is None:
        shipment.return_case_id = case.id
    if event.expected_delivery and shipment.expected_delivery is None:
        shipment.expected_delivery = event.expected_delivery
    if event.pickup_code:
        set_changed(shipment, pickup_code=event.pickup_code)
    if event.kind in (EventKind.SHIPPED, EventKind.RETURN_SHIPPED, EventKind.EXCHANGE_SHIPPED) and shipment.shipped_at is None:
        shipment.shipped_at = when
    status = event.shipment_status or KIND_SHIPMENT_STATUS.get(event.kind)
    if status is not None:
        # the same timeline merge as provider tracking (a return parcel delivered starts the refund clock)
        record_status(session, shipment, status, when, source="mail", message_id=message_pk, description=event.detail,
                      known=lookups.tracking.get(shipment.id) if lookups is not None else None,
                      flush=lookups is None)
    return shipment
