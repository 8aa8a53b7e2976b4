"""Writes as upserts on natural keys: applying the same parsed events twice changes nothing.

Fields are filled, never blanked: a later mail that lacks a value does not erase what an earlier
mail said. Times only move forward for statuses (out-of-order mail does not reopen a case).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, select, tuple_
from sqlalchemy.orm import Session

from smartreturn.model import (
    Direction,
    Event,
    EventKind,
    ReturnKind,
    ReturnStatus,
    ShipmentStatus,
)
from smartreturn.rules import state_machine
from smartreturn.rules.refund_match import OpenReturn, match_refund
from smartreturn.rules.region import infer_region
from smartreturn.stats.reasons import classify as classify_reason
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
from smartreturn.tracking.timeline import record_status

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

# Lookups by natural key, built once: building and cache-keying a select() per call cost more than
# running it (ingest does several per mail).
_MERCHANT_BY_KEY = select(Merchant).where(Merchant.platform == bindparam("platform"), Merchant.name == bindparam("name"))
_ORDER_BY_KEY = select(Order).where(Order.platform == bindparam("platform"), Order.order_number == bindparam("number"))
_SHIPMENTS_BY_NUMBER = select(Shipment).where(Shipment.tracking_number == bindparam("number"))
_CASES_OF_ORDER = select(ReturnCase).where(ReturnCase.order_id == bindparam("order_id"))
_OPEN_CASES = (select(ReturnCase, Order, Merchant.name).join(Order, ReturnCase.order_id == Order.id)
               .outerjoin(Merchant, Order.merchant_id == Merchant.id).where(ReturnCase.closed_at.is_(None))
               .order_by(ReturnCase.id))
_ITEM_BY_KEY = select(OrderItem).where(OrderItem.order_id == bindparam("order_id"), OrderItem.name == bindparam("name"))
_CASE_EVENT = select(CaseEvent.id).where(CaseEvent.message_id == bindparam("message_id"), CaseEvent.seq == bindparam("seq"))


def _set(row: object, **values: object) -> None:
    """Assign only what changes: an equal assignment still marks the row dirty and costs a flush."""
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


@dataclass(slots=True)
class Lookups:
    """Rows that a batch of events touches, read with one query per table before writing them.

    A key present in a dict is authoritative (a value of None / an empty collection means "not in
    the database"); rows created while the batch is written are added, so later events find them.
    Valid inside one transaction and savepoint only: discard it when that savepoint is rolled back.
    With lookups, :func:`apply_events` also leaves its updates to the next flush instead of flushing
    after each step (nothing in between reads them back with a query).
    """

    merchants: dict[tuple[str, str], Merchant | None] = field(default_factory=dict)
    orders: dict[tuple[str, str], Order | None] = field(default_factory=dict)
    shipments: dict[str, list[Shipment]] = field(default_factory=dict)          # by tracking number
    items: dict[int, dict[str, OrderItem]] = field(default_factory=dict)        # order id -> name -> item
    cases: dict[int, list[ReturnCase]] = field(default_factory=dict)            # order id -> its cases
    tracking: dict[int, set[tuple[str, datetime]]] = field(default_factory=dict)  # shipment id -> (status, time)

    @classmethod
    def prefetch(cls, session: Session, events: list[Event]) -> Lookups:
        found = cls()
        orders = {(e.platform, e.order_number) for e in events if e.order_number}
        merchants = {(e.platform, e.merchant) for e in events if e.order_number and e.merchant}
        numbers = {ref.number.strip().upper() for e in events for ref in e.tracking}
        found.orders = dict.fromkeys(orders)
        found.merchants = dict.fromkeys(merchants)
        found.shipments = {number: [] for number in numbers}
        for keys, model, columns, into in ((orders, Order, (Order.platform, Order.order_number), found.orders),
                                           (merchants, Merchant, (Merchant.platform, Merchant.name), found.merchants)):
            for chunk in _chunks(sorted(keys)):
                for row in session.scalars(select(model).where(tuple_(*columns).in_(chunk))):
                    into[(row.platform, getattr(row, columns[1].key))] = row
        for chunk in _chunks(sorted(numbers)):
            for shipment in session.scalars(select(Shipment).where(Shipment.tracking_number.in_(chunk))
                                            .order_by(Shipment.id)):
                found.shipments[shipment.tracking_number].append(shipment)
        order_ids = sorted(o.id for o in found.orders.values() if o is not None)
        found.items = {pk: {} for pk in order_ids}
        found.cases = {pk: [] for pk in order_ids}
        for chunk in _chunks(order_ids):
            for item in session.scalars(select(OrderItem).where(OrderItem.order_id.in_(chunk)).order_by(OrderItem.id)):
                found.items[item.order_id].setdefault(item.name, item)
            for case in session.scalars(select(ReturnCase).where(ReturnCase.order_id.in_(chunk)).order_by(ReturnCase.id)):
                found.cases[case.order_id].append(case)
        shipment_ids = sorted(s.id for rows in found.shipments.values() for s in rows)
        found.tracking = {pk: set() for pk in shipment_ids}
        for chunk in _chunks(shipment_ids):
            rows = session.execute(select(TrackingEvent.shipment_id, TrackingEvent.status, TrackingEvent.occurred_at)
                                   .where(TrackingEvent.shipment_id.in_(chunk)))
            for shipment_id, status, occurred_at in rows:
                found.tracking[shipment_id].add((status, occurred_at))
        return found


def _chunks(values: list, size: int = 500) -> list[list]:
    return [values[start:start + size] for start in range(0, len(values), size)]


@dataclass(frozen=True, slots=True)
class Applied:
    order_ids: tuple[int, ...]
    shipment_ids: tuple[int, ...]
    case_ids: tuple[int, ...]


def upsert_merchant(session: Session, platform: str, name: str, support_email: str | None = None,
                    lookups: Lookups | None = None) -> Merchant:
    if lookups is not None and (platform, name) in lookups.merchants:
        merchant = lookups.merchants[(platform, name)]
    else:
        merchant = session.scalar(_MERCHANT_BY_KEY, {"platform": platform, "name": name})
    if merchant is None:
        merchant = Merchant(platform=platform, name=name)
        session.add(merchant)
        if lookups is not None:
            lookups.merchants[(platform, name)] = merchant
    if support_email and not merchant.support_email:
        merchant.support_email = support_email
    if merchant.id is None:
        session.flush()
    return merchant


def upsert_order(session: Session, platform: str, order_number: str, lookups: Lookups | None = None) -> Order:
    if lookups is not None and (platform, order_number) in lookups.orders:
        order = lookups.orders[(platform, order_number)]
    else:
        order = session.scalar(_ORDER_BY_KEY, {"platform": platform, "number": order_number})
    if order is None:
        order = Order(platform=platform, order_number=order_number, status=EventKind.ORDER_PLACED.value)
        session.add(order)
        session.flush()
        if lookups is not None:
            lookups.orders[(platform, order_number)] = order
            lookups.items[order.id], lookups.cases[order.id] = {}, []
    return order


def upsert_shipment(session: Session, number: str, carrier: str | None, lookups: Lookups | None = None) -> Shipment:
    """Found by number (a carrier learned later fills in 'unknown'); created if new."""
    number = number.strip().upper()
    if lookups is not None and number in lookups.shipments:
        candidates = lookups.shipments[number]
    else:
        candidates = session.scalars(_SHIPMENTS_BY_NUMBER, {"number": number}).all()
    match = next((s for s in candidates if carrier and s.carrier == carrier), None)
    match = match or next((s for s in candidates if s.carrier == "unknown" or not carrier), None)
    if match is None:
        match = Shipment(tracking_number=number, carrier=carrier or "unknown", status=ShipmentStatus.PENDING.value)
        session.add(match)
        session.flush()
        if lookups is not None:
            lookups.shipments.setdefault(number, []).append(match)
            lookups.tracking[match.id] = set()
    elif carrier and match.carrier == "unknown":
        match.carrier = carrier
    return match


def find_or_create_case(session: Session, order: Order, case_number: str | None, kind: ReturnKind | None,
                        lookups: Lookups | None = None) -> ReturnCase:
    if lookups is not None and order.id in lookups.cases:
        cases = lookups.cases[order.id]
    else:
        cases = session.scalars(_CASES_OF_ORDER, {"order_id": order.id}).all()
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
        if lookups is not None:
            lookups.cases.setdefault(order.id, []).append(case)
    elif kind and kind != ReturnKind.RETURN:
        _set(case, kind=kind.value)
    return case


def apply_events(session: Session, message: Message | int | None, events: list[Event], *,
                 user_note: str | None = None, default_time: datetime, source: str = "mail",
                 fresh: bool = False, case_events: list[dict] | None = None,
                 lookups: Lookups | None = None) -> Applied:
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
                _CASE_EVENT, {"message_id": message_pk, "seq": seq}) is None):
            row = {
                "message_id": message_pk, "seq": seq, "kind": event.kind.value, "occurred_at": when,
                "order_id": order.id if order else None, "return_case_id": case.id if case else None,
                "shipment_id": shipments[0].id if shipments else None, "detail": _detail(event),
                "amount": event.refund_amount.amount if event.refund_amount else None,
                "currency": event.refund_amount.currency if event.refund_amount else None, "source": source}
            if case_events is None:
                session.add(CaseEvent(**row))
            else:
                case_events.append(row)
    if lookups is None:
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


def _apply_order(session: Session, event: Event, when: datetime, lookups: Lookups | None = None) -> Order:
    order = upsert_order(session, event.platform, event.order_number or "", lookups)
    if event.merchant:
        merchant = upsert_merchant(session, event.platform, event.merchant, event.merchant_email, lookups)
        _set(order, merchant_id=order.merchant_id or merchant.id)
    if event.kind == EventKind.ORDER_PLACED and (order.order_date is None or when < order.order_date):
        order.order_date = when
    if event.total is not None and (order.total is None or event.kind == EventKind.ORDER_PLACED):
        _set(order, total=event.total.amount, currency=event.total.currency)
    known_items = lookups.items.get(order.id) if lookups is not None else None
    for item in event.items:
        if known_items is not None:
            row = known_items.get(item.name[:500])
        else:
            row = session.scalar(_ITEM_BY_KEY, {"order_id": order.id, "name": item.name[:500]})
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
        _set(order, region=infer_region(order.platform, event.merchant, order.currency))
    if event.kind == EventKind.DELIVERED and not any(t.direction == Direction.RETURN for t in event.tracking):
        order.delivered_at = order.delivered_at or when
    if event.kind == EventKind.CANCELLED or order.status != EventKind.CANCELLED.value:
        _set(order, status=event.kind.value if event.kind not in RETURN_EVENTS else order.status)
    if lookups is None:
        session.flush()
    return order


def _refunded_case(session: Session, event: Event) -> ReturnCase | None:
    """The open return a refund notice without an order number pays back (rules/refund_match.py)."""
    if event.kind is not EventKind.REFUND_ISSUED or event.refund_amount is None:
        return None
    rows = session.execute(_OPEN_CASES).all()
    candidates = [OpenReturn(case.id, case.expected_refund if case.expected_refund is not None else order.total,
                             case.currency or order.currency, order.platform, merchant)
                  for case, order, merchant in rows]
    case_id = match_refund(event.refund_amount.amount, event.refund_amount.currency, event.merchant, candidates)
    return next((case for case, _order, _merchant in rows if case.id == case_id), None) if case_id else None


def _apply_case(session: Session, order: Order, event: Event, when: datetime, user_note: str | None,
                message_pk: int | None, lookups: Lookups | None = None, case: ReturnCase | None = None) -> ReturnCase:
    case = case or find_or_create_case(session, order, event.return_case_number, event.return_kind, lookups)
    _set(case, status=state_machine.apply(case.status, event.kind, case.kind).value)  # forward-only (rules/state_machine.py)
    date_field = state_machine.TIMESTAMP_FIELD.get(state_machine.EVENT_TARGET[event.kind]) \
        if event.kind in RETURN_EVENTS else None
    if date_field and getattr(case, date_field) is None:
        setattr(case, date_field, when)
    if state_machine.is_final(case.status):
        _set(case, closed_at=case.closed_at or when)
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
        _set(case, refunded_amount=sum((a or Decimal(0) for a in earlier), Decimal(0)) + event.refund_amount.amount,
             currency=case.currency or event.refund_amount.currency)
    if event.return_shipping_cost is not None and case.return_shipping_cost is None:
        case.return_shipping_cost = event.return_shipping_cost.amount
        case.currency = case.currency or event.return_shipping_cost.currency
    if event.items and not case.items_text:
        case.items_text = ", ".join(i.name for i in event.items)
    if case.expected_refund is None:
        _set(case, expected_refund=_expected_refund(event, order))
    if event.merchant_email and order.merchant is not None and not order.merchant.support_email:
        order.merchant.support_email = event.merchant_email
    if lookups is None:
        session.flush()
    return case


def _expected_refund(event: Event, order: Order) -> Decimal | None:
    priced = [i for i in event.items if i.price is not None]
    if priced:
        return sum((i.price.amount * i.quantity for i in priced), Decimal(0))  # type: ignore[union-attr]
    return order.total


def _apply_shipment(session: Session, event: Event, ref, when: datetime, order: Order | None,
                    case: ReturnCase | None, message_pk: int | None, lookups: Lookups | None = None) -> Shipment:
    shipment = upsert_shipment(session, ref.number, ref.carrier, lookups)
    is_return = ref.direction == Direction.RETURN
    _set(shipment, direction=Direction.RETURN.value if is_return else shipment.direction or Direction.OUTBOUND.value)
    if order is not None and shipment.order_id is None:
        shipment.order_id = order.id
    if is_return and case is not None and shipment.return_case_id is None:
        shipment.return_case_id = case.id
    if event.expected_delivery and shipment.expected_delivery is None:
        shipment.expected_delivery = event.expected_delivery
    if event.pickup_code:
        _set(shipment, pickup_code=event.pickup_code)
    if event.kind in (EventKind.SHIPPED, EventKind.RETURN_SHIPPED, EventKind.EXCHANGE_SHIPPED) and shipment.shipped_at is None:
        shipment.shipped_at = when
    status = event.shipment_status or KIND_SHIPMENT_STATUS.get(event.kind)
    if status is not None:
        # the same timeline merge as provider tracking (a return parcel delivered starts the refund clock)
        record_status(session, shipment, status, when, source="mail", message_id=message_pk, description=event.detail,
                      known=lookups.tracking.get(shipment.id) if lookups is not None else None,
                      flush=lookups is None)
    return shipment
