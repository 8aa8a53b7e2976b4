"""eBay: what a user checks in each fixture, plus template variants the fixtures do not show."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from smartreturn.model import Direction, EventKind, Money, ReturnKind
from tests.parsers.intl import fixture, mail, run


def events(relative: str):
    parser, found = fixture(relative)
    assert parser == "ebay"
    return found


def test_a_broken_link_does_not_cost_the_mail() -> None:
    """The shipped mail with a bracket-broken Royal Mail link and footer link (``urlsplit`` raises on
    both): the same records as the intact mail, not ``failed: ValueError('Invalid IPv6 URL')``."""
    [broken] = events("ebay/shipped_bad_link_couk.eml")
    [intact] = events("ebay/shipped_couk.eml")
    assert broken == intact
    assert broken.order_number == "07-13904-55821"
    assert [(t.number, t.carrier) for t in broken.tracking] == [("TT482751936GB", "royal_mail")]


def test_order_confirmed_gives_order_number_item_id_seller_and_total() -> None:
    [event] = events("ebay/order_confirmed_com.eml")
    assert event.kind is EventKind.ORDER_PLACED
    assert event.order_number == "21-13827-40591"
    assert event.merchant == "techdeals_outlet"
    assert event.total == Money(Decimal("203.29"), "USD")
    [item] = event.items
    assert item.sku == "296318524417" and item.quantity == 1
    assert event.expected_delivery == date(2026, 12, 8)  # the late end of "Fri, Dec 4 - Tue, Dec 8"


def test_shipped_couk_gives_royal_mail_tracking() -> None:
    [event] = events("ebay/shipped_couk.eml")
    assert event.kind is EventKind.SHIPPED
    assert [(t.number, t.carrier, t.direction) for t in event.tracking] == [
        ("TT482751936GB", "royal_mail", Direction.OUTBOUND)]
    assert event.order_number == "07-13904-55821"
    assert event.expected_delivery == date(2026, 12, 4)


def test_delivered_uses_the_delivery_time_written_in_the_mail() -> None:
    [event] = events("ebay/delivered_com.eml")
    assert event.kind is EventKind.DELIVERED
    assert event.occurred_at == datetime(2026, 12, 4, 15, 41, tzinfo=timezone(timedelta(hours=-8)))
    assert [t.number for t in event.tracking] == ["1Z4F20V80347561283"]


def test_return_started_gives_reason_return_id_refund_and_usps_label() -> None:
    request, label = events("ebay/return_started_label_com.eml")
    assert request.kind is EventKind.RETURN_REQUESTED
    assert request.return_reason == "Doesn't fit"
    assert request.return_case_number == "5301846672"
    assert request.refund_amount == Money(Decimal("64.50"), "USD")
    assert dict(request.extra)["return_by"] == "2026-12-10"
    assert label.kind is EventKind.RETURN_LABEL
    assert [(t.number, t.carrier, t.direction) for t in label.tracking] == [
        ("9202090166448821003457", "usps", Direction.RETURN)]


def test_refund_de() -> None:
    [event] = events("ebay/refund_issued_de.eml")
    assert event.kind is EventKind.REFUND_ISSUED
    assert event.refund_amount == Money(Decimal("45.90"), "EUR")
    assert event.order_number == "05-11229-44563"
    assert event.merchant == "werkzeug-profi-24"
    assert event.return_kind is ReturnKind.RETURN


@pytest.mark.parametrize("relative", ["ebay/feedback_request_com.eml", "ebay/promo_deals_com.eml"])
def test_negative_fixtures_are_claimed_by_nobody(relative: str) -> None:
    assert fixture(relative) == (None, [])


def test_item_title_after_the_colon_does_not_decide_the_kind() -> None:
    _, [event] = run(mail("ebay@ebay.com", "Order confirmed: Refurbished Return-to-Home Drone Delivered Fast",
                          "Your order is confirmed\nOrder number: 11-22222-33333\nTotal: $99.00\n"))
    assert event.kind is EventKind.ORDER_PLACED
    assert event.total == Money(Decimal("99.00"), "USD")


def test_cancellation_and_return_approval_variants() -> None:
    _, [cancelled] = run(mail("ebay@ebay.co.uk", "Your order was cancelled: Bose QC45",
                              "The seller cancelled your order.\nOrder number: 12-34567-89012\n"
                              "Refund amount: £149.99\n"))
    assert cancelled.kind is EventKind.CANCELLED
    assert cancelled.refund_amount == Money(Decimal("149.99"), "GBP")
    _, [approved] = run(mail("ebay@ebay.com", "Your return request was approved",
                             "Return ID: 5309998887\nOrder number: 12-34567-89012\n"))
    assert approved.kind is EventKind.RETURN_APPROVED
    assert approved.return_case_number == "5309998887"


@pytest.mark.parametrize("subject", [
    "Your eBay security code", "You've been outbid on Canon EOS R6", "Leave feedback for your purchase",
    "Deals we picked for you, Alex", "Neue Nachricht von werkzeug-profi-24", "Watched item ending soon: Lego 10311",
])
def test_account_promo_and_message_mail_from_ebay_is_not_identified(subject: str) -> None:
    email = mail("ebay@ebay.com", subject, "Order number: 12-34567-89012\nYour item has shipped.\n")
    assert run(email) == (None, [])


def test_forwarded_german_return_takes_the_users_note_as_reason() -> None:
    [event] = events("ebay/forwarded_apple_mail_return_de.eml")
    assert event.kind is EventKind.RETURN_REQUESTED
    assert event.return_reason == "Farbe gefällt nicht, Ohrpolster drücken"  # the note, not the mail's own reason
    assert event.return_case_number == "5298817735"
    assert event.order_number == "09-13911-27465"
    assert event.refund_amount == Money(Decimal("279.00"), "EUR")
    assert event.occurred_at == datetime(2026, 12, 3, 20, 31, 7, tzinfo=timezone(timedelta(hours=1)))


def test_one_checkout_with_two_sellers_gives_two_orders() -> None:
    text = ("Your order is confirmed\n"
            "Order number: 11-11111-11111\nUSB-C Hub 7-in-1\nItem ID: 123456789012\nQuantity: 1\nPrice: $29.99\n"
            "Seller: hubstore\nOrder total: $32.09\n"
            "Order number: 22-22222-22222\nLeather Watch Strap 20mm\nItem ID: 210987654321\nQuantity: 2\n"
            "Price: $12.50\nSeller: strapking\nOrder total: $26.75\n")
    _, found = run(mail("ebay@ebay.com", "Order confirmed: USB-C Hub 7-in-1 and 1 more", text))
    assert [(e.order_number, e.merchant, e.total, [(i.sku, i.quantity) for i in e.items]) for e in found] == [
        ("11-11111-11111", "hubstore", Money(Decimal("32.09"), "USD"), [("123456789012", 1)]),
        ("22-22222-22222", "strapking", Money(Decimal("26.75"), "USD"), [("210987654321", 2)]),
    ]


def test_uk_text_confirmation_with_item_name_lines() -> None:
    text = ("Confirmation of your order\nSeller: vintage_vinyl_uk\n"
            "Item name    Pink Floyd - The Wall 2LP 1979 UK first press\nPrice: £45.00\nP&P price: £4.50\n"
            "Quantity: 1\nItem total: £49.50\n-------------\nOrder number: 14-11122-33344\n")
    _, [event] = run(mail("eBay <ebay@ebay.co.uk>", "Confirmation of your order", text))
    assert event.kind is EventKind.ORDER_PLACED
    assert [(i.name, i.quantity, i.price) for i in event.items] == [
        ("Pink Floyd - The Wall 2LP 1979 UK first press", 1, Money(Decimal("45.00"), "GBP"))]
    assert event.merchant == "vintage_vinyl_uk"
    assert event.order_number == "14-11122-33344"


@pytest.mark.parametrize(("sender", "subject", "kind"), [
    ("ebay@ebay.fr", "Votre objet a été expédié", EventKind.SHIPPED),
    ("ebay@ebay.fr", "Merci pour votre achat", EventKind.ORDER_PLACED),
    ("ebay@ebay.it", "Il tuo oggetto è stato spedito", EventKind.SHIPPED),
    ("ebay@ebay.it", "Abbiamo ricevuto il tuo reso", EventKind.RETURN_RECEIVED),
    ("ebay@ebay.es", "Gracias por tu compra", EventKind.ORDER_PLACED),
    ("ebay@ebay.es", "Devolución recibida por el vendedor", EventKind.RETURN_RECEIVED),
    ("ebay@ebay.nl", "Je artikel is verzonden", EventKind.SHIPPED),
    ("ebay@ebay.nl", "Je pakket is bezorgd", EventKind.DELIVERED),
    ("ebay@ebay.pl", "Dziękujemy za zakup", EventKind.ORDER_PLACED),
    ("ebay@ebay.pl", "Zwrot pieniędzy został wysłany", EventKind.REFUND_ISSUED),
    ("ebay@ebay.pl", "Zwrot został zaakceptowany", EventKind.RETURN_APPROVED),
], ids=["fr-shipped", "fr-order", "it-shipped", "it-return-received", "es-order", "es-return-received",
        "nl-shipped", "nl-delivered", "pl-order", "pl-refund", "pl-return-approved"])
def test_the_other_marketplaces_subjects(sender: str, subject: str, kind: EventKind) -> None:
    _, found = run(mail(sender, subject, "Order number: 12-34567-89012\n"))
    assert found and found[0].kind is kind
