"""Writes as upserts on natural keys: applying the same parsed events twice changes nothing.

Fields are filled, never blanked: a later mail that lacks a value does not erase what an earlier
mail said. Times only move forward for statuses (out-of-order mail does not reopen a case).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartreturn.rules.region import infer_region
from smartreturn.stats.reasons import classify as classify_reason
from smartreturn.model import Direction, Event, EventKind, ReturnKind, ReturnStatus, ShipmentStatus
from smartreturn.rules import state_machine
from smartreturn.store.tables import (
    CaseEvent,
    Merchant,
    Message,
    Order,
    OrderItem,
    ReturnCase,
    Shipment,
    TrackingEvent,
)

log = logging.getLogger(__name__)

RETURN_EVENTS = {
    EventKind.RETURN_REQUESTED: ReturnStatus.REQUESTED,
    EventKind.RETURN_APPROVED: ReturnStatus.APPROVED,
    EventKind.RETURN_REJECTED: ReturnStatus.REJECTED,
    EventKind.RETURN_LABEL: ReturnStatus.LABEL_ISSUED,
    EventKind.RETURN_SHIPPED: ReturnStatus.SHIPPED,
    EventKind.RETURN_RECEIVED: ReturnStatus.RECEIVED,
    EventKind.REFUND_ISSUED: ReturnStatus.REFUNDED,
    EventKind.EXCHANGE_SHIPPED: ReturnStatus.EXCHANGE_SHIPPED,
}

# The date column of a return case each event fills.
CASE_DATE_FIELD = {
    EventKind.RETURN_REQUESTED: "requested_at",
    EventKind.RETURN_APPROVED: "approved_at",
    EventKind.RETURN_LABEL: "label_at",
    EventKind.RETURN_SHIPPED: "shipped_at",
    EventKind.RETURN_RECEIVED: "received_at",
    EventKind.REFUND_ISSUED: "refunded_at",
}

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


def upsert_merchant(session: Session, platform: str, name: str, support_email: str | None = None) -> Merchant:
    merchant = session.scalar(select(Merchant).where(Merchant.platform == platform, Merchant.name == name))
    if merchant is None:
        merchant = Merchant(platform=platform, name=name)
        session.add(merchant)
    if support_email and not merchant.support_email:
        merchant.support_email = support_email
    session.flush()
    return merchant


def upsert_order(session: Session, platform: str, order_number: str) -> Order:
    order = session.scalar(select(Order).where(Order.platform == platform, Order.order_number == order_number))
    if order is None:
        order = Order(platform=platform, order_number=order_number, status=EventKind.ORDER_PLACED.value)
        session.add(order)
        session.flush()
    return order


def upsert_shipment(session: Session, number: str, carrier: str | None) -> Shipment:
    """Found by number (a carrier learned later fills in 'unknown'); created if new."""
    number = number.strip().upper()
    candidates = session.scalars(select(Shipment).where(Shipment.tracking_number == number)).all()
    match = next((s for s in candidates if carrier and s.carrier == carrier), None)
    match = match or next((s for s in candidates if s.carrier == "unknown" or not carrier), None)
    if match is None:
        match = Shipment(tracking_number=number, carrier=carrier or "unknown", status=ShipmentStatus.PENDING.value)
        session.add(match)
        session.flush()
    elif carrier and match.carrier == "unknown":
        match.carrier = carrier
    return match


def find_or_create_case(session: Session, order: Order, case_number: str | None, kind: ReturnKind | None) -> ReturnCase:
    cases = session.scalars(select(ReturnCase).where(ReturnCase.order_id == order.id)).all()
    case = None
    if case_number:
        case = next((c for c in cases if c.case_number == case_number), None)
        if case is None:  # adopt the order's unnumbered case if a later mail names it
            case = next((c for c in cases if c.case_number == ""), None)
            if case is not None:
                case.case_number = case_number
    else:
        open_cases = [c for c in cases if c.closed_at is None]
        case = open_cases[0] if len(open_cases) == 1 else next((c for c in cases if c.case_number == ""), None)
    if case is None:
        case = ReturnCase(order_id=order.id, case_number=case_number or "", kind=(kind or ReturnKind.RETURN).value,
                          status=ReturnStatus.REQUESTED.value, currency=order.currency)
        session.add(case)
        session.flush()
    elif kind and kind != ReturnKind.RETURN:
        case.kind = kind.value
    return case


def add_tracking_event(session: Session, shipment: Shipment, status: ShipmentStatus, occurred_at: datetime,
                       *, source: str, description: str | None = None, location: str | None = None,
                       raw_code: str | None = None, message_pk: int | None = None) -> bool:
    """Insert one timeline event unless (shipment, status, time) is known; update the shipment."""
    exists = session.scalar(select(TrackingEvent.id).where(
        TrackingEvent.shipment_id == shipment.id, TrackingEvent.status == status.value,
        TrackingEvent.occurred_at == occurred_at))
    if exists is None:
        session.add(TrackingEvent(shipment_id=shipment.id, status=status.value, occurred_at=occurred_at,
                                  description=description, location=location, source=source,
                                  raw_code=raw_code, message_id=message_pk))
    if shipment.last_event_at is None or occurred_at >= shipment.last_event_at:
        shipment.last_event_at = occurred_at
        shipment.status = status.value
        shipment.stuck = False
    if status == ShipmentStatus.DELIVERED and shipment.delivered_at is None:
        shipment.delivered_at = occurred_at
    session.flush()
    return exists is None


def apply_events(session: Session, message: Message | None, events: list[Event], *,
                 user_note: str | None = None, default_time: datetime, source: str = "mail") -> Applied:
    order_ids: list[int] = []
    shipment_ids: list[int] = []
    case_ids: list[int] = []
    for seq, event in enumerate(events):
        when = event.occurred_at or default_time
        order = _apply_order(session, event, when) if event.order_number else None
        case = None
        if order is not None and (event.kind in RETURN_EVENTS or event.return_case_number):
            case = _apply_case(session, order, event, when, user_note, message.id if message else None)
        shipments = [_apply_shipment(session, event, ref, when, order, case, message) for ref in event.tracking]
        if order is not None:
            order_ids.append(order.id)
        if case is not None:
            case_ids.append(case.id)
        shipment_ids.extend(s.id for s in shipments)
        if message is not None and session.scalar(select(CaseEvent.id).where(
                CaseEvent.message_id == message.id, CaseEvent.seq == seq)) is None:
            session.add(CaseEvent(
                message_id=message.id, seq=seq, kind=event.kind.value, occurred_at=when,
                order_id=order.id if order else None, return_case_id=case.id if case else None,
                shipment_id=shipments[0].id if shipments else None, detail=_detail(event),
                amount=event.refund_amount.amount if event.refund_amount else None,
                currency=event.refund_amount.currency if event.refund_amount else None, source=source))
    session.flush()
    return Applied(tuple(dict.fromkeys(order_ids)), tuple(dict.fromkeys(shipment_ids)), tuple(dict.fromkeys(case_ids)))


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


def _apply_order(session: Session, event: Event, when: datetime) -> Order:
    order = upsert_order(session, event.platform, event.order_number or "")
    if event.merchant:
        merchant = upsert_merchant(session, event.platform, event.merchant, event.merchant_email)
        order.merchant_id = order.merchant_id or merchant.id
    if event.kind == EventKind.ORDER_PLACED and (order.order_date is None or when < order.order_date):
        order.order_date = when
    if event.total is not None and (order.total is None or event.kind == EventKind.ORDER_PLACED):
        order.total = event.total.amount
        order.currency = event.total.currency
    for item in event.items:
        row = session.scalar(select(OrderItem).where(OrderItem.order_id == order.id, OrderItem.name == item.name[:500]))
        if row is None:
            row = OrderItem(order_id=order.id, name=item.name[:500], quantity=item.quantity)
            session.add(row)
        if item.price is not None and row.unit_price is None:
            row.unit_price = item.price.amount
            row.currency = item.price.currency
            order.currency = order.currency or item.price.currency
        if item.sku and not row.sku:
            row.sku = item.sku
    if order.region is None:
        order.region = infer_region(order.platform, event.merchant, order.currency)
    if event.kind == EventKind.DELIVERED and not any(t.direction == Direction.RETURN for t in event.tracking):
        order.delivered_at = order.delivered_at or when
    if event.kind == EventKind.CANCELLED or order.status != EventKind.CANCELLED.value:
        order.status = event.kind.value if event.kind not in RETURN_EVENTS else order.status
    session.flush()
    return order


def _apply_case(session: Session, order: Order, event: Event, when: datetime, user_note: str | None,
                message_pk: int | None) -> ReturnCase:
    case = find_or_create_case(session, order, event.return_case_number, event.return_kind)
    case.status = state_machine.apply(case.status, event.kind, case.kind).value  # forward-only (rules/state_machine.py)
    field = CASE_DATE_FIELD.get(event.kind)
    if field and getattr(case, field) is None:
        setattr(case, field, when)
    if state_machine.is_final(case.status):
        case.closed_at = case.closed_at or when
    reason = event.return_reason or (user_note if event.kind in RETURN_EVENTS else None)
    if reason and not case.reason_user_set and not case.reason_text:
        case.reason_text = reason
        case.reason_source = "mail" if event.return_reason else "note"
        guess = classify_reason(reason)
        case.reason_category, case.reason_confidence = guess.category.value, guess.confidence
    if event.refund_amount is not None:
        # partial refunds add up: the refunds other mails reported, plus this one
        earlier = session.scalars(select(CaseEvent.amount).where(
            CaseEvent.return_case_id == case.id, CaseEvent.kind == EventKind.REFUND_ISSUED.value,
            CaseEvent.currency == event.refund_amount.currency,
            CaseEvent.message_id != message_pk if message_pk is not None else True)).all()
        case.refunded_amount = sum((a or Decimal(0) for a in earlier), Decimal(0)) + event.refund_amount.amount
        case.currency = case.currency or event.refund_amount.currency
    if event.return_shipping_cost is not None and case.return_shipping_cost is None:
        case.return_shipping_cost = event.return_shipping_cost.amount
        case.currency = case.currency or event.return_shipping_cost.currency
    if event.items and not case.items_text:
        case.items_text = ", ".join(i.name for i in event.items)
    if case.expected_refund is None:
        case.expected_refund = _expected_refund(event, order)
    if event.merchant_email and order.merchant is not None and not order.merchant.support_email:
        order.merchant.support_email = event.merchant_email
    session.flush()
    return case


def _expected_refund(event: Event, order: Order) -> Decimal | None:
    priced = [i for i in event.items if i.price is not None]
    if priced:
        return sum((i.price.amount * i.quantity for i in priced), Decimal(0))  # type: ignore[union-attr]
    return order.total


def _apply_shipment(session: Session, event: Event, ref, when: datetime, order: Order | None,
                    case: ReturnCase | None, message: Message | None) -> Shipment:
    shipment = upsert_shipment(session, ref.number, ref.carrier)
    is_return = ref.direction == Direction.RETURN
    shipment.direction = Direction.RETURN.value if is_return else shipment.direction or Direction.OUTBOUND.value
    if order is not None and shipment.order_id is None:
        shipment.order_id = order.id
    if is_return and case is not None and shipment.return_case_id is None:
        shipment.return_case_id = case.id
    if event.expected_delivery and shipment.expected_delivery is None:
        shipment.expected_delivery = event.expected_delivery
    if event.pickup_code:
        shipment.pickup_code = event.pickup_code
    if event.kind in (EventKind.SHIPPED, EventKind.RETURN_SHIPPED, EventKind.EXCHANGE_SHIPPED) and shipment.shipped_at is None:
        shipment.shipped_at = when
    status = event.shipment_status or KIND_SHIPMENT_STATUS.get(event.kind)
    if status is not None:
        add_tracking_event(session, shipment, status, when, source="mail", description=event.detail,
                           message_pk=message.id if message else None)
    return shipment
