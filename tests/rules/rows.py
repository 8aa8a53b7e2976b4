"""Small helpers that insert real rows (store/tables.py) for the rules tests."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from decimal import Decimal
from itertools import count

from sqlalchemy.orm import Session

from smartreturn.store.tables import Merchant, Message, Order, OrderItem, ReturnCase, Shipment

_numbers = count(1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def merchant(session: Session, name: str, platform: str = "shop") -> Merchant:
    row = Merchant(platform=platform, name=name)
    session.add(row)
    session.flush()
    return row


def order(session: Session, *, platform: str = "otto", region: str | None = "de", ordered: datetime | None = None,
          delivered: datetime | None = None, total: str | None = "50.00", currency: str = "EUR",
          shop: Merchant | None = None, items: tuple[str, ...] = ("Item",), category: str | None = None,
          status: str = "delivered") -> Order:
    row = Order(platform=platform, order_number=f"ORD-{next(_numbers)}", region=region, order_date=ordered,
                delivered_at=delivered, total=Decimal(total) if total else None, currency=currency,
                merchant_id=shop.id if shop else None, category=category, status=status)
    session.add(row)
    session.flush()
    for name in items:
        session.add(OrderItem(order_id=row.id, name=name))
    session.flush()
    session.refresh(row)
    return row


def case(session: Session, of: Order, *, status: str = "requested", kind: str = "return",
         requested: datetime | None = None, shipped: datetime | None = None, received: datetime | None = None,
         refunded: datetime | None = None, expected: str | None = None, refunded_amount: str | None = None,
         reason: str | None = None, created: datetime | None = None) -> ReturnCase:
    row = ReturnCase(order_id=of.id, case_number=f"RMA-{next(_numbers)}", kind=kind, status=status,
                     requested_at=requested, shipped_at=shipped, received_at=received, refunded_at=refunded,
                     expected_refund=Decimal(expected) if expected else None, currency=of.currency,
                     refunded_amount=Decimal(refunded_amount) if refunded_amount else None,
                     reason_category=reason)
    if created is not None:
        row.created_at = created
    session.add(row)
    session.flush()
    return row


def parcel(session: Session, *, of: Order | None = None, for_case: ReturnCase | None = None, status: str = "in_transit",
           direction: str = "outbound", shipped: datetime | None = None, last_event: datetime | None = None,
           delivered: datetime | None = None, stuck: bool = False, carrier: str = "dhl") -> Shipment:
    row = Shipment(carrier=carrier, tracking_number=f"TN{next(_numbers):08d}", direction=direction,
                   order_id=of.id if of else (for_case.order_id if for_case else None),
                   return_case_id=for_case.id if for_case else None, status=status, shipped_at=shipped,
                   last_event_at=last_event, delivered_at=delivered, stuck=stuck)
    session.add(row)
    session.flush()
    return row


def message(session: Session, *, sender: str, received: datetime, status: str = "unmatched") -> Message:
    raw = f"From: {sender}\r\nX-N: {next(_numbers)}\r\n\r\nbody".encode()
    row = Message(message_id=f"<{next(_numbers)}@test>", content_hash=hashlib.sha256(raw).hexdigest(), raw=raw,
                  size=len(raw), source_kind="file", from_addr=sender, received_at=received, status=status)
    session.add(row)
    session.flush()
    return row
