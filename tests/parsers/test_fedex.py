"""FedEx tracking updates."""

from __future__ import annotations

from datetime import date, datetime, timezone

from smartreturn.model import Direction, EventKind, ShipmentStatus, TrackingRef
from smartreturn.parsers.fedex import FedexParser
from tests.parsers.carrier_mail import fixture, mail
from tests.tracking import checkdigit_data as cd

FEDEX = cd.fedex12("39874659301")


def test_on_its_way_with_scheduled_delivery() -> None:
    parser, (event,) = fixture("fedex/on_its_way_en.eml")
    assert parser == "fedex"
    assert event.kind is EventKind.SHIPPED and event.shipment_status is ShipmentStatus.IN_TRANSIT
    assert event.tracking == (TrackingRef("398746593010", "fedex", Direction.OUTBOUND),)
    assert event.expected_delivery == date(2026, 11, 26)


def test_reference_and_po_numbers_are_not_tracking_numbers() -> None:
    _, events = fixture("fedex/on_its_way_en.eml")
    assert [e.tracking[0].number for e in events] == ["398746593010"]


def test_delivered_html_only() -> None:
    _, (event,) = fixture("fedex/delivered_html_b64.eml")
    assert event.kind is EventKind.DELIVERED
    assert event.occurred_at == datetime(2026, 11, 24, 10, 12, tzinfo=timezone.utc)
    assert event.merchant == "Best Buy"


def test_forwarded_exception() -> None:
    parser, (event,) = fixture("fedex/exception_forwarded_text.eml")
    assert parser == "fedex"
    assert event.kind is EventKind.DELIVERY_EXCEPTION
    assert event.tracking[0].number == "581033774927"


def test_promo_is_not_identified() -> None:
    assert fixture("fedex/promo_delivery_manager_negative.eml") == (None, [])


def test_twelve_digits_with_a_wrong_check_digit_are_ignored() -> None:
    email = mail("FedEx <TrackingUpdates@fedex.com>", "Your package has been delivered",
                 f"Tracking number: {cd.wrong_last(FEDEX)}")
    assert not FedexParser().identify(email)


def test_return_shipment_delivered_to_the_merchant() -> None:
    email = mail("FedEx <TrackingUpdates@fedex.com>", "Your return shipment has been delivered",
                 f"Your return package was delivered to the shipper.\nTracking number: {FEDEX}")
    (event,) = FedexParser().extract(email)
    assert event.kind is EventKind.RETURN_RECEIVED
    assert event.tracking[0].direction is Direction.RETURN
