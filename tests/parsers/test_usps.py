"""USPS tracking mails and Informed Delivery."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from smartreturn.model import EventKind, ShipmentStatus
from smartreturn.parsers.usps import UspsParser
from tests.parsers.carrier_mail import fixture, mail


def test_expected_delivery_mail() -> None:
    parser, (event,) = fixture("usps/expected_delivery_en.eml")
    assert parser == "usps"
    assert event.shipment_status is ShipmentStatus.IN_TRANSIT
    assert event.expected_delivery == date(2026, 11, 27)
    assert event.tracking[0].number == "9400111899223859241877"
    assert event.merchant == "CHEWY INC"


def test_delivered_mailbox_with_time() -> None:
    _, (event,) = fixture("usps/delivered_mailbox_html_b64.eml")
    assert event.kind is EventKind.DELIVERED
    assert event.occurred_at == datetime(2026, 11, 24, 13, 58, tzinfo=timezone(timedelta(hours=-6)))


def test_informed_delivery_gives_one_event_per_package_with_its_shipper() -> None:
    parser, events = fixture("usps/informed_delivery_digest.eml")
    assert parser == "usps"
    assert [(e.tracking[0].number, e.merchant) for e in events] == [
        ("9405511899223977125809", "WAYFAIR"),
        ("9205501869340277461993", "EBAY SELLER VINTAGEFINDS"),
    ]
    assert {e.kind for e in events} == {EventKind.OUT_FOR_DELIVERY}


def test_digest_without_packages_is_negative() -> None:
    assert fixture("usps/digest_nothing_today_negative.eml") == (None, [])


def test_available_for_pickup() -> None:
    email = mail("USPS <auto-reply@usps.com>", "USPS® Item Available for Pickup 9400111899223859241877",
                 "Your item is available for pickup at the BROOKLYN post office.", date="Wed, 25 Nov 2026 09:00:00 -0500")
    (event,) = UspsParser().extract(email)
    assert event.kind is EventKind.PICKUP_READY


def test_digest_sections_give_each_package_its_own_status() -> None:
    today, soon = "9405511899223977125809", "9400111899223859241877"
    html = (
        "<table><tr><td>Informed Delivery Daily Digest</td></tr>"
        "<tr><td><b>Arriving Today</b></td></tr>"
        f"<tr><td>From:</td><td>WAYFAIR</td><td>Tracking Number:</td><td>{today}</td></tr>"
        "<tr><td><b>Arriving Soon</b></td></tr>"
        f"<tr><td>From:</td><td>CHEWY INC</td><td>Tracking Number:</td><td>{soon}</td></tr></table>"
    )
    email = mail("USPS Informed Delivery <USPSInformeddelivery@email.informeddelivery.usps.com>",
                 "Your Daily Digest for Wed, 11/25 is ready to view", html=html)
    events = UspsParser().extract(email)
    assert [(e.tracking[0].number, e.shipment_status, e.merchant) for e in events] == [
        (today, ShipmentStatus.OUT_FOR_DELIVERY, "WAYFAIR"),
        (soon, ShipmentStatus.IN_TRANSIT, "CHEWY INC"),
    ]
    assert events[0].expected_delivery == date(2026, 11, 25)
