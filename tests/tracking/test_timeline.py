"""Mail and provider events merge into one ordered timeline without duplicates."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from smartreturn.model import ShipmentStatus as S
from smartreturn.store.tables import CaseEvent, Order, ReturnCase, Shipment, TrackingEvent
from smartreturn.tracking.providers.base import ProviderEvent
from smartreturn.apply.parcels import merge_events, record_status, timeline

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
CST = timezone(timedelta(hours=8))


def _shipment(session, **kw) -> Shipment:
    shipment = Shipment(carrier=kw.pop("carrier", "ups"), tracking_number=kw.pop("number", "1Z999AA10123456784"), **kw)
    session.add(shipment)
    session.flush()
    return shipment


def test_mail_and_provider_events_merge_without_duplicates(sqlite_db):
    with sqlite_db.session() as session:
        shipment = _shipment(session)
        record_status(session, shipment, S.IN_TRANSIT, T0, description="Your parcel is on its way")
        provider_events = [
            # the same scan as the mail, reported in another zone and with microseconds
            ProviderEvent(T0.astimezone(CST).replace(microsecond=120), S.IN_TRANSIT, "Departed", "Köln"),
            ProviderEvent(T0 + timedelta(days=1), S.OUT_FOR_DELIVERY, "Out for delivery"),
            ProviderEvent(T0 + timedelta(days=1, hours=5), S.DELIVERED, "Delivered, front door"),
        ]
        outcome = merge_events(session, shipment, reversed(provider_events), source="17track", current=S.DELIVERED)
        assert outcome.added == 2
        assert outcome.delivered_now
        again = merge_events(session, shipment, provider_events, source="17track", current=S.DELIVERED)
        assert again.added == 0 and not again.changed
        rows = timeline(session, shipment.id)
        assert [(r.status, r.source) for r in rows] == [
            ("in_transit", "mail"), ("out_for_delivery", "17track"), ("delivered", "17track")]
        assert shipment.status == "delivered"
        assert shipment.delivered_at == T0 + timedelta(days=1, hours=5)
        assert shipment.last_event_at == T0 + timedelta(days=1, hours=5)
        assert shipment.shipped_at == T0
        assert session.scalar(select(TrackingEvent).where(TrackingEvent.shipment_id == shipment.id)
                              .order_by(TrackingEvent.id)).description == "Your parcel is on its way"


def test_a_newer_mail_wins_over_an_older_provider_status(sqlite_db):
    with sqlite_db.session() as session:
        shipment = _shipment(session)
        record_status(session, shipment, S.DELIVERED, T0 + timedelta(days=2))
        outcome = merge_events(session, shipment, [ProviderEvent(T0, S.IN_TRANSIT)], source="aftership",
                               current=S.IN_TRANSIT)
        assert outcome.added == 1
        assert shipment.status == "delivered"


def test_same_instant_later_stage_wins(sqlite_db):
    with sqlite_db.session() as session:
        shipment = _shipment(session)
        merge_events(session, shipment, [ProviderEvent(T0, S.DELIVERED), ProviderEvent(T0, S.OUT_FOR_DELIVERY)],
                     source="kuaidi100")
        assert shipment.status == "delivered"
        assert [r.status for r in timeline(session, shipment.id)] == ["out_for_delivery", "delivered"]


def test_new_movement_clears_stuck(sqlite_db):
    with sqlite_db.session() as session:
        shipment = _shipment(session, stuck=True, last_event_at=T0)
        merge_events(session, shipment, [ProviderEvent(T0 + timedelta(days=9), S.IN_TRANSIT)], source="17track")
        assert shipment.stuck is False


def test_delivered_return_parcel_marks_the_case_received(sqlite_db):
    with sqlite_db.session() as session:
        order = Order(platform="amazon", order_number="302-1234567-7654321")
        session.add(order)
        session.flush()
        case = ReturnCase(order_id=order.id, status="shipped")
        session.add(case)
        session.flush()
        shipment = _shipment(session, direction="return", return_case_id=case.id, order_id=order.id)
        when = T0 + timedelta(days=3)
        merge_events(session, shipment, [ProviderEvent(T0, S.IN_TRANSIT), ProviderEvent(when, S.DELIVERED)],
                     source="17track", current=S.DELIVERED)
        assert case.status == "received"
        assert case.received_at == when  # the refund clock starts here
        event = session.scalar(select(CaseEvent).where(CaseEvent.return_case_id == case.id))
        assert (event.kind, event.source, event.shipment_id) == ("tracking:delivered", "tracking", shipment.id)


def test_outbound_delivery_leaves_the_return_case_alone(sqlite_db):
    with sqlite_db.session() as session:
        shipment = _shipment(session)
        merge_events(session, shipment, [ProviderEvent(T0, S.DELIVERED)], source="17track")
        assert session.scalars(select(CaseEvent)).all() == []


def test_shipped_is_the_first_movement_not_a_label_or_an_arrival(sqlite_db):
    with sqlite_db.session() as session:
        label_only = _shipment(session, number="LABEL1")
        record_status(session, label_only, S.INFO_RECEIVED, T0, source="cli")
        arrival_only = _shipment(session, number="ARRIVED1")
        record_status(session, arrival_only, S.DELIVERED, T0 + timedelta(days=2))
        assert label_only.shipped_at is None and arrival_only.shipped_at is None
        assert arrival_only.delivered_at == T0 + timedelta(days=2)
        record_status(session, arrival_only, S.IN_TRANSIT, T0)  # the "shipped" mail, read late
        assert arrival_only.shipped_at == T0 and arrival_only.status == "delivered"


def test_a_case_linked_after_its_parcel_arrived_is_moved_by_the_next_merge(sqlite_db):
    with sqlite_db.session() as session:
        order = Order(platform="amazon", order_number="302-1234567-0000002")
        session.add(order)
        session.flush()
        shipment = _shipment(session, direction="return", order_id=order.id)
        record_status(session, shipment, S.DELIVERED, T0)
        case = ReturnCase(order_id=order.id, status="shipped")
        session.add(case)
        session.flush()
        shipment.return_case_id = case.id
        outcome = record_status(session, shipment, S.DELIVERED, T0)  # the same mail, read again
        assert outcome.added == 0 and not outcome.changed
        assert (case.status, case.received_at) == ("received", T0)
