"""Read the :class:`~smartreturn.snapshot.Snapshot` the rules work on: a handful of set-based queries.

Column SELECTs into plain named tuples (no ORM loading layer), whatever the number of orders;
``IN (...)`` lists are cut into chunks; the SQL is the same on SQLite and PostgreSQL. Persistence
only: nothing here decides what a row means.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Executable, Result, Select, and_, bindparam, case, exists, func, or_, select
from sqlalchemy.orm import Session

from smartreturn.model import DEGRADED_PREFIX, Direction, MessageStatus, ReturnStatus, ShipmentStatus
from smartreturn.snapshot import (
    AMOUNT_HISTORY,
    FREQUENCY_HISTORY_WINDOWS,
    FREQUENCY_WINDOW,
    WATCH_ORDERS_FOR,
    CaseRow,
    DeadlineRow,
    ItemRow,
    MerchantRow,
    OrderRow,
    RefundHistoryRow,
    ReturnHistory,
    ShipmentRow,
    Snapshot,
    StatedRow,
)
from smartreturn.store.tables import (
    Amount,
    CaseEvent,
    Deadline,
    Merchant,
    Message,
    Order,
    OrderItem,
    ReturnCase,
    Shipment,
    StatedDeadline,
    UTCDateTime,
)

CHUNK = 500  # ids per IN (...) list
FINAL_SHIPMENT_STATUSES = tuple(s.value for s in ShipmentStatus if s.is_final)
# Cases the buyer still waits on (the ladder below "refunded"/"exchange delivered", and disputes).
OPEN_CASE_STATUSES = tuple(s.value for s in ReturnStatus
                           if s not in (ReturnStatus.REFUNDED, ReturnStatus.EXCHANGE_DELIVERED,
                                        ReturnStatus.REJECTED, ReturnStatus.CANCELLED))
HISTORY_FOR = timedelta(days=730)     # refunds that tell whether a merchant is usually late
NEWS_FOR = timedelta(days=1)          # "delivered", "refunded" news
REFUND_CHECK_FOR = timedelta(days=30)  # refunds checked against the amount expected

ORDER_COLUMNS = (Order.id, Order.platform, Order.order_number, Order.merchant_id, Order.order_date, Order.currency,
                 Order.total, Order.status, Order.delivered_at, Order.region, Order.category, Order.country)
CASE_COLUMNS = (ReturnCase.id, ReturnCase.order_id, ReturnCase.kind, ReturnCase.status, ReturnCase.reason_category,
                ReturnCase.items_text, ReturnCase.requested_at, ReturnCase.shipped_at, ReturnCase.received_at,
                ReturnCase.refunded_at, ReturnCase.currency, ReturnCase.expected_refund, ReturnCase.refunded_amount,
                ReturnCase.approved_at, ReturnCase.label_at, ReturnCase.expected_source, ReturnCase.case_number)
SHIPMENT_COLUMNS = (Shipment.id, Shipment.carrier, Shipment.tracking_number, Shipment.direction, Shipment.order_id,
                    Shipment.return_case_id, Shipment.status, Shipment.shipped_at, Shipment.delivered_at,
                    Shipment.last_event_at, Shipment.stuck)
DEADLINE_COLUMNS = (Deadline.kind, Deadline.order_id, Deadline.return_case_id, Deadline.due_on, Deadline.rule_id,
                    Deadline.anchor, Deadline.confidence, Deadline.anchor_on, Deadline.evidence_message_id, Deadline.id)


def _maker(cls: Any, width: int) -> Any:
    """Build ``cls`` (a named tuple) straight from a row of ``width`` values: ``tuple.__new__`` in C, half
    the cost of calling the named tuple (its ``__new__`` is Python), for ~10^5 rows a run."""
    if width != len(cls._fields):
        raise TypeError(f"{cls.__name__} has {len(cls._fields)} fields, its rows {width} values")
    return partial(tuple.__new__, cls)


_ORDER = _maker(OrderRow, len(ORDER_COLUMNS) + 2)  # + merchant, items
_CASE = _maker(CaseRow, len(CASE_COLUMNS))
_SHIPMENT = _maker(ShipmentRow, len(SHIPMENT_COLUMNS))
_DEADLINE = _maker(DeadlineRow, len(DEADLINE_COLUMNS))


def read(session: Session | Connection, statement: Executable, params: dict[str, Any] | None = None) -> Result[Any]:
    """Run a column SELECT on the session's connection: the ORM's pending changes are flushed first
    (as autoflush would), but rows come back as plain tuples without the ORM loading layer. A bare
    connection (the web's reads) is used as it is."""
    if isinstance(session, Connection):
        return session.execute(statement, params)
    session.flush()
    return session.connection().execute(statement, params)


# Rows by id, built once: ``ids`` is an expanding parameter (a chunk of ids), so each call only
# binds values (building ``in_([...])`` anew coerced every id and cost more than the query).
_IDS = bindparam("ids", expanding=True)
_MERCHANTS_BY_ID = select(Merchant.id, Merchant.name).where(Merchant.id.in_(_IDS))
_ORDERS_BY_ID = select(*ORDER_COLUMNS).where(Order.id.in_(_IDS))
_ITEMS_BY_ORDER = (select(OrderItem.order_id, OrderItem.name, OrderItem.category)
                   .where(OrderItem.order_id.in_(_IDS)).order_by(OrderItem.id))
_DEADLINES_WITH_ORDERS = (select(*DEADLINE_COLUMNS, *ORDER_COLUMNS, Merchant.name)
                          .join(Order, Deadline.order_id == Order.id)
                          .outerjoin(Merchant, Order.merchant_id == Merchant.id).where(Deadline.id.in_(_IDS)))


def chunks(ids: Iterable[Any]) -> Iterable[list[Any]]:
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


def _merchants(session: Session | Connection, ids: Iterable[int]) -> dict[int, MerchantRow]:
    found: dict[int, MerchantRow] = {}
    for part in chunks(ids):
        found.update((mid, MerchantRow(mid, name)) for mid, name in read(session, _MERCHANTS_BY_ID, {"ids": part}).all())
    return found


def _assemble(session: Session | Connection, rows: list[Any], items: Mapping[int, list[ItemRow]]) -> dict[int, OrderRow]:
    merchants = _merchants(session, {row[3] for row in rows if row[3] is not None})
    make = _ORDER
    return {row[0]: make((*row, merchants.get(row[3]) if row[3] is not None else None, tuple(items.get(row[0], ()))))
            for row in rows}


def _items(rows: Iterable[Any]) -> dict[int, list[ItemRow]]:
    grouped: dict[int, list[ItemRow]] = defaultdict(list)
    for order_id, name, category in rows:
        grouped[order_id].append(ItemRow(name, category))
    return grouped


def load_orders(session: Session | Connection, ids: Iterable[int]) -> dict[int, OrderRow]:
    """Orders by id, with merchant and items."""
    rows: list[Any] = []
    item_rows: list[Any] = []
    for part in chunks(ids):
        rows.extend(read(session, _ORDERS_BY_ID, {"ids": part}).all())
        item_rows.extend(read(session, _ITEMS_BY_ORDER, {"ids": part}).all())
    return _assemble(session, rows, _items(item_rows))


def deadlines_with_orders(session: Session | Connection, ids: Iterable[int]) -> tuple[dict[int, DeadlineRow], dict[int, OrderRow]]:
    """Stored Deadline rows by id and their orders with the merchant, in one read per chunk. The
    orders come without their items (what describing a deadline needs: apply/deadlines.describe)."""
    deadlines: dict[int, DeadlineRow] = {}
    orders: dict[int, OrderRow] = {}
    width = len(DEADLINE_COLUMNS)
    for part in chunks(ids):
        for row in read(session, _DEADLINES_WITH_ORDERS, {"ids": part}):
            deadline, order, merchant_name = DeadlineRow._make(row[:width]), row[width:-1], row[-1]
            deadlines[deadline.id] = deadline  # type: ignore[index]
            if order[0] not in orders:
                merchant = MerchantRow(order[3], merchant_name) if order[3] is not None and merchant_name is not None else None
                orders[order[0]] = OrderRow(*order, merchant=merchant)
    return deadlines, orders


def load_orders_where(session: Session, *where: Any, has_case: set[int] | None = None) -> dict[int, OrderRow]:
    """Orders matching ``where`` (on Order columns), with merchant and items, by id. ``has_case``: a
    set to fill with the ids of those that have a return case (open or not), read in the same query."""
    columns: tuple[Any, ...] = ORDER_COLUMNS
    if has_case is not None:
        columns += (exists().where(ReturnCase.order_id == Order.id),)
    rows = read(session, select(*columns).where(*where).order_by(Order.id)).all()
    if has_case is not None:
        has_case.update(row[0] for row in rows if row[-1])
        rows = [row[:-1] for row in rows]
    item_rows = read(session, select(OrderItem.order_id, OrderItem.name, OrderItem.category)
                     .join(Order, OrderItem.order_id == Order.id).where(*where).order_by(OrderItem.id)).all()
    return _assemble(session, rows, _items(item_rows))


def load_cases(session: Session, *where: Any) -> list[CaseRow]:
    return list(map(_CASE, read(session, select(*CASE_COLUMNS).where(*where).order_by(ReturnCase.id)).all()))


def load_shipments(session: Session, *where: Any) -> list[ShipmentRow]:
    return list(map(_SHIPMENT, read(session, select(*SHIPMENT_COLUMNS).where(*where).order_by(Shipment.id)).all()))


def shipments_by_order(session: Session, order_ids: Iterable[int]) -> dict[int, list[ShipmentRow]]:
    grouped: dict[int, list[ShipmentRow]] = defaultdict(list)
    for part in chunks(order_ids):
        for shipment in load_shipments(session, Shipment.order_id.in_(part)):
            grouped[shipment.order_id].append(shipment)  # type: ignore[index]
    return grouped


@dataclass(frozen=True, slots=True)
class OrdersWhere:
    """Orders given by WHERE clauses on Order instead of a list of ids: the table read is joined to
    ``orders`` (each row's order found by primary key) rather than filtered by a set of ids built
    first, which costs as much as the rows when the set is large and the table small."""

    clauses: tuple[Any, ...]


OrderIds = Iterable[int] | OrdersWhere


def _by_order(statement: Select[Any], column: Any, order_ids: OrderIds) -> Iterable[Select[Any]]:
    """``statement`` for the rows whose ``column`` is one of the orders: one join, or chunks of ids."""
    if isinstance(order_ids, OrdersWhere):
        return [statement.join(Order, column == Order.id).where(*order_ids.clauses)]
    return [statement.where(column.in_(part)) for part in chunks(order_ids)]


def load_deadlines(session: Session, order_ids: OrderIds) -> dict[tuple[str, int, int | None], DeadlineRow]:
    """The stored Deadline rows of these orders, keyed by (kind, order id, return case id)."""
    found: dict[tuple[str, int, int | None], DeadlineRow] = {}
    make = _DEADLINE
    for statement in _by_order(select(*DEADLINE_COLUMNS), Deadline.order_id, order_ids):
        found.update(((row[0], row[1], row[2]), make(row)) for row in read(session, statement).all())
    return found


def load_stated(session: Session | Connection, order_ids: OrderIds) -> dict[tuple[str, int, int | None], StatedRow]:
    """The latest date the merchant stated per (kind, order, case)."""
    found: dict[tuple[str, int, int | None], StatedRow] = {}
    statement = select(StatedDeadline.kind, StatedDeadline.order_id, StatedDeadline.return_case_id,
                       StatedDeadline.due_on, StatedDeadline.message_id, StatedDeadline.quote)
    for part in _by_order(statement, StatedDeadline.order_id, order_ids):
        for row in read(session, part.order_by(StatedDeadline.stated_at, StatedDeadline.id)).all():
            found[(row[0], row[1], row[2])] = StatedRow(*row)  # later statements replace earlier ones
    return found


def refund_history(session: Session, now: datetime) -> tuple[RefundHistoryRow, ...]:
    """Refunds of the last two years with the dates their deadline counts from (case dates first,
    else its return parcel's)."""
    parcel = (
        select(Shipment.return_case_id, func.min(Shipment.shipped_at).label("shipped"),
               func.min(Shipment.delivered_at).label("delivered"))
        .where(Shipment.direction == Direction.RETURN.value, Shipment.return_case_id.is_not(None))
        .group_by(Shipment.return_case_id).subquery()
    )
    statement = (select(
        Order.merchant_id, Order.platform, Order.region, Order.category, Merchant.name,
        func.coalesce(ReturnCase.shipped_at, parcel.c.shipped, type_=UTCDateTime),
        func.coalesce(ReturnCase.received_at, parcel.c.delivered, type_=UTCDateTime), ReturnCase.refunded_at)
        .join(Order, ReturnCase.order_id == Order.id)
        .join(Merchant, Order.merchant_id == Merchant.id)
        .outerjoin(parcel, parcel.c.return_case_id == ReturnCase.id)
        .where(ReturnCase.refunded_at.is_not(None), ReturnCase.refunded_at >= now - HISTORY_FOR,
               ReturnCase.refunded_at <= now))
    rows = read(session, statement).all()
    return tuple(map(_maker(RefundHistoryRow, len(statement.selected_columns)), rows))


def return_history(session: Session, now: datetime, currencies: Iterable[str]) -> ReturnHistory:
    """The cases counted per 30-day window back from ``now``, and the recent closed cases' amounts in
    each of ``currencies`` (those of the open cases: the only ones compared), aggregated in SQL (a
    scan each) instead of a row per case."""
    when = func.coalesce(ReturnCase.requested_at, ReturnCase.created_at, type_=UTCDateTime)
    first = read(session, select(func.min(when))).scalar()
    if first is None:
        return ReturnHistory(None, (), {})
    ends = [now - FREQUENCY_WINDOW * n for n in range(FREQUENCY_HISTORY_WINDOWS + 2)]
    windows = (select(case(*((when > end, n) for n, end in enumerate(ends[1:]))).label("n"))  # (ends[n+1], ends[n]]
               .where(when > ends[-1], when <= now).subquery())
    counted = dict(read(session, select(windows.c.n, func.count()).group_by(windows.c.n)).all())
    per_window = tuple(counted.get(n, 0) for n in range(FREQUENCY_HISTORY_WINDOWS + 1))
    amount = func.coalesce(ReturnCase.expected_refund, Order.total, type_=Amount)
    currency = func.coalesce(ReturnCase.currency, Order.currency)
    closed: dict[str, tuple[float, ...]] = {}
    for code in sorted(set(currencies)):  # the most recent first, ties by the larger amount
        closed[code] = tuple(float(value) for value, in read(session, select(amount).join(
            Order, ReturnCase.order_id == Order.id).where(
            ReturnCase.status.not_in(OPEN_CASE_STATUSES), amount.is_not(None), currency == code)
            .order_by(when.desc(), amount.desc()).limit(AMOUNT_HISTORY)).all())
    return ReturnHistory(first, per_window, closed)


def unmatched_senders(session: Session, since: datetime) -> tuple[tuple[str, int, datetime | None], ...]:
    rows = read(session, select(Message.from_addr, func.count(Message.id), func.max(Message.received_at))
                .where(or_(Message.status == MessageStatus.UNMATCHED.value,  # degraded: read by the generic layer
                           Message.status_reason.startswith(DEGRADED_PREFIX)), Message.received_at >= since)
                .group_by(Message.from_addr)).all()
    return tuple((sender, count, latest) for sender, count, latest in rows if sender)


def _currencies(cases: Iterable[CaseRow], orders: Mapping[int, OrderRow]) -> set[str]:
    """The currencies of these cases' money (the case's, else its order's)."""
    found = {case.currency if case.currency is not None else orders[case.order_id].currency for case in cases}
    return {code for code in found if code}


def load_snapshot(session: Session, now: datetime, *, unmatched_days: int | None = None,
                  history: bool = True) -> Snapshot:
    """Everything one agenda run looks at. ``unmatched_days``: also the senders of mail not understood
    in that many days; ``history``: also the refund and return history (merchant lateness, unusual)."""
    with_case: set[int] = set()
    orders = load_orders_where(session, *watched(now), has_case=with_case)
    watched_orders = tuple(orders.values())
    open_cases = load_cases(session, ReturnCase.status.in_(OPEN_CASE_STATUSES))
    orders.update(load_orders(session, {case.order_id for case in open_cases} - orders.keys()))
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
    # the deadlines of exactly these orders (watched, or with an open case), by a join, not by id lists
    these = OrdersWhere((or_(and_(*watched(now)), exists().where(
        ReturnCase.order_id == Order.id, ReturnCase.status.in_(OPEN_CASE_STATUSES))),))
    deadlines = load_deadlines(session, these)
    stated = load_stated(session, these)
    # news and money checks
    delivered = load_orders_where(session, Order.delivered_at > now - NEWS_FOR, Order.delivered_at <= now)
    parcels = load_shipments(session, Shipment.delivered_at > now - NEWS_FOR, Shipment.delivered_at <= now)
    refunded = load_cases(session, ReturnCase.refunded_at > now - REFUND_CHECK_FOR, ReturnCase.refunded_at <= now)
    cases = {case.id: case for case in open_cases}
    cases.update((case.id, case) for case in refunded)
    wanted_cases = {p.return_case_id for p in (*active, *parcels) if p.return_case_id} - cases.keys()
    for part in chunks(wanted_cases):
        cases.update((case.id, case) for case in load_cases(session, ReturnCase.id.in_(part)))
    orders.update(delivered)
    wanted = ({p.order_id for p in (*active, *parcels) if p.order_id}
              | {c.order_id for c in cases.values()}) - orders.keys()
    orders.update(load_orders(session, wanted))
    unmatched = unmatched_senders(session, now - timedelta(days=unmatched_days)) if unmatched_days else ()
    return Snapshot(
        watched_orders, tuple(open_cases), orders, frozenset(with_case), dict(shipments), first_seen, active,
        deadlines=deadlines, stated=stated, delivered_recently=tuple(delivered.values()),
        parcels_delivered_recently=tuple(parcels), refunded_recently=tuple(refunded), cases=cases,
        unmatched=unmatched, refund_history=refund_history(session, now) if history else (),
        return_history=return_history(session, now, _currencies(open_cases, orders)) if history else None)


__all__ = ["OrdersWhere", "chunks", "deadlines_with_orders", "load_cases", "load_deadlines", "load_orders", "load_orders_where",
           "load_shipments", "load_snapshot", "load_stated", "read", "watched"]
