"""The international platform parsers on odd input: identify() never raises, extract() stays pure."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from smartreturn.mail.message import Email
from smartreturn.parsers.aliexpress import AliExpressParser
from smartreturn.parsers.amazon import AmazonParser
from smartreturn.parsers.ebay import EbayParser
from smartreturn.parsers.etsy import EtsyParser
from smartreturn.parsers.shopify import ShopifyParser
from smartreturn.parsers.temu import TemuParser
from smartreturn.parsers.registry import load_parsers

PARSERS = (AmazonParser(), EbayParser(), ShopifyParser(), AliExpressParser(), EtsyParser(), TemuParser())
WHEN = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def email(from_addr: str, subject: str, text: str = "", html: str | None = None) -> Email:
    return Email(message_id="<x@y>", from_addr=from_addr, from_name="", subject=subject, received=WHEN,
                 text=text, html=html, raw=b"")


ODD = [
    email("", ""),
    email("shipment-tracking@amazon.com", "Shipped: \"", "Order #\nQuantity: \nTracking ID:\n$", "<table><tr><td>"),
    email("ebay@ebay.com", ":", "\x00\ufffd" * 50),
    email("transaction@notice.aliexpress.com", "Order 1: shipped", "Tracking number: ", "<html>"),
    email("help@shop.example", "Order #1 confirmed", "cdn.shopify.com " + "× 1\n" * 200, "<p class=x>" * 500),
    email("transaction@etsy.com", "Your Etsy Purchase from ()", "Order number: 99999999999999999999\n"),
    email("auto-confirm@amazon.de", "Bestellt", "Zustellung: 31. Februar\nGesamtsumme: 1.2.3,4,5 €\n"),
    email("orders@order.temu.com", "Your package has shipped", "Package 1\nPackage 2\nTracking number: 1\n"),
]


@pytest.mark.parametrize("mail", ODD, ids=[f"odd{i}" for i in range(len(ODD))])
@pytest.mark.parametrize("parser", PARSERS, ids=[p.name for p in PARSERS])
def test_identify_and_extract_never_crash(parser, mail: Email) -> None:
    claimed = parser.identify(mail)
    assert isinstance(claimed, bool)
    if claimed:
        first, second = parser.extract(mail), parser.extract(mail)
        assert first == second  # pure: the same mail gives the same events
        for event in first:
            assert event.platform == parser.name
            assert event.occurred_at is not None and event.occurred_at.tzinfo is not None


def test_every_intl_parser_is_registered_with_the_contract_attributes() -> None:
    registered = {p.name: p for p in load_parsers()}
    for parser in PARSERS:
        assert registered[parser.name].__class__ is parser.__class__
        assert parser.version >= 1 and parser.fallback is False
        assert parser.senders and all("@" in s for s in parser.senders)
