"""schema.org fallback parser: JSON-LD (object, list, @graph) and microdata for Order / ParcelDelivery."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from smartreturn.mail.decode import parse_email
from smartreturn.model import EventKind, Item, Money, ShipmentStatus, TrackingRef
from smartreturn.parsers import registry
from smartreturn.parsers.schema_org import SchemaOrgParser

PARSER = SchemaOrgParser()


def mail(html: str, sender: str = "Shop <orders@shop.example>"):
    raw = (
        f"From: {sender}\r\nTo: me@example.net\r\nSubject: Your order\r\nDate: Tue, 03 Nov 2026 10:00:00 +0000\r\n"
        "Message-ID: <t@shop.example>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html
    ).encode()
    return parse_email(raw)


def ld(*things: object) -> str:
    return "".join(f'<script type="application/ld+json">{json.dumps(t)}</script>' for t in things) + "<p>Thanks</p>"


ORDER = {
    "@context": "http://schema.org",
    "@type": "Order",
    "seller": {"@type": "Organization", "name": "Best Buy"},
    "orderNumber": "BBY01-806249461982",
    "orderDate": "2026-11-02T18:03:00-06:00",
    "orderStatus": "http://schema.org/OrderProcessing",
    "priceCurrency": "USD",
    "totalPaymentDue": {"@type": "PriceSpecification", "price": "1,299.99", "priceCurrency": "USD"},
    "acceptedOffer": {
        "@type": "Offer",
        "itemOffered": {"@type": "Product", "name": "LG 65\" OLED TV", "sku": "6535928"},
        "price": 1299.99,
        "eligibleQuantity": {"@type": "QuantitativeValue", "value": 1},
    },
}


def test_json_ld_order_confirmation() -> None:
    email = mail(ld(ORDER))
    assert PARSER.identify(email)
    [event] = PARSER.extract(email)
    assert event.kind == EventKind.ORDER_PLACED
    assert (event.platform, event.order_number, event.merchant) == ("schema_org", "BBY01-806249461982", "Best Buy")
    assert event.occurred_at == datetime(2026, 11, 3, 0, 3, tzinfo=UTC)
    assert event.total == Money(Decimal("1299.99"), "USD")
    assert event.items == (Item(name='LG 65" OLED TV', quantity=1, price=Money(Decimal("1299.99"), "USD"), sku="6535928"),)
    assert event.tracking == ()


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("OrderProcessing", EventKind.ORDER_PLACED),
        ("https://schema.org/OrderPaymentDue", EventKind.ORDER_PLACED),
        ("http://schema.org/OrderInTransit", EventKind.SHIPPED),
        ("OrderDelivered", EventKind.DELIVERED),
        ("OrderPickupAvailable", EventKind.PICKUP_READY),
        ("OrderCancelled", EventKind.CANCELLED),
        ("OrderReturned", EventKind.RETURN_RECEIVED),
        ("OrderProblem", EventKind.DELIVERY_EXCEPTION),
    ],
)
def test_order_status_maps_to_the_event_kind(status: str, kind: EventKind) -> None:
    [event] = PARSER.extract(mail(ld({**ORDER, "orderStatus": status})))
    assert event.kind == kind


def test_graph_and_list_with_parcel_deliveries() -> None:
    deliveries = [
        {"@type": "ParcelDelivery", "trackingNumber": "9400111899223197428490", "carrier": {"name": "USPS"},
         "deliveryStatus": "http://schema.org/OrderDelivered", "partOfOrder": {"@type": "Order", "orderNumber": "A1"}},
        {"@type": "ParcelDelivery", "trackingNumber": "61299998820821171811", "provider": "FedEx Ground",
         "expectedArrivalUntil": "2026-11-07T20:00:00-08:00", "partOfOrder": {"@type": "Order", "orderNumber": "A1"}},
    ]
    events = PARSER.extract(mail(ld({"@context": "https://schema.org", "@graph": [deliveries[0]]}, [deliveries[1]])))
    assert [(e.kind, e.shipment_status, e.tracking, e.order_number, e.expected_delivery) for e in events] == [
        (EventKind.DELIVERED, ShipmentStatus.DELIVERED, (TrackingRef("9400111899223197428490", "usps"),), "A1", None),
        (EventKind.SHIPPED, ShipmentStatus.IN_TRANSIT, (TrackingRef("61299998820821171811", "fedex"),), "A1", date(2026, 11, 7)),
    ]
    assert all(e.merchant == "Shop" for e in events)  # no seller in the markup: the sender's name


def test_order_in_transit_with_its_delivery_gives_one_shipped_event() -> None:
    order = {**ORDER, "orderStatus": "OrderInTransit",
             "orderDelivery": {"@type": "ParcelDelivery", "trackingNumber": "1Z999AA10123456784", "carrier": "UPS"}}
    [event] = PARSER.extract(mail(ld(order)))
    assert event.kind == EventKind.SHIPPED
    assert event.tracking == (TrackingRef("1Z999AA10123456784", "ups"),)
    assert event.order_number == "BBY01-806249461982" and event.merchant == "Best Buy"
    assert event.items[0].sku == "6535928" and event.total == Money(Decimal("1299.99"), "USD")


def test_microdata_order_with_items() -> None:
    html = """<div itemscope itemtype="http://schema.org/Order">
      <div itemprop="seller" itemscope itemtype="http://schema.org/Organization"><span itemprop="name">Thalia</span></div>
      Bestellnummer: <span itemprop="orderNumber">TH-99120</span>
      <link itemprop="orderStatus" href="http://schema.org/OrderProcessing">
      <time itemprop="orderDate" datetime="2026-11-01T12:00:00+01:00">1. November</time>
      <meta itemprop="priceCurrency" content="EUR"><span itemprop="price">24,99</span>
      <div itemprop="acceptedOffer" itemscope itemtype="http://schema.org/Offer">
        <div itemprop="itemOffered" itemscope itemtype="http://schema.org/Book"><span itemprop="name">Der Zauberberg</span></div>
        <span itemprop="price">24,99</span><meta itemprop="priceCurrency" content="EUR">
      </div></div>"""
    [event] = PARSER.extract(mail(html))
    assert (event.kind, event.order_number, event.merchant) == (EventKind.ORDER_PLACED, "TH-99120", "Thalia")
    assert event.total == Money(Decimal("24.99"), "EUR")
    assert event.items == (Item(name="Der Zauberberg", price=Money(Decimal("24.99"), "EUR")),)


def test_same_order_in_json_ld_and_microdata_is_one_event() -> None:
    micro = ('<div itemscope itemtype="http://schema.org/Order"><meta itemprop="orderNumber" content="X9">'
             '<div itemprop="seller" itemscope itemtype="http://schema.org/Organization"><meta itemprop="name" content="S"></div></div>')
    order = {"@type": "Order", "orderNumber": "X9", "seller": {"name": "S"}}
    assert len(PARSER.extract(mail(ld(order) + micro))) == 1


def test_broken_or_unrelated_markup_yields_nothing() -> None:
    html = ('<script type="application/ld+json">{"@type": "Order", "orderNumber": </script>'
            + ld({"@context": "http://schema.org", "@type": "EmailMessage", "description": "Order now!"}))
    email = mail(html)
    assert PARSER.identify(email)  # cheap check says maybe...
    assert PARSER.extract(email) == []  # ...but there is no Order
    assert registry.extract(email).events == []


def test_no_markup_is_not_identified() -> None:
    assert not PARSER.identify(mail("<p>Your order 123 has shipped with UPS 1Z999AA10123456784</p>"))
    plain = parse_email(b"From: a@b.c\r\nSubject: s\r\nDate: Tue, 03 Nov 2026 10:00:00 +0000\r\n\r\nschema.org Order\r\n")
    assert not PARSER.identify(plain) and PARSER.extract(plain) == []


def test_unknown_carrier_keeps_its_name() -> None:
    delivery = {"@type": "ParcelDelivery", "trackingNumber": "H1234567890123", "carrier": {"name": "Kurierdienst Brandt & Söhne"}}
    [event] = PARSER.extract(mail(ld(delivery)))
    assert event.tracking == (TrackingRef("H1234567890123", None),)
    assert event.extra == (("carrier_name", "Kurierdienst Brandt & Söhne"),)


def test_registry_picks_schema_org_as_fallback() -> None:
    extraction = registry.extract(mail(ld(ORDER)))
    assert extraction.parser is not None and extraction.parser.name == "schema_org"
    assert extraction.events[0].order_number == "BBY01-806249461982"
