"""The generic tracking-number fallback."""

from __future__ import annotations

from smartreturn.model import Direction, ShipmentStatus
from smartreturn.parsers.tracking_numbers import TrackingNumberParser
from tests.parsers.carrier_mail import fixture, mail, run
from tests.tracking import checkdigit_data as cd

UPS = cd.ups("Y5E019A03642219")


def test_german_return_is_a_return_parcel() -> None:
    _, (event,) = fixture("tracking_numbers/shop_return_dhl_de.eml")
    assert event.tracking[0].carrier == "dhl_paket"
    assert event.tracking[0].direction is Direction.RETURN


def test_forwarded_seller_mail() -> None:
    parser, (event,) = fixture("tracking_numbers/forwarded_seller_usps.eml")
    assert parser == "tracking_numbers"
    assert event.tracking[0].carrier == "usps"


def test_newsletter_full_of_digits_does_not_fire() -> None:
    assert fixture("tracking_numbers/newsletter_digits_negative.eml") == (None, [])


def test_one_event_per_distinct_number() -> None:
    other = cd.ups("4E1W56A03930123")
    email = mail("Shop <orders@shop.example>", "Shipped in two parcels",
                 f"Parcel 1 tracking: {UPS}\nParcel 2 tracking: {other}\nAgain parcel 1: {UPS}\n")
    events = TrackingNumberParser().extract(email)
    assert [e.tracking[0].number for e in events] == [UPS, other]


def test_bare_digits_near_a_carrier_name_without_keyword_do_not_fire() -> None:
    email = mail("Shop <orders@shop.example>", "Thanks", "We ship with DHL. Your customer id 340434161094.")
    assert not TrackingNumberParser().identify(email)


def test_return_to_sender_is_not_a_customer_return() -> None:
    email = mail("Shop <orders@shop.example>", "Parcel came back",
                 f"Your parcel was returned to sender by UPS, tracking number {UPS}.")
    assert TrackingNumberParser().extract(email)[0].tracking[0].direction is Direction.OUTBOUND
    parser, (event,) = run(email)  # the generic layer reads the status too
    assert parser == "generic" and event.shipment_status is ShipmentStatus.RETURNED_TO_SENDER
    assert event.tracking[0].direction is Direction.OUTBOUND
