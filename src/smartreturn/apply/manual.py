"""Returns entered or corrected by hand (CLI). A user's correction is never overwritten by mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from smartreturn.errors import StoreError
from smartreturn.model import Direction, ReasonCategory, ReturnKind, ReturnStatus, ShipmentStatus
from smartreturn.stats.reasons import classify
from smartreturn.apply.parcels import note_verified, record_status
from smartreturn.store.repo import find_or_create_case, upsert_merchant, upsert_order, upsert_shipment
from smartreturn.store.tables import CaseEvent, Order, OrderItem, ReturnCase
from smartreturn.tracking.detect import confirmed


@dataclass(frozen=True, slots=True)
class ManualReturn:
    order_number: str
    platform: str
    kind: ReturnKind
    requested_at: datetime
    currency: str
    items: tuple[str, ...] = ()
    reason: str | None = None
    category: ReasonCategory | None = None
    merchant: str | None = None
    paid: Decimal | None = None
    expected_refund: Decimal | None = None
    shipping_cost: Decimal | None = None
    tracking_number: str | None = None
    carrier: str | None = None
    goods_category: str | None = None  # custom_made / fresh / ... (statutory exclusions): the order's


@dataclass(frozen=True, slots=True)
class ReturnUpdate:
    status: ReturnStatus | None = None
    reason: str | None = None
    category: ReasonCategory | None = None
    refunded: Decimal | None = None
    expected_refund: Decimal | None = None
    shipping_cost: Decimal | None = None
    restocking_fee: Decimal | None = None
    note: str | None = None


def add_manual_return(session: Session, entry: ManualReturn) -> int:
    order = upsert_order(session, entry.platform, entry.order_number)
    if entry.merchant:
        order.merchant_id = order.merchant_id or upsert_merchant(session, entry.platform, entry.merchant).id
    if entry.paid is not None:
        order.total, order.currency = entry.paid, entry.currency
    for name in entry.items:
        if not any(i.name == name for i in order.items):
            session.add(OrderItem(order_id=order.id, name=name[:500], quantity=1))
    case = find_or_create_case(session, order, None, entry.kind)
    case.kind = entry.kind.value
    case.requested_at = case.requested_at or entry.requested_at
    case.currency = case.currency or entry.currency
    if entry.items:
        case.items_text = ", ".join(entry.items)
    if entry.reason or entry.category:
        _set_reason(case, entry.reason, entry.category)
    case.expected_refund = entry.expected_refund if entry.expected_refund is not None else case.expected_refund or entry.paid
    if entry.expected_refund is not None:
        case.expected_source = "cli"
    if entry.goods_category:
        order.category, order.category_user_set = entry.goods_category, True
    if entry.shipping_cost is not None:
        case.return_shipping_cost = entry.shipping_cost
    if entry.tracking_number:
        shipment = upsert_shipment(session, entry.tracking_number, entry.carrier)
        note_verified(shipment, confirmed(entry.tracking_number, entry.carrier))
        shipment.direction, shipment.order_id, shipment.return_case_id = Direction.RETURN.value, order.id, case.id
        record_status(session, shipment, ShipmentStatus.INFO_RECEIVED, entry.requested_at, source="cli")
    session.add(CaseEvent(kind="cli:return_added", occurred_at=entry.requested_at, order_id=order.id,
                          return_case_id=case.id, detail=entry.reason, source="cli"))
    session.flush()
    return case.id


def update_return(session: Session, case_id: int, change: ReturnUpdate, *, now: datetime) -> ReturnCase:
    case = session.get(ReturnCase, case_id)
    if case is None:
        raise StoreError(f"no return case r{case_id}")
    details = []
    if change.status is not None:
        case.status = change.status.value
        details.append(f"status {change.status.value}")
        date_field = {ReturnStatus.RECEIVED: "received_at", ReturnStatus.REFUNDED: "refunded_at",
                      ReturnStatus.SHIPPED: "shipped_at", ReturnStatus.APPROVED: "approved_at"}.get(change.status)
        if date_field and getattr(case, date_field) is None:
            setattr(case, date_field, now)
        if change.status in (ReturnStatus.REFUNDED, ReturnStatus.REJECTED, ReturnStatus.CANCELLED):
            case.closed_at = case.closed_at or now
    if change.reason is not None or change.category is not None:
        _set_reason(case, change.reason, change.category)
        details.append(f"reason {case.reason_category or ''} {case.reason_text or ''}".strip())
    for field, value in (("refunded_amount", change.refunded), ("expected_refund", change.expected_refund),
                         ("return_shipping_cost", change.shipping_cost), ("restocking_fee", change.restocking_fee)):
        if value is not None:
            setattr(case, field, value)
            details.append(f"{field} {value}")
            if field == "expected_refund":
                case.expected_source = "cli"
    if change.note:
        case.notes = f"{case.notes}\n{change.note}" if case.notes else change.note
        details.append("note")
    session.add(CaseEvent(kind="cli:return_updated", occurred_at=now, order_id=case.order_id,
                          return_case_id=case.id, detail="; ".join(details), source="cli"))
    session.flush()
    return case


def _set_reason(case: ReturnCase, text: str | None, category: ReasonCategory | None) -> None:
    if text is not None:
        case.reason_text = text
    if category is not None:
        case.reason_category = category.value
        case.reason_confidence = 1.0
    elif text:
        guess = classify(text)
        case.reason_category, case.reason_confidence = guess.category.value, guess.confidence
    case.reason_source = "cli"
    case.reason_user_set = True


GOODS_CATEGORIES = ("custom_made", "fresh", "perishable", "digital_download", "newspaper", "periodical",
                    "opened_hygiene", "opened_audio_visual", "opened_software", "electronics", "apple", "other")


def set_order_category(session: Session, order_id: int, category: str | None, *, now: datetime,
                       country: str | None = None) -> Order:
    """The user's goods category (and shop country) for an order: it wins over the word lists and is
    never overwritten by mail; the rules' exclusions follow it on the next run."""
    order = session.get(Order, order_id)
    if order is None:
        raise StoreError(f"no order o{order_id}")
    details = []
    if category is not None:
        order.category = category or None
        order.category_user_set = True
        details.append(f"category {category or '-'}")
    if country is not None:
        order.country = country.upper()[:2] or None
        details.append(f"country {order.country or '-'}")
    session.add(CaseEvent(kind="cli:order_updated", occurred_at=now, order_id=order.id, detail="; ".join(details),
                          source="cli"))
    session.flush()
    return order
