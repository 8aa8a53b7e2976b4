"""Royal Mail notifications."""

from __future__ import annotations

from datetime import date, datetime, timezone

from smartreturn.model import EventKind, ShipmentStatus
from smartreturn.parsers.royal_mail import RoyalMailParser
from tests.parsers.carrier_mail import fixture, mail


def test_on_its_way_with_spaced_number_and_day_first_date() -> None:
    parser, (event,) = fixture("royal_mail/on_its_way_en_gb.eml")
    assert parser == "royal_mail"
    assert event.tracking[0].number == "TT582133906GB"
    assert event.expected_delivery == date(2026, 11, 26)
    assert event.merchant == "ASOS"


def test_delivered_day_first_timestamp() -> None:
    _, (event,) = fixture("royal_mail/delivered_html_b64.eml")
    assert event.kind is EventKind.DELIVERED
    assert event.occurred_at == datetime(2026, 11, 25, 10, 41, tzinfo=timezone.utc)


def test_something_for_you_is_a_failed_attempt() -> None:
    parser, (event,) = fixture("royal_mail/something_for_you_forwarded.eml")
    assert parser == "royal_mail"
    assert event.shipment_status is ShipmentStatus.FAILED_ATTEMPT


def test_posting_dates_newsletter_is_negative() -> None:
    assert fixture("royal_mail/christmas_dates_negative.eml") == (None, [])


def test_ready_to_collect() -> None:
    email = mail("Royal Mail <no-reply@royalmail.com>", "Your parcel is ready to collect",
                 "Your parcel QA918273640GB is ready to collect from your local Post Office.")
    (event,) = RoyalMailParser().extract(email)
    assert event.kind is EventKind.PICKUP_READY
