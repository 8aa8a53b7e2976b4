"""DHL Paket (German) and DHL Express mails."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from smartreturn.model import Direction, EventKind, ShipmentStatus, TrackingRef
from smartreturn.parsers.dhl import DhlParser
from tests.parsers.carrier_mail import fixture, mail
from tests.tracking import checkdigit_data as cd

CET = timezone(timedelta(hours=1))


def test_kommt_heute() -> None:
    parser, (event,) = fixture("dhl/kommt_heute_de.eml")
    assert parser == "dhl"
    assert event.kind is EventKind.OUT_FOR_DELIVERY
    assert event.platform == "dhl_paket"
    assert event.tracking == (TrackingRef("00340434161094042557", "dhl_paket", Direction.OUTBOUND),)
    assert event.expected_delivery == date(2026, 11, 25)
    assert event.merchant == "Zalando SE"


def test_zugestellt_with_german_timestamp() -> None:
    _, (event,) = fixture("dhl/zugestellt_de_html_b64.eml")
    assert event.kind is EventKind.DELIVERED
    assert event.occurred_at == datetime(2026, 11, 24, 11, 32, tzinfo=CET)
    assert event.detail == "Nachbar/in, Musterstraße 14"


def test_packstation_pickup_forwarded() -> None:
    parser, (event,) = fixture("dhl/abholbereit_de_forwarded.eml")
    assert parser == "dhl"
    assert event.shipment_status is ShipmentStatus.PICKUP_READY


def test_express_in_english_uses_the_express_carrier() -> None:
    _, (event,) = fixture("dhl/express_on_the_way_en.eml")
    assert event.tracking == (TrackingRef("3864712095", "dhl", Direction.OUTBOUND),)
    assert event.expected_delivery == date(2026, 11, 26)


def test_ruecksendung_is_a_return_parcel() -> None:
    _, (event,) = fixture("dhl/ruecksendung_unterwegs_de.eml")
    assert event.kind is EventKind.RETURN_SHIPPED
    assert event.tracking[0].direction is Direction.RETURN
    assert event.merchant == "Zalando SE"


def test_newsletter_is_negative() -> None:
    assert fixture("dhl/newsletter_packstation_negative.eml") == (None, [])


def test_zustellversuch_and_ruecksendung_an_absender() -> None:
    number = "00" + cd.mod10_31("34043416109404255")
    attempt = mail("DHL Paket <noreply@dhl.de>", "Ihre Sendung konnte nicht zugestellt werden",
                   f"Leider haben wir Sie nicht angetroffen.\nSendungsnummer: {number}")
    (event,) = DhlParser().extract(attempt)
    assert event.shipment_status is ShipmentStatus.FAILED_ATTEMPT
    back = mail("DHL Paket <noreply@dhl.de>", "Ihre Sendung wird an den Absender zurückgesendet",
                f"Sendungsnummer: {number}")
    (event,) = DhlParser().extract(back)
    assert event.shipment_status is ShipmentStatus.RETURNING
    assert event.tracking[0].direction is Direction.OUTBOUND


def test_twelve_digit_sendungsnummer_without_check_digit_is_accepted_from_dhl() -> None:
    email = mail("DHL Paket <noreply@dhl.de>", "Ihr Paket kommt heute", "Sendungsnummer: 340434161094")
    (event,) = DhlParser().extract(email)
    assert event.tracking[0].number == "340434161094"


def test_footer_slogan_does_not_decide_the_status() -> None:
    email = mail("DHL Express <noreply@dhl.com>", "DHL Express notification",
                 "Your shipment is on the way.\nWaybill Number: 3864712095\n\nDHL Express - Excellence. Simply delivered.")
    (event,) = DhlParser().extract(email)
    assert event.shipment_status is ShipmentStatus.IN_TRANSIT
    assert event.tracking == (TrackingRef("3864712095", "dhl", Direction.OUTBOUND),)


def test_kommt_morgen_is_in_transit_until_tomorrow() -> None:
    number = "00" + cd.mod10_31("34043416109404255")
    email = mail("DHL Paket <noreply@dhl.de>", "Ihr Paket kommt morgen",
                 f"Ihre Sendung von Thalia kommt morgen.\nSendungsnummer: {number}",
                 date="Wed, 25 Nov 2026 18:00:00 +0100")
    (event,) = DhlParser().extract(email)
    assert event.shipment_status is ShipmentStatus.IN_TRANSIT
    assert event.expected_delivery == date(2026, 11, 26)
    assert event.merchant == "Thalia"


def test_voraussichtliche_zustellung_with_german_date() -> None:
    number = "00" + cd.mod10_31("34043416109404255")
    email = mail("DHL Paket <noreply@dhl.de>", "Ihre DHL Sendung ist unterwegs",
                 f"Voraussichtliche Zustellung: Freitag, 27. November\nSendungsnummer: {number}")
    (event,) = DhlParser().extract(email)
    assert event.expected_delivery == date(2026, 11, 27)


def test_handed_to_the_neighbour_is_delivered() -> None:
    number = "00" + cd.mod10_31("34043416109404255")
    email = mail("DHL Paket <noreply@dhl.de>", "Neuigkeiten zu Ihrer Sendung",
                 f"Ihre Sendung wurde an Ihren Nachbarn übergeben.\nSendungsnummer: {number}")
    (event,) = DhlParser().extract(email)
    assert event.kind is EventKind.DELIVERED
