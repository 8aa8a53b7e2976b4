"""The rows the rules look at, read once per run as plain column tuples (no ORM objects).

The rules only read these rows, so they are loaded with ``select(<columns>)`` into named tuples
(immutable, and several times cheaper to build than dataclasses or ORM objects) with the same
attribute names as the ORM classes (``order.merchant.name``, ``order.items``, ``case.order_id`` ...):
the pure rule functions accept either. A handful of set-based queries whatever the number of
orders; ``IN (...)`` lists are cut into chunks; the SQL is the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Executable, Result, and_, func, or_, select
from sqlalchemy.orm import Session

from smartreturn.model import ReturnKind, ReturnStatus, ShipmentStatus
from smartreturn.rules import state_machine
from smartreturn.store.tables import CaseEvent, Merchant, Order, OrderItem, ReturnCase, Shipment

# Orders older than this are not watched for a return window any more (the longest window with
# the holiday extension is about three months).
WATCH_ORDERS_FOR = timedelta(days=180)
CHUNK = 500  # ids per IN (...) list
FINAL_SHIPMENT_STATUSES = tuple(s.value for s in ShipmentStatus if s.is_final)


class MerchantRow(NamedTuple):
    id: int
    name: str


class ItemRow(NamedTuple):
    name: str
    category: str | None


class OrderRow(NamedTuple):
    id: int
    platform: str
    order_number: str
    merchant_id: int | None
    order_date: datetime | None
    currency: str | None
    total: Decimal | None
    status: str
    delivered_at: datetime | None
    region: str | None
    category: str | None
    merchant: MerchantRow | None = None
    items: tuple[ItemRow, ...] = ()


class CaseRow(NamedTuple):
    id: int
    order_id: int
    kind: str
    status: str
    reason_category: str | None
    items_text: str | None
    requested_at: datetime | None
    shipped_at: datetime | None
    received_at: datetime | None
    refunded_at: datetime | None
    currency: str | None
    expected_refund: Decimal | None
    refunded_amount: Decimal | None


class ShipmentRow(NamedTuple):
    id: int
    carrier: str
    tracking_number: str
    direction: str
    order_id: int | None
    return_case_id: int | None
    status: str
    shipped_at: datetime | None
    delivered_at: datetime | None
    last_event_at: datetime | None
    stuck: bool


ORDER_COLUMNS = (Order.id, Order.platform, Order.order_number, Order.merchant_id, Order.order_date, Order.currency,
                 Order.total, Order.status, Order.delivered_at, Order.region, Order.category)
CASE_COLUMNS = (ReturnCase.id, ReturnCase.order_id, ReturnCase.kind, ReturnCase.status, ReturnCase.reason_category,
                ReturnCase.items_text, ReturnCase.requested_at, ReturnCase.shipped_at, ReturnCase.received_at,
                ReturnCase.refunded_at, ReturnCase.currency, ReturnCase.expected_refund, ReturnCase.refunded_amount)
SHIPMENT_COLUMNS = (Shipment.id, Shipment.carrier, Shipment.tracking_number, Shipment.direction, Shipment.order_id,
                    Shipment.return_case_id, Shipment.status, Shipment.shipped_at, Shipment.delivered_at,
                    Shipment.last_event_at, Shipment.stuck)


def read(session: Session, statement: Executable) -> Result[Any]:
    """Run a column SELECT on the session's connection: the ORM's pending changes are flushed first
    (as autoflush would), but rows come back as plain tuples without the ORM loading layer."""
    session.flush()
    return session.connection().execute(statement)


def chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


def watched(now: datetime) -> tuple[Any, ...]:
    """WHERE clauses for orders whose return window may still be open: ordered or delivered recently,
    or (without an order date) first stored recently; not cancelled."""
    cutoff = now - WATCH_ORDERS_FOR
    return (Order.status != "cancelled",
            or_(Order.order_date >= cutoff, Order.delivered_at >= cutoff,
                and_(Order.order_date.is_(None), Order.created_at >= cutoff)))


def _merchants(session: Session, ids: Iterable[int]) -> dict[int, MerchantRow]:
    found: dict[int, MerchantRow] = {}
    for part in chunks(ids):
        found.update((mid, MerchantRow(mid, name)) for mid, name in
                     read(session, select(Merchant.id, Merchant.name).where(Merchant.id.in_(part))).all())
    return found


def _assemble(session: Session, rows: list[Any], items: Mapping[int, list[ItemRow]]) -> dict[int, OrderRow]:
    merchants = _merchants(session, {row[3] for row in rows if row[3] is not None})
    return {row[0]: OrderRow(*row, merchant=merchants.get(row[3]) if row[3] is not None else None,
                             items=tuple(items.get(row[0], ()))) for row in rows}


def _items(rows: Iterable[Any]) -> dict[int, list[ItemRow]]:
    grouped: dict[int, list[ItemRow]] = defaultdict(list)
    for order_id, name, category in rows:
        grouped[order_id].append(ItemRow(name, category))
    return grouped


def load_orders(session: Session, ids: Iterable[int]) -> dict[int, OrderRow]:
    """Orders by id, with merchant and items."""
    rows: list[Any] = []
    item_rows: list[Any] = []
    for part in chunks(ids):
        rows.extend(read(session, select(*ORDER_COLUMNS).where(Order.id.in_(part))).all())
        item_rows.extend(read(session, select(OrderItem.order_id, OrderItem.name, OrderItem.category)
                                         .where(OrderItem.order_id.in_(part)).order_by(OrderItem.id)).all())
    return _assemble(session, rows, _items(item_rows))


def load_orders_where(session: Session, *where: Any) -> dict[int, OrderRow]:
    """Orders matching ``where`` (on Order columns), with merchant and items, by id."""
    rows = read(session, select(*ORDER_COLUMNS).where(*where).order_by(Order.id)).all()
    item_rows = read(session, select(OrderItem.order_id, OrderItem.name, OrderItem.category)
                     .join(Order, OrderItem.order_id == Order.id).where(*where).order_by(OrderItem.id)).all()
    return _assemble(session, rows, _items(item_rows))


def load_cases(session: Session, *where: Any) -> list[CaseRow]:
    return [CaseRow(*row) for row in read(session, select(*CASE_COLUMNS).where(*where).order_by(ReturnCase.id)).all()]


def load_shipments(session: Session, *where: Any) -> list[ShipmentRow]:
    return [ShipmentRow(*row) for row in read(session, select(*SHIPMENT_COLUMNS).where(*where).order_by(Shipment.id)).all()]


def shipments_by_order(session: Session, order_ids: Iterable[int]) -> dict[int, list[ShipmentRow]]:
    grouped: dict[int, list[ShipmentRow]] = defaultdict(list)
    for part in chunks(order_ids):
        for shipment in load_shipments(session, Shipment.order_id.in_(part)):
            grouped[shipment.order_id].append(shipment)  # type: ignore[index]
    return grouped


_EXCHANGE = ReturnKind.EXCHANGE.value
_NOT_WAITING = frozenset(s.value for s in (ReturnStatus.REFUNDED, ReturnStatus.REJECTED, ReturnStatus.CANCELLED,
                                            ReturnStatus.EXCHANGE_DELIVERED))


def is_waiting_for_refund(case: CaseRow | ReturnCase) -> bool:
    """The buyer expects money: an open return or refund-only case (an exchange expects goods)."""
    return case.kind != _EXCHANGE and case.status not in _NOT_WAITING


@dataclass(frozen=True)
class Snapshot:
    """Recent orders (return-window candidates), open return cases, their orders, items, merchants
    and parcels, loaded once per run."""

    watched: tuple[OrderRow, ...]
    open_cases: tuple[CaseRow, ...]
    orders: Mapping[int, OrderRow]
    orders_with_case: frozenset[int]   # watched orders that have a return case, open or not
    shipments: Mapping[int, list[ShipmentRow]]
    first_seen: Mapping[int, datetime]  # orders without an order date: their first mail's date
    active_shipments: tuple[ShipmentRow, ...] = ()  # every parcel not in a final status, by id

    def shipments_of(self, order_id: int) -> list[ShipmentRow]:
        return self.shipments.get(order_id, [])

    def waiting_for_refund(self) -> list[CaseRow]:
        return list(self._waiting)

    @cached_property
    def _waiting(self) -> tuple[CaseRow, ...]:
        return tuple(case for case in self.open_cases if is_waiting_for_refund(case))

    def orders_by_id(self, session: Session, ids: Iterable[int]) -> dict[int, OrderRow]:
        """The snapshot's orders among ``ids``, the others loaded (older orders with a parcel)."""
        wanted = set(ids)
        found = {oid: self.orders[oid] for oid in wanted if oid in self.orders}
        found.update(load_orders(session, wanted - found.keys()))
        return found


