"""Etsy: what a user checks in each fixture, plus mail from Etsy that is not about an order."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from smartreturn.model import EventKind, Money, ReturnKind
from tests.parsers.intl import fixture, mail, run


def events(relative: str):
    parser, found = fixture(relative)
    assert parser == "etsy"
    return found


def test_purchase_gives_shop_receipt_number_items_and_order_total() -> None:
    [event] = events("etsy/purchase_confirmation.eml")
    assert event.kind is EventKind.ORDER_PLACED
    assert event.order_number == "3318420975"
    assert event.merchant == "LinenAndLoom"
    assert event.total == Money(Decimal("285.12"), "USD")  # the order total, not the item total
    assert [(i.quantity, i.price) for i in event.items] == [
        (1, Money(Decimal("168.00"), "USD")), (2, Money(Decimal("42.00"), "USD"))]
    assert event.expected_delivery == date(2026, 12, 8)  # the end of "Dec 2-8"


def test_shipped_gives_usps_tracking() -> None:
    [event] = events("etsy/shipped_usps.eml")
    assert event.kind is EventKind.SHIPPED
    assert [(t.number, t.carrier) for t in event.tracking] == [("9405536206954118274033", "usps")]
    assert event.order_number == "3318420975"


def test_refund_from_shop_after_a_return() -> None:
    [event] = events("etsy/refund_from_shop.eml")
    assert event.kind is EventKind.REFUND_ISSUED
    assert event.refund_amount == Money(Decimal("84.00"), "USD")
    assert event.return_kind is ReturnKind.RETURN
    assert event.merchant == "LinenAndLoom"


def test_review_request_is_claimed_by_nobody() -> None:
    assert fixture("etsy/review_request.eml") == (None, [])


@pytest.mark.parametrize(("sender", "subject"), [
    ("transaction@etsy.com", "New message from LinenAndLoom"),
    ("transaction@etsy.com", "Your Etsy sign in code"),
    ("etsy@mail.etsy.com", "Your order from LinenAndLoom has shipped"),  # marketing relay, not transactional
])
def test_messages_codes_and_marketing_are_not_identified(sender: str, subject: str) -> None:
    assert run(mail(sender, subject, "Order number: 3318420975\n")) == (None, [])


def test_cancellation() -> None:
    _, [event] = run(mail("transaction@etsy.com", "Your order from LinenAndLoom was canceled",
                          "Order number: 3318420975\nRefund amount: $285.12\nReason: Out of stock\n"))
    assert event.kind is EventKind.CANCELLED
    assert event.refund_amount == Money(Decimal("285.12"), "USD")
