"""Amazon: what a user checks in each fixture, plus template variants the fixtures do not show."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from smartreturn.model import Direction, EventKind, Money, ReturnKind, ShipmentStatus
from tests.parsers.intl import fixture, mail, run


def events(relative: str):
    parser, found = fixture(relative)
    assert parser == "amazon"
    return found


def test_order_confirmation_com_gives_order_items_total_and_arrival() -> None:
    [event] = events("amazon/order_confirmation_com.eml")
    assert event.kind is EventKind.ORDER_PLACED
    assert event.order_number == "112-4839201-7730621"
    assert event.merchant == "Amazon.com"
    assert event.total == Money(Decimal("58.17"), "USD")
    assert [(i.quantity, i.price) for i in event.items] == [
        (1, Money(Decimal("25.99"), "USD")), (2, Money(Decimal("14.49"), "USD"))]
    assert event.items[0].name.startswith("Anker USB C Charger 40W")
    assert event.expected_delivery == date(2026, 11, 27)


def test_order_confirmation_de_reads_german_date_and_euro_amounts() -> None:
    [event] = events("amazon/order_confirmation_de.eml")
    assert event.order_number == "303-1152087-4460319"
    assert event.total == Money(Decimal("89.99"), "EUR")
    assert event.expected_delivery == date(2026, 11, 26)
    assert event.merchant == "Amazon.de"


def test_multi_parcel_mail_gives_one_shipment_per_parcel_with_its_own_items() -> None:
    found = events("amazon/shipped_multi_parcel_com.eml")
    assert [e.kind for e in found] == [EventKind.SHIPPED, EventKind.SHIPPED]
    assert [[(t.number, t.carrier) for t in e.tracking] for e in found] == [
        [("1Z2X593R0319445826", "ups")], [("TBA318274650000", "amazon_logistics")]]
    assert [len(e.items) for e in found] == [1, 2]
    assert sum(i.quantity for e in found for i in e.items) == 4  # nothing counted twice
    assert [e.expected_delivery for e in found] == [date(2026, 11, 27), date(2026, 11, 28)]
    assert {e.order_number for e in found} == {"114-2201958-6604237"}


def test_delivered_couk() -> None:
    [event] = events("amazon/delivered_couk.eml")
    assert event.kind is EventKind.DELIVERED
    assert event.shipment_status is ShipmentStatus.DELIVERED
    assert event.order_number == "204-5518842-3317141"
    assert event.merchant == "Amazon.co.uk"


def test_arriving_early_updates_the_expected_day() -> None:
    [event] = events("amazon/arriving_early_com.eml")
    assert event.kind is EventKind.SHIPPED
    assert event.detail == "Arriving early"
    assert event.expected_delivery == date(2026, 12, 1)  # "Now arriving tomorrow", not the old date


def test_return_started_de_gives_request_with_reason_and_a_dhl_return_label() -> None:
    request, label = events("amazon/return_started_label_de.eml")
    assert request.kind is EventKind.RETURN_REQUESTED
    assert request.return_reason == "Artikel ist zu klein"
    assert request.order_number == "302-7741093-5526718"
    assert request.return_case_number == "D4kRzQw8Rrma"
    assert request.refund_amount == Money(Decimal("89.95"), "EUR")
    assert dict(request.extra)["return_by"] == "2026-12-31"
    assert label.kind is EventKind.RETURN_LABEL
    assert [(t.number, t.carrier, t.direction) for t in label.tracking] == [
        ("00340434161094042557", "dhl_paket", Direction.RETURN)]


def test_refund_issued_de() -> None:
    [event] = events("amazon/refund_issued_de.eml")
    assert event.kind is EventKind.REFUND_ISSUED
    assert event.refund_amount == Money(Decimal("89.95"), "EUR")
    assert event.order_number == "302-7741093-5526718"


def test_forwarded_return_takes_the_users_note_as_reason() -> None:
    request, label = events("amazon/forwarded_gmail_return_com.eml")
    assert request.return_reason == "too small in the shoulders, fits like a medium"
    assert request.order_number == "111-6207713-2284619"
    assert request.refund_amount == Money(Decimal("19.99"), "USD")
    assert [(t.number, t.carrier) for t in label.tracking] == [("1ZA7W1190393758810", "ups")]


def test_cancelled_couk() -> None:
    [event] = events("amazon/cancelled_couk.eml")
    assert event.kind is EventKind.CANCELLED
    assert event.order_number == "205-3087719-9941158"
    assert event.items[0].price == Money(Decimal("39.99"), "GBP")


@pytest.mark.parametrize("relative", ["amazon/promo_black_friday.eml", "amazon/otp_signin_couk.eml"])
def test_negative_fixtures_are_claimed_by_nobody(relative: str) -> None:
    assert fixture(relative) == (None, [])


# --- variants the fixtures do not show -------------------------------------------------------

def test_older_text_template_with_carrier_sentence() -> None:
    email = mail("\"Amazon.com\" <ship-confirm@amazon.com>",
                 'Your Amazon.com order of "Instant Pot Duo 7-in-1..." has shipped!',
                 "Hello Alex,\nYour package is being shipped by UPS and the tracking number is 1Z999AA10123456784.\n"
                 "Order #113-1234567-7654321\nEstimated delivery: Friday, November 27, 2026\n")
    parser, [event] = run(email)
    assert parser == "amazon"
    assert event.kind is EventKind.SHIPPED
    assert event.order_number == "113-1234567-7654321"
    assert [(t.number, t.carrier) for t in event.tracking] == [("1Z999AA10123456784", "ups")]
    assert event.expected_delivery == date(2026, 11, 27)


def test_german_delivered_and_out_for_delivery_subjects() -> None:
    _, [delivered] = run(mail("versandbestaetigung@amazon.de", "Zugestellt: „Tchibo Kaffeebohnen…“",
                              "Ihr Paket wurde zugestellt.\nBestellnr. 028-1234567-1234567\n"))
    assert delivered.kind is EventKind.DELIVERED and delivered.order_number == "028-1234567-1234567"
    _, [out] = run(mail("shipment-tracking@amazon.de", "Wird heute zugestellt: „Tchibo Kaffeebohnen…“",
                        "Ihr Paket ist in Zustellung.\nBestellnr. 028-1234567-1234567\n"))
    assert out.kind is EventKind.OUT_FOR_DELIVERY


def test_item_titles_in_the_subject_do_not_decide_the_kind() -> None:
    _, [event] = run(mail("auto-confirm@amazon.com", 'Ordered: "Return Air Filter Grille 14x20..."',
                          "Thanks for your order, Alex!\nOrder # 112-1111111-2222222\n"))
    assert event.kind is EventKind.ORDER_PLACED


def test_english_refund_without_a_return_is_refund_only() -> None:
    _, [event] = run(mail("payments-messages@amazon.co.uk", "Your refund for Sony WH-1000XM5",
                          "We've issued your refund.\nOrder # 026-7654321-1234567\nRefund total: £279.00\n"))
    assert event.kind is EventKind.REFUND_ISSUED
    assert event.refund_amount == Money(Decimal("279.00"), "GBP")
    assert event.return_kind is ReturnKind.REFUND_ONLY


@pytest.mark.parametrize(("sender", "subject"), [
    ("customer-reviews-messages@amazon.com", "Alex, how would you rate your recent purchase?"),
    ("no-reply@amazon.com", "Rate your experience with Instant Pot Duo"),
    ("account-update@amazon.com", "Your Amazon password has been changed"),
    ("store-news@amazon.de", "Angebote des Tages für Sie"),
    ("shipment-tracking@amazon.de", "Bewerten Sie Ihre Lieferung"),
    ("auto-confirm@amazon.com", "Amazon.com: Sign-in attempt"),
])
def test_review_otp_and_promo_mail_from_amazon_is_not_identified(sender: str, subject: str) -> None:
    email = mail(sender, subject, "Your order # 112-1234567-1234567 has been delivered. Tell us how it went.\n")
    assert run(email) == (None, [])


def test_german_latin1_shipment_with_dhl_sendungsnummer() -> None:
    [event] = events("amazon/shipped_de_dhl_latin1.eml")
    assert event.kind is EventKind.SHIPPED
    assert [(t.number, t.carrier) for t in event.tracking] == [("00340434161094015902", "dhl_paket")]
    assert event.expected_delivery == date(2026, 11, 27)
    assert event.items[0].price == Money(Decimal("54.99"), "EUR")
    assert event.items[0].name.startswith("Tefal Ingenio")  # umlauts and € sign survive latin-1


def test_hub_locker_pickup_gives_code_place_and_deadline() -> None:
    [event] = events("amazon/hub_locker_pickup_com.eml")
    assert event.kind is EventKind.PICKUP_READY
    assert event.pickup_code == "581034"
    assert event.detail and event.detail.startswith("Amazon Hub Locker - Lavender")
    assert dict(event.extra)["pickup_by"] == "2026-12-03"
    assert [t.number for t in event.tracking] == ["TBA319882710000"]


def test_delivery_update_running_late_is_an_exception_with_the_new_date() -> None:
    [event] = events("amazon/delivery_update_late_com.eml")
    assert event.kind is EventKind.DELIVERY_EXCEPTION
    assert event.expected_delivery == date(2026, 11, 30)
    assert event.order_number == "114-0087736-2649851"


def test_delivered_subject_that_also_asks_for_a_rating_is_still_a_delivery() -> None:
    _, [event] = run(mail("shipment-tracking@amazon.com",
                          "Your Amazon.com order #112-1234567-1234567 has been delivered, now rate your experience",
                          "Your package was delivered.\n"))
    assert event.kind is EventKind.DELIVERED
    assert event.order_number == "112-1234567-1234567"


@pytest.mark.parametrize(("subject", "kind"), [
    ('Your return request for "Carhartt T-Shirt" has been received', EventKind.RETURN_REQUESTED),
    ("We've received your return", EventKind.RETURN_RECEIVED),
    ("Wir haben Ihre Rücksendung erhalten", EventKind.RETURN_RECEIVED),
    ("Your return drop-off is confirmed", EventKind.RETURN_SHIPPED),
    ("Your Amazon.com order #112-1234567-1234567 has been canceled", EventKind.CANCELLED),
    ("Ihre Bestellung bei Amazon.de", EventKind.ORDER_PLACED),
    ("Your return drop off confirmation", EventKind.RETURN_SHIPPED),
    ('Tu pedido de Amazon.es de "Funda móvil"', EventKind.ORDER_PLACED),
    ("Bezorgd: je Amazon.nl-pakket", EventKind.DELIVERED),
    ("Je Amazon.nl-pakket wordt vandaag bezorgd", EventKind.OUT_FOR_DELIVERY),
    ("Twoja przesyłka z Amazon.pl została wysłana", EventKind.SHIPPED),
    ("Din beställning från Amazon.se har skickats", EventKind.SHIPPED),
    ("Zwrot pieniędzy za zamówienie", EventKind.REFUND_ISSUED),
    ("Zwrot został przyjęty", EventKind.RETURN_RECEIVED),  # a Polish return is no refund by the word "zwrot"
    ("Nous avons reçu votre retour", EventKind.RETURN_RECEIVED),
    ("Abbiamo ricevuto il tuo reso", EventKind.RETURN_RECEIVED),
    ("Hemos recibido tu devolución", EventKind.RETURN_RECEIVED),
])
def test_return_and_order_subjects(subject: str, kind: EventKind) -> None:
    _, found = run(mail("return@amazon.com", subject, "Order # 112-1234567-1234567\n"))
    assert found and found[0].kind is kind


def test_replacement_shipped_is_an_exchange() -> None:
    _, [event] = run(mail("shipment-tracking@amazon.com", 'Your replacement for "Kindle Paperwhite" has shipped',
                          "Order # 112-9999999-1111111\nShipped with UPS\nTracking ID: 1Z999AA10123456784\n"))
    assert event.kind is EventKind.EXCHANGE_SHIPPED
    assert event.return_kind is ReturnKind.EXCHANGE
    assert [(t.number, t.carrier) for t in event.tracking] == [("1Z999AA10123456784", "ups")]


def test_amazon_de_hermes_or_dpd_numbers_are_not_taken_for_dhl() -> None:
    _, [event] = run(mail("versandbestaetigung@amazon.de", "Versandt: „Buch“",
                          "Bestellnr. 028-1234567-1234567\nSendungsnummer: 01234567890123\n"))
    assert [t.carrier for t in event.tracking] != ["dhl"]
    _, [dhl] = run(mail("versandbestaetigung@amazon.de", "Versandt: „Buch“",
                        "Bestellnr. 028-1234567-1234567\nSendungsnummer: 00340434161094015902\n"))
    assert [t.carrier for t in dhl.tracking] == ["dhl_paket"]


def test_one_confirmation_for_two_orders_gives_two_orders_with_their_own_items() -> None:
    text = ("Thanks for your order, Alex!\n"
            "Order # 112-1111111-1111111\nArriving Friday, November 27\n"
            "Anker Charger\nQuantity: 1\n$25.99\nOrder Total: $27.80\n"
            "Order # 112-2222222-2222222\nArriving Tuesday, December 1\n"
            "Sold by: GadgetWorld\nUSB Cable 2-Pack\nQuantity: 2\n$9.99\nOrder Total: $21.37\n")
    _, found = run(mail("auto-confirm@amazon.com", 'Ordered: "Anker Charger" and 1 more item', text))
    assert [(e.order_number, e.total, [i.name for i in e.items], e.expected_delivery) for e in found] == [
        ("112-1111111-1111111", Money(Decimal("27.80"), "USD"), ["Anker Charger"], date(2026, 11, 27)),
        ("112-2222222-2222222", Money(Decimal("21.37"), "USD"), ["USB Cable 2-Pack"], date(2026, 12, 1)),
    ]


def test_the_return_window_on_a_delivery_mail_is_kept() -> None:
    _, [event] = run(mail("shipment-tracking@amazon.com", 'Delivered: "Instant Pot Duo"',
                          "Your package was delivered.\nOrder # 112-1234567-1234567\n"
                          "Return or replace items: Eligible through January 30, 2027\n"))
    assert dict(event.extra)["return_by"] == "2027-01-30"


@pytest.mark.parametrize(("sender", "subject", "body", "kind", "expected", "currency"), [
    ("confirmation-commande@amazon.fr", "Commandé : « Tefal Poêle 28 cm… »",
     "Merci pour votre commande\nCommande n° 171-1234567-1234567\nLivraison prévue : jeudi 27 novembre\n"
     "Montant total : 29,99 €\n", EventKind.ORDER_PLACED, date(2026, 11, 27), "EUR"),
    ("conferma-spedizione@amazon.it", "Spedito: \"Moka Bialetti…\"",
     "Il tuo pacco è stato spedito\nOrdine n. 405-1234567-1234567\nConsegna prevista: giovedì 27 novembre\n",
     EventKind.SHIPPED, date(2026, 11, 27), None),
    ("confirmar-envio@amazon.es", "Enviado: \"Auriculares…\"",
     "Tu paquete ha sido enviado\nPedido n.º 402-1234567-1234567\nLlega: jueves, 27 de noviembre\n",
     EventKind.SHIPPED, date(2026, 11, 27), None),
])
def test_french_italian_spanish_marketplaces(sender, subject, body, kind, expected, currency) -> None:
    parser, [event] = run(mail(sender, subject, body))
    assert parser == "amazon" and event.kind is kind
    assert event.order_number and event.order_number.endswith("-1234567-1234567")
    assert event.expected_delivery == expected
    if currency:
        assert event.total == Money(Decimal("29.99"), currency)