def load_snapshot(session: Session, now: datetime) -> Snapshot:
    orders = load_orders_where(session, *watched(now))
    watched_orders = tuple(orders.values())
    open_statuses = [status.value for status in state_machine.OPEN_STATES]
    open_cases = load_cases(session, ReturnCase.status.in_(open_statuses))
    orders.update(load_orders(session, {case.order_id for case in open_cases} - orders.keys()))
    with_case = frozenset(read(session, select(ReturnCase.order_id).join(Order, ReturnCase.order_id == Order.id)
                                          .where(*watched(now))).scalars().all())
    first_seen = dict(read(session, select(
        CaseEvent.order_id, func.min(CaseEvent.occurred_at)).join(Order, CaseEvent.order_id == Order.id)
        .where(*watched(now), Order.order_date.is_(None)).group_by(CaseEvent.order_id)).all())
    # one pass for the parcels of watched orders and every parcel still on its way (stuck parcels)
    loaded = load_shipments(session, or_(Shipment.status.not_in(FINAL_SHIPMENT_STATUSES),
                                         Shipment.order_id.in_(select(Order.id).where(*watched(now)))))
    active = tuple(s for s in loaded if s.status not in FINAL_SHIPMENT_STATUSES)
    shipments: dict[int, list[ShipmentRow]] = defaultdict(list)
    for shipment in loaded:
        if shipment.order_id is not None:
            shipments[shipment.order_id].append(shipment)
    others = orders.keys() - {o.id for o in watched_orders}
    for order_id in others:
        shipments.pop(order_id, None)  # only the active ones were loaded: read them all below
    shipments.update(shipments_by_order(session, others))
    return Snapshot(watched_orders, tuple(open_cases), orders, with_case, dict(shipments), first_seen, active)


__all__ = ["CaseRow", "ItemRow", "MerchantRow", "OrderRow", "ShipmentRow", "Snapshot", "chunks",
           "is_waiting_for_refund", "load_cases", "load_orders", "load_orders_where", "load_shipments",
           "load_snapshot", "read", "watched"]
