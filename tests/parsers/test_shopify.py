"""Shopify stores: what a user checks in each fixture, plus variants of the shared templates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from smartreturn.model import Direction, EventKind, Money, ReturnKind
from tests.parsers.intl import fixture, mail, run


def events(relative: str):
    parser, found = fixture(relative)
    assert parser == "shopify"
    return found


def test_order_confirmation_gives_shop_order_items_total_and_support_address() -> None:
    [event] = events("shopify/order_confirmation_en.eml")
    assert event.kind is EventKind.ORDER_PLACED
    assert event.order_number == "1047"
    assert event.merchant == "Northwind Outfitters"
    assert event.merchant_email == "help@northwind-outfitters.com"
    assert event.total == Money(Decimal("142.00"), "USD")
    assert [(i.name, i.quantity, i.price) for i in event.items] == [
        ("Merino Crew Sweater (M / Heather Grey)", 1, Money(Decimal("98.00"), "USD")),
        ("Trail Socks 3-Pack (L)", 2, Money(Decimal("18.00"), "USD")),  # line price 36.00 for two
    ]


def test_shipping_confirmation_gives_ups_tracking_and_only_the_shipped_items() -> None:
    [event] = events("shopify/shipping_confirmation_en.eml")
    assert event.kind is EventKind.SHIPPED
    assert [(t.number, t.carrier) for t in event.tracking] == [("1Z9R5W900342170195", "ups")]
    assert [i.name for i in event.items] == ["Merino Crew Sweater (M / Heather Grey)"]


def test_delivered_text_only() -> None:
    [event] = events("shopify/delivered_en.eml")
    assert event.kind is EventKind.DELIVERED
    assert event.order_number == "1047"
    assert [t.number for t in event.tracking] == ["1Z9R5W900342170195"]


def test_return_approved_with_label() -> None:
    approved, label = events("shopify/return_approved_label_en.eml")
    assert approved.kind is EventKind.RETURN_APPROVED
    assert approved.return_reason == "Too large"
    assert label.kind is EventKind.RETURN_LABEL
    assert [(t.number, t.carrier, t.direction) for t in label.tracking] == [
        ("9434636105827301159412", "usps", Direction.RETURN)]


def test_refund_de() -> None:
    [event] = events("shopify/refund_de.eml")
    assert event.kind is EventKind.REFUND_ISSUED
    assert event.order_number == "B2318"
    assert event.merchant == "Bergwerk Kaffee"
    assert event.refund_amount == Money(Decimal("24.90"), "EUR")


def test_newsletter_from_the_same_store_is_claimed_by_nobody() -> None:
    assert fixture("shopify/promo_newsletter_en.eml") == (None, [])


STATUS_LINK = "https://shop.example.com/61730521239/orders/7c2f9a41d0b84e6f93a1c5e2d7b08f46"


def test_cancellation_with_refund_from_a_text_only_store_mail() -> None:
    _, [event] = run(mail("Kaffeekommune <hello@kaffeekommune.de>", "Order #KK-2001 has been canceled",
                          f"Your order has been canceled\nOrder #KK-2001 was canceled because items were unavailable.\n"
                          f"Refund: €18.50 EUR\nView your order: {STATUS_LINK}\n"))
    assert event.kind is EventKind.CANCELLED
    assert event.order_number == "KK-2001"
    assert event.refund_amount == Money(Decimal("18.50"), "EUR")
    assert event.merchant == "Kaffeekommune"


def test_german_shipping_template_with_dhl_sendungsnummer() -> None:
    _, [event] = run(mail("Bergwerk Kaffee <service@bergwerk-kaffee.de>",
                          "Eine Sendung aus Bestellung #B2318 ist unterwegs",
                          f"Ihre Bestellung ist unterwegs\nDHL Paket Sendungsnummer: 00340434161094042557\n"
                          f"Bestellung anzeigen: {STATUS_LINK}\n"))
    assert event.kind is EventKind.SHIPPED
    assert [(t.number, t.carrier) for t in event.tracking] == [("00340434161094042557", "dhl_paket")]


def test_a_store_mail_without_shopify_fingerprints_is_not_claimed() -> None:
    email = mail("orders@some-woocommerce-shop.example", "Order #5521 confirmed",
                 "Thank you for your purchase!\nTotal: $10.00\n")
    parser, _ = run(email)
    assert parser != "shopify"


def test_refund_notification_without_return_is_refund_only() -> None:
    _, [event] = run(mail("Northwind <help@northwind.example>", "Refund notification",
                          f"Refund notification\nOrder #1047\nTotal refunded: $36.00 USD\n{STATUS_LINK}\n"))
    assert event.kind is EventKind.REFUND_ISSUED
    assert event.refund_amount == Money(Decimal("36.00"), "USD")
    assert event.return_kind is ReturnKind.REFUND_ONLY


def test_tracking_number_only_in_the_track_button_link() -> None:
    html = (f'<table><tr><td class="shop-name__cell"><h1 class="shop-name__text">Northwind</h1></td></tr>'
            f'<tr><td><h2>Your order is on the way</h2><p>Order #1047</p>'
            f'<a href="https://www.ups.com/track?loc=en_US&amp;tracknum=1Z9R5W900342170195">Track your shipment</a>'
            f' <a href="{STATUS_LINK}">View your order</a></td></tr></table>')
    _, [event] = run(mail("Northwind <help@northwind.example>", "A shipment from order #1047 is on the way", html=html))
    assert [(t.number, t.carrier) for t in event.tracking] == [("1Z9R5W900342170195", "ups")]


@pytest.mark.parametrize(("subject", "kind"), [
    ("Commande #1001 confirmée", EventKind.ORDER_PLACED),
    ("Une expédition de la commande #1001 est en route", EventKind.SHIPPED),
    ("Pedido #1001 confirmado", EventKind.ORDER_PLACED),
    ("Un envío del pedido #1001 está en camino", EventKind.SHIPPED),
    ("Un envío del pedido #1001 ha sido entregado", EventKind.DELIVERED),
    ("Ordine #1001 confermato", EventKind.ORDER_PLACED),
    ("Una spedizione dell'ordine #1001 è in arrivo", EventKind.SHIPPED),
    ("Bestelling #1001 bevestigd", EventKind.ORDER_PLACED),
    ("Een zending van bestelling #1001 is onderweg", EventKind.SHIPPED),
    ("Zamówienie #1001 zostało potwierdzone", EventKind.ORDER_PLACED),
    ("Przesyłka z zamówienia #1001 jest w drodze", EventKind.SHIPPED),
    ("Bestelling #1001 is geannuleerd", EventKind.CANCELLED),
], ids=["fr-order", "fr-shipped", "es-order", "es-shipped", "es-delivered", "it-order", "it-shipped", "nl-order",
        "nl-shipped", "pl-order", "pl-shipped", "nl-cancelled"])
def test_a_store_in_another_language_gives_the_kind_and_the_order_number(subject: str, kind: EventKind) -> None:
    """Shopify's own notification templates, translated by the store's language setting."""
    _, [event] = run(mail("Boutique Lumière <bonjour@boutique-lumiere.example>", subject,
                          f"#1001\nView your order: {STATUS_LINK}\n"))
    assert (event.kind, event.order_number) == (kind, "1001")
