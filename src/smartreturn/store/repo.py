"""Upserts on natural keys (merchant, order, parcel, return case) and the batch lookups behind them.

Persistence only: what an event does to these rows is decided in ``smartreturn.apply``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select, tuple_
from sqlalchemy.orm import Session

from smartreturn.model import Event, EventKind, ReturnKind, ReturnStatus, ShipmentStatus
from smartreturn.store.tables import CaseEvent, Merchant, Order, OrderItem, ReturnCase, Shipment, TrackingEvent

log = logging.getLogger(__name__)

# Lookups by natural key, built once: building and cache-keying a select() per call cost more than
# running it (ingest does several per mail).
_MERCHANT_BY_KEY = select(Merchant).where(Merchant.platform == bindparam("platform"), Merchant.name == bindparam("name"))
_ORDER_BY_KEY = select(Order).where(Order.platform == bindparam("platform"), Order.order_number == bindparam("number"))
_SHIPMENTS_BY_NUMBER = select(Shipment).where(Shipment.tracking_number == bindparam("number"))
_CASES_OF_ORDER = select(ReturnCase).where(ReturnCase.order_id == bindparam("order_id"))
OPEN_CASES_WITH_ORDER = (select(ReturnCase, Order, Merchant.name).join(Order, ReturnCase.order_id == Order.id)
                         .outerjoin(Merchant, Order.merchant_id == Merchant.id).where(ReturnCase.closed_at.is_(None))
                         .order_by(ReturnCase.id))
ITEM_BY_KEY = select(OrderItem).where(OrderItem.order_id == bindparam("order_id"), OrderItem.name == bindparam("name"))
CASE_EVENT_BY_KEY = select(CaseEvent.id).where(CaseEvent.message_id == bindparam("message_id"), CaseEvent.seq == bindparam("seq"))


def set_changed(row: object, **values: object) -> None:
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
        set_changed(case, kind=kind.value)
    return case
