"""Temu: what a user checks in each fixture, plus mail from Temu that is not about an order."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from smartreturn.model import EventKind, Money, ReturnKind
from tests.parsers.intl import fixture, mail, run


def events(relative: str):
    parser, found = fixture(relative)
    assert parser == "temu"
    return found


def test_order_confirmation() -> None:
    [event] = events("temu/order_confirmation.eml")
    assert event.kind is EventKind.ORDER_PLACED
    assert event.order_number == "PO-211-09384756120938475"
    assert event.total == Money(Decimal("35.77"), "USD")
    assert [i.quantity for i in event.items] == [1, 2]
    assert event.expected_delivery == date(2026, 12, 5)


def test_two_packages_give_two_shipments_with_their_own_carrier_and_items() -> None:
    found = events("temu/shipped_two_packages.eml")
    assert [[(t.number, t.carrier) for t in e.tracking] for e in found] == [
        [("9261290103784100006293", "usps")], [("YT2633021298451007", "yunexpress")]]
    assert [[i.name for i in e.items] for e in found] == [
        ["Silicone Kitchen Utensil Set 12pcs, Heat Resistant"], ["LED Strip Lights 10m, App Control"]]
    assert [e.expected_delivery for e in found] == [date(2026, 12, 3), date(2026, 12, 5)]


def test_refund_after_return() -> None:
    [event] = events("temu/refund_processed.eml")
    assert event.kind is EventKind.REFUND_ISSUED
    assert event.refund_amount == Money(Decimal("8.97"), "USD")
    assert event.return_reason == "Item doesn't work"
    assert event.return_kind is ReturnKind.RETURN


def test_promo_is_claimed_by_nobody() -> None:
    assert fixture("temu/promo_lightning_deals.eml") == (None, [])


@pytest.mark.parametrize("subject", ["You have a $100 coupon bundle", "Your Temu verification code",
                                     "Spin the wheel for a free gift"])
def test_coupons_codes_and_games_are_not_identified(subject: str) -> None:
    assert run(mail("orders@order.temu.com", subject, "Order ID: PO-211-09384756120938475\n")) == (None, [])
