"""What real mails of the international senders do that the first, from-memory parsers missed.

Each case is a wording or layout seen in public collections of real mails (Home Assistant "Mail and
Packages" test mails, a German parcel tracker's anonymised mails, Shopify's public Liquid templates);
the fixtures under fixtures/<parser>/ hold whole mails, these tests pin the single behaviours.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from smartreturn.model import Direction, EventKind, Money, ShipmentStatus
from smartreturn.parsers.common_intl import body_text, find_items, find_tracking, unrelay
from tests.parsers.intl import fixture, mail, run

RELAY_IDS = "k3v9x2m7qa_5d1e8c2f"


@pytest.mark.parametrize(("relayed", "original"), [
    (f"shipment-tracking_at_amazon_de_{RELAY_IDS}@privaterelay.appleid.com", "shipment-tracking@amazon.de"),
    (f"transaction_at_notice_aliexpress_com_{RELAY_IDS}@privaterelay.appleid.com",
     "transaction@notice.aliexpress.com"),
    (f"no_reply_at_dpd_at_{RELAY_IDS}@privaterelay.appleid.com", "no_reply@dpd.at"),
    (f"noreply_at_paketankuendigung_myhermes_de_{RELAY_IDS}@privaterelay.appleid.com",
     "noreply@paketankuendigung.myhermes.de"),
    (f"No-Reply_at_amazon_co_uk_{RELAY_IDS}@PrivateRelay.AppleID.com", "no-reply@amazon.co.uk"),
])
def test_apple_hide_my_email_relays_are_undone(relayed: str, original: str) -> None:
    assert unrelay(relayed) == original


@pytest.mark.parametrize("address", [
    "ebay@ebay.com", "noreply_at_dhl_de@privaterelay.appleid.com",
    f"noreply_at_dhl_de_{RELAY_IDS}@relay.example.org", "noreply.dhl.de@privaterelay.appleid.com", "",
])
def test_other_addresses_are_left_alone(address: str) -> None:
    assert unrelay(address) == address


def test_a_relayed_carrier_mail_is_read_like_the_original() -> None:
    name, [event] = run(mail(
        f"DHL Paket <noreply_at_dhl_de_{RELAY_IDS}@privaterelay.appleid.com>",
        "Ihre Beispiel GmbH Sendung kommt heute",
        "Hallo,\nIhre Beispiel GmbH Sendung wird Ihnen heute zugestellt.\nSendungsnummer 00340434161094180006\n",
    ))
    assert name == "dhl"
    assert (event.kind, event.merchant, event.tracking[0].carrier) == (
        EventKind.OUT_FOR_DELIVERY, "Beispiel GmbH", "dhl_paket")


def test_amazon_superscript_prices_are_read_from_their_aria_label() -> None:
    price = ('<span role="region" aria-label="{amount=6.13, currencyCode={smallestAmount=0.01, code=USD}}">'
             '<sup>$</sup>6<sup>13</sup> </span>')
    email = mail('"Amazon.com" <auto-confirm@amazon.com>', 'Ordered: "Silicone Spatula Set..."', html=(
        "<div>Order # <span>\u202b114-3381967-2250218</span></div>"
        f"<div>Silicone Spatula Set</div><div>Quantity: 2</div><div>{price}</div>"
        f"<table><tr><td>Total</td><td>{price.replace('6.13', '12.26').replace('>6<', '>12<').replace('>13<', '>26<')}"
        "</td></tr></table>"))
    _, [event] = run(email)
    assert event.order_number == "114-3381967-2250218"
    assert event.items[0].price == Money(Decimal("6.13"), "USD")
    assert event.total == Money(Decimal("12.26"), "USD")


def test_a_bare_superscript_price_without_label_keeps_its_cents() -> None:
    email = mail('"Amazon.com" <auto-confirm@amazon.com>', 'Ordered: "Pen"',
                 html="<p>Gel Pen</p><p>Quantity: 1</p><p><sup>$</sup>9<sup>99</sup></p>")
    assert "$9.99" in body_text(email)


def test_invisible_preheader_padding_and_embedding_marks_are_dropped() -> None:
    email = mail('"Amazon.com" <auto-confirm@amazon.com>', "Ordered",
                 "Ordered\u034f \u200c \u2007 \u00ad\u034f\nOrder # \u202b111-7634359-8390444\n")
    text = body_text(email)
    assert "\u034f" not in text and "\u202b" not in text and "\u00ad" not in text
    assert "Order # 111-7634359-8390444" in text


def test_bullets_order_numbers_and_links_are_no_item_names() -> None:
    block = ("Order #\n111-7634359-8390444\nTrack package\n\nQuantity: 1\n$9.99\n\n"
             "* Anker USB C Charger 65W\n  Quantity: 2\n")
    items = find_items(block, "USD")
    assert [(i.name, i.quantity) for i in items] == [("Anker USB C Charger 65W", 2)]


def test_html_escaped_text_parts_are_unescaped() -> None:
    email = mail("eBay <ebay@ebay.co.uk>", "Confirmation of your order",
                 "Item name   Brass adapter\nPrice: £5.75\nP&amp;P price: Free\nQuantity: 2\n")
    assert "P&P price" in body_text(email)


def test_a_plural_tracking_label_reads_the_whole_list() -> None:
    text = "UPS tracking numbers:\n1ZA8F7260312345804\n1ZA8F7260312345902\n\nQuestions? Reply to this email."
    assert find_tracking(text) == ["1ZA8F7260312345804", "1ZA8F7260312345902"]
    assert find_tracking("Tracking numbers: 1ZA8F7260312345804, 1ZA8F7260312345902") == [
        "1ZA8F7260312345804", "1ZA8F7260312345902"]


def test_fedex_multi_piece_mail_counts_the_pieces_not_the_master() -> None:
    name, events = fixture("fedex/packages_out_for_delivery_multi.eml")
    assert name == "fedex"
    assert sorted(e.tracking[0].number for e in events) == ["391255098747", "774402153685"]
    assert {e.merchant for e in events} == {"Brooklinen Inc."}


def test_ups_unlabelled_template_gives_shipper_and_live_map_means_out_for_delivery() -> None:
    _, [event] = fixture("ups/arriving_today_from_shipper_unlabelled.eml")
    assert event.merchant == "LEGO SYSTEMS INC C/O FULFILLMENT"
    _, [event] = fixture("ups/pre_arrival_live_map.eml")
    assert event.shipment_status is ShipmentStatus.OUT_FOR_DELIVERY


def test_dhl_number_only_in_links_is_found() -> None:
    name, [event] = fixture("dhl/shop_sendung_kommt_heute_link_only.eml")
    assert name == "dhl"
    assert event.tracking[0].number == "00340434161094180006"
    assert event.merchant == "Gewürzhaus Lindner"


def test_etsy_account_sender_is_recognised() -> None:
    name, [event] = fixture("etsy/another_package_on_the_way_account_sender.eml")
    assert name == "etsy"
    assert (event.kind, event.order_number, event.merchant) == (EventKind.SHIPPED, "4127730951", "LinenAndLoomStudio")


@pytest.mark.parametrize(("subject", "body", "kind"), [
    ("Bestellung 8212450937716628: Paket im Transit", "Ihr Paket ist unterwegs.", EventKind.SHIPPED),
    ("Bestellung 8212450937716628: Wird zugestellt", "Ihr Paket kommt heute.", EventKind.OUT_FOR_DELIVERY),
    ("Bestellung 8212450937716628: Wird zugestellt", "Das Paket wurde dem lokalen Zusteller übergeben.",
     EventKind.SHIPPED),
    ("Bestellung 8212450937716628: Versandbereit", "Ihre Bestellung ist versandbereit.", EventKind.ORDER_PLACED),
])
def test_aliexpress_german_stage_subjects(subject: str, body: str, kind: EventKind) -> None:
    _, [event] = run(mail("AliExpress <transaction@notice.aliexpress.com>", subject, body))
    assert event.kind is kind
    assert event.order_number == "8212450937716628"


def test_aliexpress_package_mail_carries_the_package_number() -> None:
    _, [event] = fixture("aliexpress/package_with_local_carrier_en.eml")
    assert event.kind is EventKind.SHIPPED
    assert event.tracking[0].number == "JY26CBB1E000774219"
    assert event.tracking[0].direction is Direction.OUTBOUND
