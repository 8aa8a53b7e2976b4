"""Read-side queries for the CLI: plain dicts, ready for tables and JSON."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, bindparam, func, or_, select
from sqlalchemy.orm import Session

from smartreturn.model import DEGRADED_PREFIX
from smartreturn.store.tables import CaseEvent, Deadline, Merchant, Message, Order, OrderItem, ReturnCase, Shipment, TrackingEvent

Row = dict[str, Any]
Reader = Session | Connection  # listings read plain columns: a session or a bare connection will do

# Listings are built once per filter shape (which filters are given, paged or not) with bound
# parameters, and reused: building a SQLAlchemy statement costs more Python than running it, and an
# API list is answered many times a second. The filter values travel as parameters, never in the text.


def _shape(*, limit: int | None = None, offset: int = 0, case_ids=None, **filters: Any) -> tuple[frozenset[str], dict[str, Any]]:
    """The names of the given filters (the statement's shape) and their values (its parameters). An
    empty filter is no filter; ``case_ids=[]`` matches nothing; ``limit=None`` is every row."""
    params = {name: value for name, value in filters.items() if value}
    params.update({name: value for name, value in (("limit", limit), ("case_ids", case_ids)) if value is not None})
    if offset:
        params["offset"] = offset
    return frozenset(params), params


def _where(query: Select, given: frozenset[str], conditions: dict[str, ColumnElement[bool]]) -> Select:
    """``query`` with the condition of each given filter (conditions name their ``bindparam``s)."""
    return query.where(*(condition for name, condition in conditions.items() if name in given))


def _paged(query: Select, given: frozenset[str]) -> Select:
    if "limit" in given:
        query = query.limit(bindparam("limit"))
    return query.offset(bindparam("offset")) if "offset" in given else query


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="minutes") if value else None


@lru_cache(maxsize=32)
def _order_ids_query(given: frozenset[str]) -> Select:
    return _where(select(Order.id), given, {"platform": Order.platform == bindparam("platform"),
                                            "status": Order.status == bindparam("status"),
                                            "since": Order.order_date >= bindparam("since")})


@lru_cache(maxsize=32)
def _orders_query(given: frozenset[str]) -> Select:
    # The page is chosen on the orders table alone (its sort index), then joined: SQLite would
    # otherwise join every row it skips. Plain columns, not ORM entities: a listing changes nothing.
    order = (Order.order_date.desc().nulls_last(), Order.id.desc())
    page = _paged(_order_ids_query(given).order_by(*order), given).subquery()
    return (select(Order.id, Order.platform, Order.order_number, Merchant.name, Order.order_date, Order.total,
                   Order.currency, Order.status, Order.delivered_at)
            .join(page, Order.id == page.c.id)
            .outerjoin(Merchant, Order.merchant_id == Merchant.id).order_by(*order))


def list_orders(session: Reader, *, platform=None, status=None, since=None, limit=200, offset=0) -> list[Row]:
    given, params = _shape(platform=platform, status=status, since=since, limit=limit, offset=offset)
    return [{"id": f"o{id_}", "platform": platform, "order_number": number, "merchant": merchant,
             "order_date": _iso(ordered), "total": total, "currency": currency, "status": status,
             "delivered_at": _iso(delivered)}  # rows unpacked: a third of the cost of row.name per column
            for id_, platform, number, merchant, ordered, total, currency, status, delivered
            in session.execute(_orders_query(given), params)]


def _returns_params(*, platform=None, status=None, since=None, merchant=None, reason=None, case_ids=None,
                    limit=None, offset=0) -> tuple[frozenset[str], dict[str, Any]]:
    many = isinstance(status, (list, tuple))
    return _shape(platform=platform, status=None if many else status, statuses=list(status) if many else None,
                  since=since, merchant=merchant, reason=reason,
                  case_ids=list(case_ids) if case_ids is not None else None, limit=limit, offset=offset)


def _returns_filtered(query: Select, given: frozenset[str], *, joins: bool) -> Select:
    if joins:  # the order and merchant columns, or filters on them
        query = query.join(Order, ReturnCase.order_id == Order.id).outerjoin(Merchant, Order.merchant_id == Merchant.id)
    query = _where(query, given, {
        "platform": Order.platform == bindparam("platform"), "status": ReturnCase.status == bindparam("status"),
        "statuses": ReturnCase.status.in_(bindparam("statuses", expanding=True)),
        "case_ids": ReturnCase.id.in_(bindparam("case_ids", expanding=True)),
        "merchant": Merchant.name == bindparam("merchant"), "reason": ReturnCase.reason_category == bindparam("reason"),
        "since": ReturnCase.requested_at >= bindparam("since")})
    return query.order_by(ReturnCase.requested_at.desc().nulls_last(), ReturnCase.id.desc())


@lru_cache(maxsize=64)
def _return_ids_query(given: frozenset[str]) -> Select:
    return _returns_filtered(select(ReturnCase.id), given, joins=bool(given & {"platform", "merchant"}))


@lru_cache(maxsize=64)
def _returns_query(given: frozenset[str]) -> Select:
    page = _paged(_return_ids_query(given), given).subquery()  # chosen before the joins (see _orders_query)
    columns = select(ReturnCase.id, Order.platform, Order.order_number, Merchant.name, ReturnCase.kind, ReturnCase.status,
                     ReturnCase.reason_category, ReturnCase.reason_text, ReturnCase.requested_at,
                     ReturnCase.expected_refund, ReturnCase.refunded_amount, ReturnCase.currency)
    return _returns_filtered(columns.join(page, ReturnCase.id == page.c.id), frozenset(), joins=True)


def return_case_ids(session: Reader, *, platform=None, status=None, since=None, merchant=None, reason=None) -> list[int]:
    """The ids of the return cases :func:`list_returns` would list, in its order (newest first)."""
    given, params = _returns_params(platform=platform, status=status, since=since, merchant=merchant, reason=reason)
    return list(session.scalars(_return_ids_query(given), params))


def list_returns(session: Reader, *, platform=None, status=None, since=None, limit=200, offset=0,
                 merchant=None, reason=None, case_ids=None) -> list[Row]:
    given, params = _returns_params(platform=platform, status=status, since=since, merchant=merchant, reason=reason,
                                    case_ids=case_ids, limit=limit, offset=offset)
    return [{"id": f"r{id_}", "platform": platform, "order_number": number, "merchant": merchant, "kind": kind,
             "status": status, "reason": category, "reason_text": reason_text, "requested_at": _iso(requested),
             "expected_refund": expected, "refunded": refunded, "currency": currency}
            for id_, platform, number, merchant, kind, status, category, reason_text, requested, expected, refunded, currency
            in session.execute(_returns_query(given), params)]


@lru_cache(maxsize=32)
def _shipment_ids_query(given: frozenset[str]) -> Select:
    page = select(Shipment.id)
    if "platform" in given:  # the order's platform or the carrier
        page = page.outerjoin(Order, Shipment.order_id == Order.id).where(
            or_(Order.platform == bindparam("platform"), Shipment.carrier == bindparam("platform")))
    return _where(page, given, {"status": Shipment.status == bindparam("status"),
                                "since": Shipment.created_at >= bindparam("since")})


@lru_cache(maxsize=32)
def _shipments_query(given: frozenset[str]) -> Select:
    order = (Shipment.last_event_at.desc().nulls_last(), Shipment.id.desc())
    page = _paged(_shipment_ids_query(given).order_by(*order), given).subquery()  # chosen before the join (see _orders_query)
    return (select(Shipment.id, Shipment.carrier, Shipment.tracking_number, Shipment.verified, Shipment.direction,
                   Shipment.status, Order.order_number, Shipment.last_event_at, Shipment.expected_delivery)
            .join(page, Shipment.id == page.c.id)
            .outerjoin(Order, Shipment.order_id == Order.id).order_by(*order))


def list_shipments(session: Reader, *, platform=None, status=None, since=None, limit=200, offset=0) -> list[Row]:
    given, params = _shape(platform=platform, status=status, since=since, limit=limit, offset=offset)
    return [{"id": f"s{id_}", "carrier": carrier, "tracking_number": number, "verified": verified, "direction": direction,
             "status": status, "order_number": order_number, "last_event_at": _iso(last_event),
             "expected_delivery": expected.isoformat() if expected else None}
            for id_, carrier, number, verified, direction, status, order_number, last_event, expected
            in session.execute(_shipments_query(given), params)]


@lru_cache(maxsize=32)
def _messages_query(given: frozenset[str]) -> Select:
    query = _where(select(Message.id, Message.status, Message.from_addr, Message.subject, Message.parser_name,
                          Message.status_reason, Message.received_at, Message.source_kind),
                   given, {"platform": Message.parser_name == bindparam("platform"),
                           "status": Message.status == bindparam("status"),
                           "since": Message.received_at >= bindparam("since")})
    return _paged(query.order_by(Message.id.desc()), given)


def list_messages(session: Reader, *, platform=None, status=None, since=None, limit=200, offset=0) -> list[Row]:
    given, params = _shape(platform=platform, status=status, since=since, limit=limit, offset=offset)
    return [{"id": f"m{id_}", "status": status, "from": sender, "subject": subject, "parser": parser,
             "reason": reason, "received_at": _iso(received), "source": source}
            for id_, status, sender, subject, parser, reason, received, source
            in session.execute(_messages_query(given), params)]


@lru_cache(maxsize=32)
def _deadlines_query(given: frozenset[str]) -> Select:
    query = _where(select(Deadline.id, Deadline.kind, Deadline.order_id, Deadline.return_case_id, Deadline.due_on,
                          Deadline.rule_id, Deadline.anchor, Deadline.confidence),
                   given, {"kind": Deadline.kind == bindparam("kind"), "due_from": Deadline.due_on >= bindparam("due_from"),
                           "due_to": Deadline.due_on <= bindparam("due_to")})
    return _paged(query.order_by(Deadline.due_on, Deadline.id), given)


def list_deadlines(session: Reader, *, kind=None, due_from=None, due_to=None, limit=200, offset=0) -> list[Row]:
    """Deadlines as the rules stored them (kind, due date, rule, anchor, known/assumed), soonest first."""
    given, params = _shape(kind=kind, due_from=due_from, due_to=due_to, limit=limit, offset=offset)
    return [{"id": id_, "kind": kind, "order_id": f"o{order_id}", "return_case_id": f"r{case_id}" if case_id else None,
             "due_on": due_on, "rule_id": rule_id, "anchor": anchor, "confidence": confidence}
            for id_, kind, order_id, case_id, due_on, rule_id, anchor, confidence
            in session.execute(_deadlines_query(given), params)]


def list_pickups(session: Session, *, platform=None, status=None, since=None, limit=200, offset=0) -> list[Row]:
    """Parcels waiting at a station or locker (取件码), newest first: also notices without a tracking number."""
    query = (select(CaseEvent, Shipment.carrier, Shipment.tracking_number, Shipment.status)
             .outerjoin(Shipment, CaseEvent.shipment_id == Shipment.id)
             .where(CaseEvent.kind == "pickup_ready"))
    if since:
        query = query.where(CaseEvent.occurred_at >= since)
    if platform:
        query = query.where(Shipment.carrier == platform)
    query = query.order_by(CaseEvent.occurred_at.desc()).limit(limit).offset(offset)
    rows = []
    for event, carrier, number, shipment_status in session.execute(query):
        if status == "waiting" and shipment_status not in (None, "pickup_ready"):
            continue
        rows.append({"when": _iso(event.occurred_at), "carrier": carrier, "tracking_number": number,
                     "parcel_status": shipment_status, "detail": event.detail, "message": f"m{event.message_id}"})
    return rows


LISTERS: dict[str, Callable[..., list[Row]]] = {
    "orders": list_orders, "returns": list_returns, "shipments": list_shipments, "messages": list_messages,
    "pickups": list_pickups,
}

# what each SQL listing counts: (the filters' shape, the filtered statement without its page)
_COUNTED: dict[str, tuple[Callable[..., tuple[frozenset[str], dict[str, Any]]], Callable[[frozenset[str]], Select]]] = {
    "orders": (_shape, _order_ids_query), "returns": (_returns_params, _return_ids_query),
    "shipments": (_shape, _shipment_ids_query), "messages": (_shape, _messages_query),
}


def count_rows(session: Reader, what: str, **filters: Any) -> int:
    """How many rows ``LISTERS[what]`` lists with these filters and no limit: one COUNT in the database,
    not every row fetched ("200 of 51,234 shown")."""
    if what not in _COUNTED:
        return len(LISTERS[what](session, **filters, limit=None))
    shape, statement = _COUNTED[what]
    given, params = shape(**filters)
    return session.scalar(select(func.count()).select_from(statement(given).subquery()), params) or 0


def find_order(session: Session, ref: str) -> Order | None:
    """An order by 'o12', a return case 'r3', a parcel 's9', a stored mail 'm4' or its Message-ID, an
    order number, or a tracking number."""
    return resolve(session, ref)[0]


def resolve(session: Session, ref: str) -> tuple[Order | None, Shipment | None, Message | None]:
    """What ``ref`` names: (its order, the parcel it named, the mail it named); all None if nothing."""
    ref = ref.strip()
    prefix, number = ref[:1].lower(), ref[1:]
    shipment: Shipment | None = None
    message: Message | None = None
    if number.isdigit() and prefix in "orsm":
        if prefix == "o":
            return session.get(Order, int(number)), None, None
        if prefix == "r":
            case = session.get(ReturnCase, int(number))
            return (case.order if case else None), None, None
        if prefix == "s":
            shipment = session.get(Shipment, int(number))
        else:
            message = session.get(Message, int(number))
    elif "@" in ref:
        bare = ref.strip("<>")
        message = session.scalars(select(Message).where(Message.message_id.in_((f"<{bare}>", bare)))
                                  .order_by(Message.id)).first()
    else:
        order = session.scalars(select(Order).where(Order.order_number == ref)).first()
        if order is not None:
            return order, None, None
        compact = "".join(ref.split()).upper()
        shipment = session.scalars(select(Shipment).where(Shipment.tracking_number.in_((ref, compact)))
                                   .order_by(Shipment.id)).first()
    if shipment is not None:
        order_id = shipment.order_id
        if order_id is None and shipment.return_case_id is not None:
            order_id = session.scalar(select(ReturnCase.order_id).where(ReturnCase.id == shipment.return_case_id))
        return (session.get(Order, order_id) if order_id else None), shipment, None
    if message is not None:
        order_id = session.scalar(select(CaseEvent.order_id).where(CaseEvent.message_id == message.id,
                                                                   CaseEvent.order_id.is_not(None)).limit(1))
        return (session.get(Order, order_id) if order_id else None), None, message
    return None, None, None


def case_detail(session: Session, ref: str, *, now: datetime | None = None, tz=None) -> Row | None:
    """Everything about one order: items, returns, parcels (with a delivery prediction), timeline.

    A parcel without an order, or a mail that made no order, is shown on its own (``order`` is None)."""
    from smartreturn.tracking.prediction import predict_shipment

    order, shipment, message = resolve(session, ref)
    if order is None and shipment is None and message is None:
        return None
    merchant = session.get(Merchant, order.merchant_id) if order is not None and order.merchant_id else None
    if order is not None:
        cases = session.scalars(select(ReturnCase).where(ReturnCase.order_id == order.id).order_by(ReturnCase.id)).all()
        shipments = session.scalars(select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id)).all()
        items = session.scalars(select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.id)).all()
        step_filter = CaseEvent.order_id == order.id
    else:
        cases, items = [], []
        shipments = [shipment] if shipment is not None else []
        step_filter = (CaseEvent.shipment_id == shipment.id) if shipment is not None else (CaseEvent.message_id == message.id)
    timeline: list[Row] = []
    steps = session.execute(select(CaseEvent, Message.subject, Message.from_addr)
                            .outerjoin(Message, CaseEvent.message_id == Message.id)
                            .where(step_filter).order_by(CaseEvent.occurred_at, CaseEvent.id)).all()
    for step, subject, sender in steps:
        evidence = f"mail m{step.message_id} from {sender}: {subject}" if step.message_id else step.source
        timeline.append({"when": _iso(step.occurred_at), "what": step.kind, "detail": step.detail, "evidence": evidence,
                         "message": f"m{step.message_id}" if step.message_id else None})
    if shipments:
        events = session.scalars(select(TrackingEvent).where(
            TrackingEvent.shipment_id.in_([s.id for s in shipments]),
            TrackingEvent.source.not_in(("mail", "cli")))).all()  # those are already case events
        for event in events:
            timeline.append({"when": _iso(event.occurred_at), "what": f"parcel {event.status}",
                             "detail": " ".join(filter(None, [event.description, event.location])),
                             "evidence": f"tracking via {event.source}",
                             "message": f"m{event.message_id}" if event.message_id else None})
    timeline.sort(key=lambda row: row["when"] or "")
    return {
        "order": {"id": order.id, "platform": order.platform, "order_number": order.order_number,
                  "merchant": merchant.name if merchant else None, "order_date": _iso(order.order_date),
                  "total": order.total, "currency": order.currency, "status": order.status,
                  "delivered_at": _iso(order.delivered_at)} if order is not None else None,
        "message": {"id": message.id, "message_id": message.message_id, "status": message.status,
                    "reason": message.status_reason, "from": message.from_addr, "subject": message.subject,
                    "parser": message.parser_name, "received_at": _iso(message.received_at)}
                   if message is not None else None,
        "items": [{"name": i.name, "quantity": i.quantity, "unit_price": i.unit_price, "currency": i.currency} for i in items],
        "returns": [{"id": c.id, "case_number": c.case_number, "kind": c.kind, "status": c.status,
                     "reason_category": c.reason_category, "reason_text": c.reason_text,
                     "requested_at": _iso(c.requested_at), "received_at": _iso(c.received_at),
                     "refunded_at": _iso(c.refunded_at), "expected_refund": c.expected_refund,
                     "refunded_amount": c.refunded_amount, "return_shipping_cost": c.return_shipping_cost,
                     "currency": c.currency} for c in cases],
        "shipments": [{"id": s.id, "carrier": s.carrier, "tracking_number": s.tracking_number, "verified": s.verified,
                       "direction": s.direction, "status": s.status, "delivered_at": _iso(s.delivered_at),
                       "expected_delivery": s.expected_delivery.isoformat() if s.expected_delivery else None,
                       "prediction": _prediction(predict_shipment(session, s, now, tz) if now else None)}
                      for s in shipments],
        "timeline": timeline,
    }


def _prediction(prediction) -> Row | None:
    if prediction is None:
        return None
    return {"expected_on": prediction.expected_on.isoformat(), "earliest": prediction.earliest.isoformat(),
            "latest": prediction.latest.isoformat(), "late": prediction.late, "text": prediction.describe()}


def parser_health(session: Session, since: datetime) -> list[Row]:
    """Drift alarm: mail from a known platform/carrier sender that its parser could not read, per sender:
    unmatched (no record at all) or degraded (read by the generic layer instead)."""
    query = (select(Message.from_addr, func.count(Message.id), func.max(Message.received_at), func.max(Message.subject),
                    func.max(Message.status_reason))
             .where(or_(Message.status == "unmatched", Message.status_reason.startswith(DEGRADED_PREFIX)),
                    Message.received_at >= since)
             .group_by(Message.from_addr).order_by(func.count(Message.id).desc()))
    return [{"sender": sender, "unmatched": count, "last_seen": _iso(last), "example_subject": subject,
             "reason": reason} for sender, count, last, subject, reason in session.execute(query)]
