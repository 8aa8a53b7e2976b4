"""UPS notification mails."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from smartreturn.model import Direction, EventKind, ShipmentStatus, TrackingRef
from smartreturn.parsers.ups import UpsParser
from tests.parsers.carrier_mail import fixture, mail, run
from tests.tracking import checkdigit_data as cd

UPS = cd.ups("V2E847036812345")


def test_delivered_mail_gives_time_place_and_shipper() -> None:
    parser, events = fixture("ups/delivered_mychoice_en.eml")
    assert parser == "ups"
    (event,) = events
    assert event.kind is EventKind.DELIVERED and event.shipment_status is ShipmentStatus.DELIVERED
    assert event.tracking == (TrackingRef("1ZV2E8470368123454", "ups", Direction.OUTBOUND),)
    assert event.occurred_at == datetime(2026, 11, 24, 14, 47, tzinfo=timezone(timedelta(hours=-5)))
    assert event.merchant == "ACME OUTDOOR CO" and event.detail == "Front Door"


def test_scheduled_today_is_out_for_delivery_today() -> None:
    _, (event,) = fixture("ups/scheduled_today_html_b64.eml")
    assert event.kind is EventKind.OUT_FOR_DELIVERY
    assert event.expected_delivery == date(2026, 11, 25)


def test_scheduled_for_a_date_is_in_transit_with_that_date() -> None:
    parser, (event,) = fixture("ups/scheduled_date_forwarded.eml")
    assert parser == "ups"
    assert event.shipment_status is ShipmentStatus.IN_TRANSIT
    assert event.expected_delivery == date(2026, 11, 27)


def test_return_label_is_a_return_parcel() -> None:
    _, (event,) = fixture("ups/return_label_en.eml")
    assert event.kind is EventKind.RETURN_LABEL
    assert event.tracking[0].direction is Direction.RETURN


def test_marketing_from_the_same_sender_is_not_identified() -> None:
    assert fixture("ups/promo_mychoice_negative.eml") == (None, [])


def test_return_to_sender_is_an_outbound_parcel_going_back() -> None:
    email = mail("UPS <mcinfo@ups.com>", "UPS Update: Package Returned to Sender",
                 f"Your package is being returned to the sender.\nTracking Number: {UPS}\n")
    parser, (event,) = run(email)
    assert parser == "ups"
    assert event.kind is EventKind.DELIVERY_EXCEPTION
    assert event.shipment_status is ShipmentStatus.RETURNED_TO_SENDER
    assert event.tracking[0].direction is Direction.OUTBOUND


def test_delivery_attempted() -> None:
    email = mail("UPS <mcinfo@ups.com>", "UPS Update: Delivery Attempted",
                 f"We attempted to deliver your package.\nTracking Number: {UPS}\n")
    (event,) = UpsParser().extract(email)
    assert event.shipment_status is ShipmentStatus.FAILED_ATTEMPT


def test_a_wrong_check_digit_is_not_a_ups_mail() -> None:
    email = mail("UPS <mcinfo@ups.com>", "Your UPS Package was delivered",
                 f"Tracking Number: {cd.wrong_last(UPS)}\n")
    assert not UpsParser().identify(email)
    assert UpsParser().extract(email) == []


def test_other_senders_are_not_ups() -> None:
    email = mail("Shop <orders@shop.example>", "Your UPS Package was delivered", f"Tracking Number: {UPS}\n")
    assert not UpsParser().identify(email)


def test_being_returned_is_returning_not_yet_returned() -> None:
    email = mail("UPS <mcinfo@ups.com>", "UPS Update: Package Status",
                 f"Your package is being returned to the sender.\nTracking Number: {UPS}\n")
    (event,) = UpsParser().extract(email)
    assert event.kind is EventKind.DELIVERY_EXCEPTION
    assert event.shipment_status is ShipmentStatus.RETURNING
