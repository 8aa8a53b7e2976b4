"""AliExpress: what a user checks in each fixture, plus template variants."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from smartreturn.model import EventKind, Money, ReturnKind, ShipmentStatus
from tests.parsers.intl import fixture, mail, run


def events(relative: str):
    parser, found = fixture(relative)
    assert parser == "aliexpress"
    return found


def test_payment_successful_is_the_order() -> None:
    [event] = events("aliexpress/order_placed_payment_en.eml")
    assert event.kind is EventKind.ORDER_PLACED
    assert event.order_number == "8196274530918223"
    assert event.merchant == "UGREEN Official Store"
    assert event.total == Money(Decimal("42.76"), "USD")
    assert [(i.quantity, i.price) for i in event.items] == [(2, Money(Decimal("21.38"), "USD"))]
    assert event.expected_delivery == date(2026, 12, 9)


def test_shipped_gives_cainiao_tracking() -> None:
    [event] = events("aliexpress/shipped_cainiao_en.eml")
    assert event.kind is EventKind.SHIPPED
    assert [(t.number, t.carrier) for t in event.tracking] == [("LP00692741083355", "cainiao")]


def test_pickup_ready_gives_code_and_place() -> None:
    [event] = events("aliexpress/delivered_pickup_en.eml")
    assert event.kind is EventKind.PICKUP_READY
    assert event.shipment_status is ShipmentStatus.PICKUP_READY
    assert event.pickup_code == "482193"
    assert event.detail and "Packstation 142" in event.detail


def test_refund_de_after_a_dispute() -> None:
    [event] = events("aliexpress/refund_processed_de.eml")
    assert event.kind is EventKind.REFUND_ISSUED
    assert event.order_number == "3041185209927716"
    assert event.refund_amount == Money(Decimal("18.47"), "EUR")
    assert event.return_reason == "Artikel nicht wie beschrieben"
    assert event.return_kind is ReturnKind.REFUND_ONLY


def test_promo_is_claimed_by_nobody() -> None:
    assert fixture("aliexpress/promo_coupons_en.eml") == (None, [])


def test_dispute_opened_with_users_reason() -> None:
    email = mail("AliExpress <transaction@notice.aliexpress.com>", "Dispute opened for order 8181234567890123",
                 "You opened a dispute.\nOrder number: 8181234567890123\nReason: Package did not arrive\n"
                 "Refund amount: US $12.40\n")
    _, [event] = run(email)
    assert event.kind is EventKind.RETURN_REQUESTED
    assert event.return_reason == "Package did not arrive"
    assert event.refund_amount == Money(Decimal("12.40"), "USD")


@pytest.mark.parametrize("subject", [
    "Your verification code", "Alex, confirm receipt of order 8181234567890123", "Rate your order and get coins",
    "Price drop on items in your wish list",
])
def test_non_transactional_mail_from_the_notice_sender_is_not_identified(subject: str) -> None:
    email = mail("transaction@notice.aliexpress.com", subject, "Order number: 8181234567890123\n")
    assert run(email) == (None, [])


@pytest.mark.parametrize(("subject", "kind", "detail"), [
    ("Order 8181234567890123: order shipped", EventKind.SHIPPED, None),
    ("Order 8181234567890123: cleared customs", EventKind.SHIPPED, "Cleared customs"),
    ("Order 8181234567890123: in your country", EventKind.SHIPPED, "In your country"),
    ("Order 8181234567890123: at delivery center", EventKind.SHIPPED, "At delivery center"),
    ("Order 8181234567890123: out for delivery", EventKind.OUT_FOR_DELIVERY, "Out for delivery"),
    ("Order 8181234567890123: delivered", EventKind.DELIVERED, None),
])
def test_the_order_stage_subjects(subject: str, kind: EventKind, detail: str | None) -> None:
    _, [event] = run(mail("transaction@notice.aliexpress.com", subject,
                          "Order number: 8181234567890123\nTracking number: LP00692741083355\n"))
    assert event.kind is kind
    assert event.order_number == "8181234567890123"
    if kind is not EventKind.CANCELLED:
        assert event.detail == detail


def test_a_closed_order_is_a_cancellation_only_when_the_mail_says_so() -> None:
    # AliExpress also closes every completed order; only a cancelled or unpaid one is news
    _, [event] = run(mail("transaction@notice.aliexpress.com", "Order 8181234567890123 is closed",
                          "Your order 8181234567890123 was cancelled because it was not paid in time.\n"))
    assert event.kind is EventKind.CANCELLED and event.order_number == "8181234567890123"
    assert run(mail("transaction@notice.aliexpress.com", "Your order 8181234567890123 is closed",
                    "Your order has been completed and is now closed. Thank you for shopping with us!\n")) == (None, [])


@pytest.mark.parametrize("subject", [
    "Order 8181234567890123: awaiting confirmation", "Order 8181234567890123: how did it go?",
    "Order 8181234567890123: delayed delivery coupon",
])
def test_confirmation_feedback_and_coupon_mail_is_not_identified(subject: str) -> None:
    assert run(mail("transaction@notice.aliexpress.com", subject, "Order number: 8181234567890123\n")) == (None, [])


def test_delivery_update_that_says_delayed_is_an_exception() -> None:
    _, [event] = run(mail("transaction@notice.aliexpress.com", "Order 8181234567890123: delivery update",
                          "Your package is delayed. New estimated delivery: 15/12/2026\n"))
    assert event.kind is EventKind.DELIVERY_EXCEPTION
    assert event.expected_delivery == date(2026, 12, 15)
