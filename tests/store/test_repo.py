"""The store on a real SQLite file and a real PostgreSQL server: upserts, money, time zones."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, inspect, select

from smartreturn.model import Direction, Event, EventKind, Item, Money, ReturnKind, ReturnStatus, TrackingRef
from smartreturn.apply.manual import ManualReturn, ReturnUpdate, add_manual_return, update_return
from smartreturn.apply.events import apply_events
from smartreturn.store.tables import (
    Base, CaseEvent, Message, Order, OrderItem, ReturnCase, Shipment, TrackingEvent,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 14, 3, tzinfo=SHANGHAI)


def _message(session, n: int = 1) -> Message:
    message = Message(message_id=f"<m{n}@test>", content_hash=f"{n:064d}", raw=b"raw", size=3, source_kind="file",
                      status="parsed", received_at=T0)
    session.add(message)
    session.flush()
    return message


def _order_events() -> list[Event]:
    return [
        Event(kind=EventKind.ORDER_PLACED, platform="jd", order_number="301234567890", merchant="京东自营",
              occurred_at=T0, total=Money(Decimal("1299.00"), "cny"),
              items=(Item("小米手环 9 NFC版", 1, Money(Decimal("299.00"), "CNY")), Item("运动鞋 42码", 1, Money(Decimal("1000.00"), "CNY")))),
        Event(kind=EventKind.SHIPPED, platform="jd", order_number="301234567890", occurred_at=T0 + timedelta(hours=5),
              tracking=(TrackingRef("JDV012345678901", "jd"),)),
    ]


def _counts(session) -> dict[str, int]:
    return {t.name: session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def test_migrations_create_every_table(any_db):
    names = set(inspect(any_db.engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= names
    assert "alembic_version" in names


def test_applying_the_same_events_twice_changes_nothing(any_db):
    with any_db.session() as session:
        message = _message(session)
        apply_events(session, message, _order_events(), default_time=T0)
    with any_db.session() as session:
        before = _counts(session)
        apply_events(session, session.get(Message, 1), _order_events(), default_time=T0)
    with any_db.session() as session:
        assert _counts(session) == before
        assert before["orders"] == 1 and before["items"] == 2 and before["shipments"] == 1
        assert before["case_events"] == 2 and before["tracking_events"] == 1


def test_money_is_decimal_and_times_come_back_tz_aware_utc(any_db):
    with any_db.session() as session:
        apply_events(session, _message(session), _order_events(), default_time=T0)
    with any_db.session() as session:
        order = session.scalars(select(Order)).one()
        assert order.total == Decimal("1299.00") and isinstance(order.total, Decimal)
        assert order.currency == "CNY"
        assert order.order_date == T0 and order.order_date.utcoffset() == timedelta(0)
        assert order.order_date.hour == 6  # 14:03 in Shanghai is 06:03 UTC
        shipment = session.scalars(select(Shipment)).one()
        assert (shipment.carrier, shipment.tracking_number, shipment.status) == ("jd", "JDV012345678901", "in_transit")
        assert shipment.order_id == order.id


def test_naive_datetimes_are_refused(any_db):
    with pytest.raises(Exception, match="naive datetime"):
        with any_db.session() as session:
            session.add(Message(message_id="<x>", content_hash="f" * 64, raw=b"", size=0, source_kind="file",
                                status="new", received_at=datetime(2026, 1, 1)))


def test_return_flow_partial_refunds_add_up_and_reason_is_kept(any_db):
    events = [
        Event(kind=EventKind.RETURN_REQUESTED, platform="amazon", order_number="302-1234567-1234567",
              occurred_at=T0, return_reason="too small", items=(Item("Running shoes", 1, Money(Decimal("80.00"), "EUR")),)),
        Event(kind=EventKind.RETURN_SHIPPED, platform="amazon", order_number="302-1234567-1234567",
              occurred_at=T0 + timedelta(days=1), tracking=(TrackingRef("1Z999AA10123456784", "ups", Direction.RETURN),)),
        Event(kind=EventKind.REFUND_ISSUED, platform="amazon", order_number="302-1234567-1234567",
              occurred_at=T0 + timedelta(days=5), refund_amount=Money(Decimal("50.00"), "EUR")),
    ]
    with any_db.session() as session:
        apply_events(session, _message(session, 1), events, default_time=T0)
        second = [Event(kind=EventKind.REFUND_ISSUED, platform="amazon", order_number="302-1234567-1234567",
                        occurred_at=T0 + timedelta(days=6), refund_amount=Money(Decimal("30.00"), "EUR"))]
        apply_events(session, _message(session, 2), second, default_time=T0)
        apply_events(session, session.get(Message, 2), second, default_time=T0)  # re-parse of the same mail
    with any_db.session() as session:
        case = session.scalars(select(ReturnCase)).one()
        assert case.status == ReturnStatus.REFUNDED
        assert case.refunded_amount == Decimal("80.00")
        assert case.expected_refund == Decimal("80.00")
        assert case.reason_text == "too small" and case.reason_source == "mail"
        shipment = session.scalars(select(Shipment)).one()
        assert shipment.direction == "return" and shipment.return_case_id == case.id


def test_out_of_order_mail_never_reopens_a_case(any_db):
    order = "028-0000000-0000000"
    late_request = Event(kind=EventKind.RETURN_REQUESTED, platform="amazon", order_number=order, occurred_at=T0)
    refund = Event(kind=EventKind.REFUND_ISSUED, platform="amazon", order_number=order, merchant="Amazon.de",
                   occurred_at=T0 + timedelta(days=9), refund_amount=Money(Decimal("20.00"), "EUR"))
    with any_db.session() as session:
        apply_events(session, _message(session, 1), [refund], default_time=T0)
        apply_events(session, _message(session, 2), [late_request], default_time=T0)
    with any_db.session() as session:
        case = session.scalars(select(ReturnCase)).one()
        assert case.status == "refunded" and case.closed_at == T0 + timedelta(days=9)
        assert session.scalars(select(Order.region)).one() == "de"


def test_a_later_case_number_adopts_the_unnumbered_case(any_db):
    with any_db.session() as session:
        apply_events(session, _message(session, 1), [Event(kind=EventKind.RETURN_REQUESTED, platform="jd",
                     order_number="1", occurred_at=T0)], default_time=T0)
        apply_events(session, _message(session, 2), [Event(kind=EventKind.RETURN_APPROVED, platform="jd",
                     order_number="1", occurred_at=T0, return_case_number="SV-77", return_kind=ReturnKind.EXCHANGE)],
                     default_time=T0)
    with any_db.session() as session:
        case = session.scalars(select(ReturnCase)).one()
        assert (case.case_number, case.kind, case.status) == ("SV-77", "exchange", "approved")


def test_user_correction_wins_over_later_mail(any_db):
    with any_db.session() as session:
        case_id = add_manual_return(session, ManualReturn(
            order_number="A-1", platform="shopify", kind=ReturnKind.RETURN, requested_at=T0, currency="USD",
            items=("Linen shirt",), reason="sleeves too long", paid=Decimal("59.90"), shipping_cost=Decimal("7.50"),
            tracking_number="9400111899223197428490", carrier="usps"))
        update_return(session, case_id, ReturnUpdate(reason="wrong colour sent"), now=T0)
        apply_events(session, _message(session), [Event(kind=EventKind.RETURN_RECEIVED, platform="shopify",
                     order_number="A-1", occurred_at=T0 + timedelta(days=3), return_reason="customer changed mind")],
                     default_time=T0)
    with any_db.session() as session:
        case = session.get(ReturnCase, case_id)
        assert case.reason_text == "wrong colour sent" and case.reason_user_set
        assert case.status == "received"
        assert case.expected_refund == Decimal("59.90") and case.return_shipping_cost == Decimal("7.50")
        kinds = session.scalars(select(CaseEvent.kind).order_by(CaseEvent.id)).all()
        assert kinds == ["cli:return_added", "cli:return_updated", "return_received"]
        assert session.scalar(select(func.count()).select_from(TrackingEvent)) == 1
        assert session.scalars(select(OrderItem.name)).all() == ["Linen shirt"]


def test_expected_delivery_is_a_date(any_db):
    event = Event(kind=EventKind.SHIPPED, platform="ups", occurred_at=T0, expected_delivery=date(2026, 11, 24),
                  tracking=(TrackingRef("1Z999AA10123456784", "ups"),))
    with any_db.session() as session:
        apply_events(session, _message(session), [event], default_time=T0)
    with any_db.session() as session:
        assert session.scalars(select(Shipment.expected_delivery)).one() == date(2026, 11, 24)


def test_a_carrier_mail_delivering_the_return_parcel_moves_the_case_to_received(any_db):
    order = "303-0000000-0000001"
    label = Event(kind=EventKind.RETURN_LABEL, platform="amazon", order_number=order, merchant="Amazon.de",
                  occurred_at=T0, tracking=(TrackingRef("1Z999AA10123456784", "ups", Direction.RETURN),))
    delivered = Event(kind=EventKind.DELIVERED, platform="ups", occurred_at=T0 + timedelta(days=3),
                      tracking=(TrackingRef("1Z999AA10123456784", "ups"),))  # the carrier does not know it is a return
    with any_db.session() as session:
        apply_events(session, _message(session, 1), [label], default_time=T0)
        apply_events(session, _message(session, 2), [delivered], default_time=T0)
    with any_db.session() as session:
        case = session.scalars(select(ReturnCase)).one()
        assert case.status == "received" and case.received_at == T0 + timedelta(days=3)
        shipment = session.scalars(select(Shipment)).one()
        assert (shipment.direction, shipment.status) == ("return", "delivered")
        assert session.scalars(select(Order.delivered_at)).one() is None  # the order itself was not delivered now
