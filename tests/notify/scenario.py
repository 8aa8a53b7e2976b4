"""A store with one late refund (Amazon.de, parcel delivered to the merchant 20 days ago)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from smartreturn.store.db import Database
from smartreturn.store.tables import Merchant, Order, OrderItem, ReturnCase, Shipment

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)


def late_refund(db: Database, item_name: str = "Trail running shoes <b>Gr. 44</b>") -> int:
    with db.session() as s:
        merchant = Merchant(platform="amazon", name="Amazon.de", support_email="rueckgabe@amazon.example")
        s.add(merchant)
        s.flush()
        order = Order(platform="amazon", order_number="302-1111111-2222222", merchant_id=merchant.id,
                      order_date=NOW - timedelta(days=45), delivered_at=NOW - timedelta(days=40), total=Decimal("59.90"),
                      currency="EUR", status="delivered", region="eu")
        s.add(order)
        s.flush()
        s.add(OrderItem(order_id=order.id, name=item_name, quantity=1, unit_price=Decimal("59.90"), currency="EUR"))
        case = ReturnCase(order_id=order.id, case_number="", kind="return", status="received",
                          requested_at=NOW - timedelta(days=30), shipped_at=NOW - timedelta(days=28),
                          received_at=NOW - timedelta(days=20), expected_refund=Decimal("59.90"), currency="EUR",
                          items_text=item_name, reason_category="size_fit", reason_text="zu klein")
        s.add(case)
        s.flush()
        s.add(Shipment(carrier="dhl_paket", tracking_number="00340434161234567890", direction="return",
                       order_id=order.id, return_case_id=case.id, status="delivered",
                       shipped_at=NOW - timedelta(days=28), delivered_at=NOW - timedelta(days=20),
                       last_event_at=NOW - timedelta(days=20)))
        return case.id
