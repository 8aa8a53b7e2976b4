"""The frame the international platform parsers share: whose sender a mail is, one event per parcel,
the return reason, the label split, and identify() that never raises."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from typing import ClassVar

import pytest

from smartreturn.mail.message import Email
from smartreturn.model import Direction, Event, EventKind, Item, TrackingRef
from smartreturn.parsers.amazon import AmazonParser
from smartreturn.parsers.etsy import EtsyParser
from smartreturn.parsers.platform_intl import (
    IntlPlatformParser,
    one_per_parcel,
    return_reason,
    sender_site,
    tracking_refs,
    with_label_event,
)

WHEN = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
REASON = re.compile(r"^reason:\s*(.+)$", re.IGNORECASE | re.MULTILINE)


def email(from_addr: str, subject: str = "", text: str = "", html: str | None = None,
          user_note: str | None = None) -> Email:
    return Email(message_id="<x@y>", from_addr=from_addr, from_name="", subject=subject, received=WHEN,
                 text=text, html=html, raw=b"", user_note=user_note)


@pytest.mark.parametrize(("addr", "expected"), [
    ("shipment-tracking@amazon.com.au", "amazon.com.au"),   # not "amazon.com": the whole domain must match
    ("auto-confirm@eu.amazon.de", "amazon.de"),              # subdomains belong to the site
    ("store-news@amazon.com", None),                         # a marketing sender of the site
    ("shipment-tracking@notamazon.com", None),
    ("shipment-tracking_at_amazon_de_0a1b2c3d4e_0a1b2c3d@privaterelay.appleid.com", "amazon.de"),
])
def test_sender_site_amazon(addr: str, expected: str | None) -> None:
    assert AmazonParser().site_of(email(addr)) == expected


def test_sender_site_with_only_locals_and_marketing_hosts() -> None:
    assert EtsyParser().site_of(email("no-reply@account.etsy.com")) == "etsy.com"
    assert EtsyParser().site_of(email("hello@etsy.com")) is None             # not an order sender
    assert EtsyParser().site_of(email("transaction@mail.etsy.com")) is None  # a marketing host
    assert sender_site(email("a@x.example"), ("x.example",), only_locals=frozenset({"b"})) is None


def test_one_event_per_parcel_keeps_the_items_on_the_first() -> None:
    refs = (TrackingRef("1Z999AA10123456784", "ups", Direction.OUTBOUND),
            TrackingRef("9400111899223197428490", "usps", Direction.OUTBOUND))
    event = Event(kind=EventKind.SHIPPED, platform="x", occurred_at=WHEN, items=(Item(name="Lamp"),), tracking=refs)
    first, second = one_per_parcel(event)
    assert (first.tracking, second.tracking) == ((refs[0],), (refs[1],))
    assert first.items == (Item(name="Lamp"),) and second.items == ()
    single = Event(kind=EventKind.SHIPPED, platform="x", occurred_at=WHEN, tracking=refs[:1])
    assert one_per_parcel(single) == [single]


def test_return_reason_prefers_the_users_note() -> None:
    text = "Reason: Item arrived damaged\tmore cells"
    assert return_reason(email("a@b.c", text=text), text, REASON) == "Item arrived damaged"
    noted = email("a@b.c", text=text, user_note="reason: too small")
    assert return_reason(noted, text, REASON) == "too small"
    assert return_reason(email("a@b.c"), "no reason here", REASON) is None


def test_label_split_gives_a_label_event_with_the_tracking() -> None:
    ref = TrackingRef("1Z999AA10123456784", "ups", Direction.RETURN)
    event = Event(kind=EventKind.RETURN_APPROVED, platform="x", occurred_at=WHEN, tracking=(ref,))
    approved, label = with_label_event(event)
    assert (approved.kind, approved.tracking) == (EventKind.RETURN_APPROVED, ())
    assert (label.kind, label.tracking) == (EventKind.RETURN_LABEL, (ref,))


def test_tracking_falls_back_on_carrier_links_only_when_asked() -> None:
    html = '<a href="https://www.ups.com/track?tracknum=1Z999AA10123456784">Track</a>'
    assert tracking_refs("no number here", None, Direction.OUTBOUND, html) == (
        TrackingRef("1Z999AA10123456784", "ups", Direction.OUTBOUND),)
    assert tracking_refs("no number here", None, Direction.RETURN) == ()
    assert tracking_refs("Tracking number: 1Z999AA10123456784", "UPS", Direction.RETURN) == (
        TrackingRef("1Z999AA10123456784", "ups", Direction.RETURN),)


class _Broken(IntlPlatformParser):
    name: ClassVar[str] = "broken"
    domains: ClassVar[tuple[str, ...]] = ("shop.example",)

    def kind_of(self, email: Email) -> None:
        raise RuntimeError("a bug in a rule")


def test_identify_never_raises_and_logs_the_parser(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        assert _Broken().identify(email("orders@shop.example", "Your order")) is False
    assert "broken identify failed" in caplog.text
    assert _Broken().extract(email("orders@elsewhere.example", "Your order")) == []  # not ours: kind never asked
