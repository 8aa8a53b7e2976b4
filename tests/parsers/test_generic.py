"""The generic extraction layer: lexicons as data, labelled fields, links, verified: false, merging."""

from __future__ import annotations

import tomllib
from datetime import datetime, timezone
from decimal import Decimal
from importlib import resources
from typing import ClassVar

import pytest
from typer.testing import CliRunner

from smartreturn.cli import app
from smartreturn.model import DEGRADED_PREFIX, Direction, Event, EventKind, Money, TrackingRef
from smartreturn.parsers import generic, registry
from smartreturn.parsers.generic import STATUS_ORDER, GenericParser, fill_gaps, read, sender_info
from tests.conftest import FIXTURES
from tests.parsers.carrier_mail import fixture, mail, run
from tests.tracking import checkdigit_data as cd

UPS = cd.ups("Y5E019A03642219")


# --------------------------------------------------------------------------- data

@pytest.mark.parametrize("lang", generic.LANGUAGES)
def test_every_language_names_every_status_and_label(lang: str) -> None:
    data = tomllib.loads((resources.files("smartreturn.parsers") / "lexicon" / f"{lang}.toml").read_text("utf-8"))
    assert data["language"] == lang
    assert set(data["status"]) == {name for name, _, _ in STATUS_ORDER}
    assert all(data["status"][name] for name in data["status"])
    assert {"tracking", "order", "pickup_code", "refund", "total"} <= set(data["labels"])


@pytest.mark.parametrize(("subject", "kind"), [
    ("Ihr Paket wurde zugestellt", EventKind.DELIVERED),
    ("Votre colis a été livré", EventKind.DELIVERED),
    ("Tu pedido ha sido entregado", EventKind.DELIVERED),
    ("La tua spedizione è stata consegnata", EventKind.DELIVERED),
    ("Je pakket is bezorgd", EventKind.DELIVERED),
    ("Twoja paczka została doręczona", EventKind.DELIVERED),
    ("A sua encomenda foi entregue", EventKind.DELIVERED),
    ("您的快件已签收", EventKind.DELIVERED),
    ("お荷物の配達完了のお知らせ", EventKind.DELIVERED),
    ("고객님의 상품이 배송완료 되었습니다", EventKind.DELIVERED),
    ("[SSG.COM 주문완료]", EventKind.ORDER_PLACED),
    ("Paczka czeka w Paczkomacie", EventKind.PICKUP_READY),
    ("Ihre Erstattung für Bestellung 302-1", EventKind.REFUND_ISSUED),
    ("Votre remboursement a été effectué", EventKind.REFUND_ISSUED),
    ("Deine Bestellung wurde storniert", EventKind.CANCELLED),
    ("Your package will be delivered today", EventKind.OUT_FOR_DELIVERY),
    ("Je pakket wordt vandaag bezorgd", EventKind.OUT_FOR_DELIVERY),
    ("Your DPD parcel is on its way back to the sender", EventKind.DELIVERY_EXCEPTION),  # not "on its way"
    ("Deine Retoure ist bei uns eingegangen", EventKind.RETURN_RECEIVED),
    ("Nous avons bien reçu votre retour", EventKind.RETURN_RECEIVED),
    ("We've got your return", EventKind.RETURN_RECEIVED),
    ("Abbiamo ricevuto il reso", EventKind.RETURN_RECEIVED),
    ("Your return is in transit", EventKind.RETURN_SHIPPED),
])
def test_the_lexicon_reads_the_status_in_each_language(subject: str, kind: EventKind) -> None:
    reading = read(mail("noreply@shop.example", subject, "Order number: 55501234\n"))
    assert reading.kind is kind


@pytest.mark.parametrize(("body", "kind"), [
    # the real Colissimo "Votre colis arrive !" (fixtures/real/shoonoise_assistant_inbox/) says "sera livré lundi"
    ("Votre Colissimo sera livré lundi 28 juillet. Votre colis est en route.", EventKind.SHIPPED),
    ("Tu paquete será entregado el viernes.", EventKind.SHIPPED),
    ("Il tuo pacco sarà consegnato venerdì.", EventKind.SHIPPED),
    ("Je pakket wordt bezorgd tussen 14:00 en 16:00.", EventKind.SHIPPED),
    ("Paczka zostanie doręczona jutro.", EventKind.SHIPPED),
    ("Ihre Sendung wird zugestellt, sobald der Fahrer da ist.", EventKind.SHIPPED),
    # a delivery today stays "out for delivery", a done delivery stays "delivered"
    ("Votre colis sera livré aujourd'hui.", EventKind.OUT_FOR_DELIVERY),
    ("Il tuo pacco sarà consegnato oggi.", EventKind.OUT_FOR_DELIVERY),
    ("Votre colis a été livré. Il sera déposé dans votre boîte.", EventKind.DELIVERED),
])
def test_a_delivery_still_to_come_is_in_transit_not_delivered(body: str, kind: EventKind) -> None:
    assert read(mail("noreply@shop.example", "Info", body + "\nOrder number: 55501234\n")).kind is kind


def test_a_french_parcel_number_written_after_colis_no_is_its_tracking_number() -> None:
    reading = read(mail("noreply@notif-colissimo-laposte.info", "Votre colis arrive !",
                        "Bonjour,\nVotre colis n°6A23509690329 est en route.\n"))
    assert [(t.number, t.carrier) for t in reading.tracking] == [("6A23509690329", "colissimo")]


@pytest.mark.parametrize(("sender", "subject", "body", "number"), [
    ("powiadomienia@poczta-polska.pl", "Przesyłka została doręczona", "Przesyłka nr 00359007738012345678 została doręczona.", "00359007738012345678"),
    ("noreply@gls-italy.com", "La tua spedizione è in consegna", "La spedizione numero 123456789012 è in consegna oggi.", "123456789012"),
    ("noreply@correos.es", "Tu envío ha sido entregado", "Tu envío PQ4F6P0712345670108001X ha sido entregado.", "PQ4F6P0712345670108001X"),
    ("noreply@evri.com", "Your parcel is out for delivery", "Your parcel H01ABC1234567890 from ASOS is out for delivery today.", "H01ABC1234567890"),
    ("powiadomienia@dpd.com.pl", "Twoja paczka jest w drodze", "Numer przesyłki: 0000123456789U", "0000123456789U"),
], ids=["pl-przesylka-nr", "it-spedizione-numero", "es-envio", "en-parcel", "pl-dpd-com-pl"])
def test_a_carrier_names_its_number_the_way_its_language_does(sender: str, subject: str, body: str, number: str) -> None:
    parser, events = run(mail(sender, subject, body + "\n"))
    assert parser == "generic" and [t.number for e in events for t in e.tracking] == [number]


@pytest.mark.parametrize("body", ["We have not received your return yet.", "Deine Retoure ist noch nicht bei uns eingegangen.",
                                  "Nous n'avons pas encore reçu votre retour.", "Once we've got your return, we will refund you."])
def test_a_return_not_yet_received_is_no_receipt(body: str) -> None:
    assert read(mail("service@zalando.de", "Ihre Bestellung", body + "\nBestellnummer: 10101234567890\n")).kind is None


@pytest.mark.parametrize(("sender", "subject", "body", "order", "total"), [
    ("service@otto.de", "Vielen Dank für Ihre Bestellung", "Bestellnummer: 12345678\nGesamtbetrag: 89,99 €", "12345678", "89.99"),
    ("noreply@cdiscount.com", "Confirmation de votre commande", "Commande n° 2412051234ABC\nTotal : 59,99 €", "2412051234ABC", "59.99"),
    ("noreply@elcorteingles.es", "Confirmación de tu pedido", "Número de pedido: 123456789\nTotal: 59,99 €", "123456789", "59.99"),
    ("noreply@unieuro.it", "Conferma ordine", "Numero ordine: 123456789\nTotale: 59,99 €", "123456789", "59.99"),
    ("noreply@allegro.pl", "Dziękujemy za zakup", "Numer zamówienia: 1234567890\nDo zapłaty: 99,00 zł", "1234567890", "99.00"),
], ids=["de", "fr", "es", "it", "pl"])
def test_an_order_confirmation_gives_its_number_and_total(sender, subject, body, order, total) -> None:
    """The subject's own word for the order ("Bestellung") is no label of a number without digits."""
    reading = read(mail(sender, subject, body + "\n"))
    assert (reading.kind, reading.order_number, str(reading.amount.amount)) == (EventKind.ORDER_PLACED, order, total)


@pytest.mark.parametrize(("sender", "subject", "body", "kind", "order", "total"), [
    ("Coupang <noreply@coupang.com>", "[쿠팡] 주문하신 상품이 배송 완료되었습니다", "주문번호: 12345678901234",
     EventKind.DELIVERED, "12345678901234", None),  # Korean joins the ending to the word: "완료되었습니다"
    ("Coupang <noreply@coupang.com>", "[쿠팡] 주문이 완료되었습니다", "주문번호: 12345678901234\n결제금액: 29,900원",
     EventKind.ORDER_PLACED, "12345678901234", Money(Decimal("29900"), "KRW")),
    ("Rakuten <order@rakuten.co.jp>", "【楽天市場】注文内容ご確認（自動配信メール）",
     "[受注番号] 123456-20261201-0123456789\n合計金額 3,980円", EventKind.ORDER_PLACED, "123456-20261201-0123456789",
     Money(Decimal("3980"), "JPY")),  # a label in brackets; yen and won written after the amount
], ids=["ko-delivered", "ko-order-won", "ja-order-yen-bracketed-label"])
def test_korean_and_japanese_shop_mail(sender, subject, body, kind, order, total) -> None:
    parser, [event] = run(mail(sender, subject, body + "\n"))
    assert (parser, event.kind, event.order_number, event.total) == ("generic", kind, order, total)


def test_a_word_inside_another_word_is_no_status() -> None:
    # "livré" must not fire inside "délivré", nor "delivered" inside "undelivered"-like compounds
    assert read(mail("noreply@shop.example", "Document délivrance", "Order number: 55501234\n")).kind is None


def test_sender_domains_and_their_subdomains() -> None:
    assert sender_info("mcinfo@ups.com").carrier == "ups"
    assert sender_info("noreply@notifications.auspost.com.au").carrier == "australia_post"
    assert sender_info("info@service-mail.zalando.de").platform == "zalando"
    inpost = sender_info("powiadomienia@inpost.pl")
    assert inpost.is_carrier and inpost.carrier == "inpost" and inpost.name == "InPost"
    assert sender_info("noreply@instabox.se").carrier is None  # a carrier the registry lacks: still read, unnamed
    assert sender_info("someone@gmail.com") is None
    for address, name in (("no-reply@intelcom.ca", "Intelcom"), ("noreply@posti.fi", "Posti"),
                          ("noreply@postnord.no", "PostNord")):
        assert sender_info(address).is_carrier and sender_info(address).name == name


def test_a_carriers_labelled_number_with_a_long_letter_prefix_is_kept() -> None:
    """Intelcom's numbers start with seven letters ("INTLCMD…"); no format of the registry knows them, so
    the carrier's own label is what makes it a tracking number (kept unverified)."""
    parser, (event,) = run(mail("Intelcom <no-reply@intelcom.ca>", "Your package has been delivered",
                                "Your package from Amazon has been delivered.\nTracking number: INTLCMD012345678\n"))
    assert (parser, event.kind) == ("generic", EventKind.DELIVERED)
    assert [(t.number, t.verified) for t in event.tracking] == [("INTLCMD012345678", False)]


# --------------------------------------------------------------------------- reading mail

def test_a_carrier_number_that_fails_its_check_digit_is_kept_unverified() -> None:
    parser, (event,) = fixture("generic/ups_delivered_check_digit_fails.eml")
    assert parser == "generic" and event.kind is EventKind.DELIVERED
    assert event.tracking == (TrackingRef("1ZV2E8470368123455", "ups", Direction.OUTBOUND, verified=False),)
    shown = CliRunner().invoke(app, ["parse", "--json", str(FIXTURES / "generic" / "ups_delivered_check_digit_fails.eml")])
    assert '"verified": false' in shown.output


def test_a_polish_locker_mail_gives_the_pickup_code_and_the_labelled_number() -> None:
    parser, (event,) = fixture("generic/inpost_pickup_pl.eml")
    assert (parser, event.kind, event.pickup_code) == ("generic", EventKind.PICKUP_READY, "482913")
    # the sender is InPost, whose 24-digit format the registry knows: the number is InPost's, verified
    assert (event.tracking[0].number, event.tracking[0].carrier, event.tracking[0].verified) == (
        "620354120034567891234567", "inpost", True)


def test_merchants_without_a_template_parser() -> None:
    _, (zalando,) = fixture("generic/zalando_versendet_de.eml")
    assert (zalando.platform, zalando.kind, zalando.order_number) == ("zalando", EventKind.SHIPPED, "10105433271234")
    assert zalando.tracking == (TrackingRef("00340434161094042557", "dhl_paket"),)
    _, (walmart,) = fixture("generic/walmart_delivered_en.eml")
    assert (walmart.platform, walmart.order_number) == ("walmart", "2000123-45678901")
    assert walmart.tracking == (TrackingRef("9400111899223344556677", "usps"),)


def test_small_shop_shipping_mail_gives_its_order_and_parcel() -> None:
    parser, (event,) = fixture("generic/small_shop_shipped_en.eml")
    assert parser == "generic" and event.kind is EventKind.SHIPPED and event.order_number == "WC-10442"
    assert event.tracking == (TrackingRef(UPS, "ups", Direction.OUTBOUND),)


def test_chinese_return_approval_with_the_return_waybill() -> None:
    _, (event,) = fixture("generic/cn_shop_return_base64.eml")
    assert event.kind is EventKind.RETURN_APPROVED and event.order_number == "3392018475512068"
    assert event.tracking == (TrackingRef("JT3096182730541", "jt", Direction.RETURN),)


def test_a_labelled_number_in_a_shop_mail_without_a_format_or_a_carrier_is_not_kept() -> None:
    email = mail("orders@tiny-shop.example", "Your order has shipped", "Tracking number: ABC123456789\n")
    assert read(email).tracking == ()
    assert run(email) == (None, [])


def test_a_refund_naming_its_order_only_in_links() -> None:
    html = ('<p>We\'ve issued your refund.</p><p>Refund total: $24.50</p>'
            '<a href="https://shop.example/account/order?orderId=A-778812&amp;utm=x">View order</a>')
    email = mail("returns@shop.example", "Your refund has been processed", html=html)
    parser, (event,) = run(email)
    assert parser == "generic" and event.kind is EventKind.REFUND_ISSUED
    assert event.order_number == "A-778812" and event.refund_amount == Money(Decimal("24.50"), "USD")


@pytest.mark.parametrize(("subject", "body"), [
    ("Your security code is 482913", "Use code 482913. Order number: 55501234"),
    ("Rate your delivery", "Your package was delivered. Order number: 55501234"),
    ("Your statement is ready", "Account number 12345678, balance $100.00"),
])
def test_codes_reviews_and_statements_yield_nothing(subject: str, body: str) -> None:
    assert run(mail("noreply@shop.example", subject, body)) == (None, [])


def _pasted(text: str) -> list[Event]:
    from smartreturn.cli.add_text import text_message
    from smartreturn.mail.decode import parse_email

    return registry.extract(parse_email(text_message(text, datetime(2026, 3, 2, 9, tzinfo=timezone.utc)))).events


def test_a_pasted_sms_without_a_number_is_read_when_it_names_its_shop_or_heads_with_its_status() -> None:
    named = _pasted("Your package with 2 items was successfully delivered. More info at http://amzn.in/ab12CdE")
    assert [(e.kind, e.platform, e.merchant) for e in named] == [(EventKind.DELIVERED, "amazon", "Amazon")]
    headline = _pasted("Dispatched: Your package with a tripod will be delivered on or before 26-Mar.")
    assert [e.kind for e in headline] == [EventKind.SHIPPED]
    via = _pasted("Your package with a display has been shipped via DTDC (R21474677). Delivery Estimate: 28 Mar")
    assert [(t.number, t.carrier, t.verified) for e in via for t in e.tracking] == [("R21474677", "dtdc", False)]
    locker = _pasted("Paczka czeka w skrytce w WAW17X Warszawa do 09/03/2026 12:38. Kod odbioru 654329")
    assert [(e.kind, e.pickup_code) for e in locker] == [(EventKind.PICKUP_READY, "654329")]
    app = _pasted("Twoja paczka czeka w Appkomacie WAW01APP do 10/04/2026. Odbierz ja uzywajac apki InPost. "
                  "Nie masz apki? Zadzwon i podaj kod: 481516.")
    assert [(e.kind, e.pickup_code, e.platform) for e in app] == [(EventKind.PICKUP_READY, "481516", "inpost")]


@pytest.mark.parametrize("text", [
    "The hair cream has not been shipped.",
    "Customer service announcement. We recently tried to make a delivery to you but were unable to do so, "
    "please call 07090298926 to re-schedule. Ref:9307622",
    "Would you want it fedex or the other way.",
])
def test_a_pasted_chat_or_scam_that_names_no_shop_gives_nothing(text: str) -> None:
    assert _pasted(text) == []


def test_parcel_phishing_that_asks_for_an_address_or_a_fee_gives_nothing_unless_it_links_the_carrier() -> None:
    # worded like the real DHL phishing SMS in fixtures/real/smishing_issue_threads/
    lure = ("Das DHL-Paket kann aufgrund unvollständiger Adressangaben nicht zugestellt werden. "
            "Bitte bestätigen Sie Ihre Adresse im Link: {link}")
    assert _pasted(lure.format(link="https://dhl-postcd.top/track")) == []
    assert _pasted(lure.format(link="https://dhl.de.99zmj.top/Pakete")) == []  # a carrier's name is not its domain
    own = _pasted(lure.format(link="https://www.dhl.de/de/privatkunden.html"))
    assert [(e.kind, e.platform) for e in own] == [(EventKind.DELIVERY_EXCEPTION, "dhl_paket")]


def test_a_parcel_that_cannot_be_delivered_is_no_delivery() -> None:
    failed = _pasted("DHL: Ihr Paket kann heute nicht zugestellt werden. https://www.dhl.de/sendung")
    assert [(e.kind, e.platform) for e in failed] == [(EventKind.DELIVERY_EXCEPTION, "dhl_paket")]


# --------------------------------------------------------------------------- merging

def test_gaps_are_filled_and_set_fields_never_overridden() -> None:
    email = mail("orders@shop.example", "Your order has shipped",
                 f"Order number: 55501234\nTracking number: {UPS}\n")
    received = datetime(2026, 11, 20, tzinfo=timezone.utc)
    bare = Event(EventKind.SHIPPED, "shop", occurred_at=received, tracking=(TrackingRef(UPS),))
    [filled] = fill_gaps([bare], email)
    assert filled.order_number == "55501234" and filled.tracking[0].carrier == "ups"
    own = Event(EventKind.SHIPPED, "shop", order_number="X-1", tracking=(TrackingRef(UPS, "dhl"),))
    assert fill_gaps([own], email) == [own]


class _BrokenTemplate:
    """A specific parser whose template changed: it claims the mail but reads nothing."""

    name: ClassVar[str] = "broken"
    version: ClassVar[int] = 1
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ("@shop.example",)

    def identify(self, email) -> bool:
        return True

    def extract(self, email) -> list[Event]:
        return []


def test_a_template_that_reads_nothing_degrades_to_the_generic_record() -> None:
    email = mail("orders@shop.example", "Your order has shipped", f"Order number: 55501234\nTracking number: {UPS}\n")
    result = registry.extract(email, (_BrokenTemplate(), GenericParser()))
    assert result.parser.name == "generic" and result.degraded_from == "broken"
    assert result.events[0].order_number == "55501234"


def test_degraded_mail_is_parsed_and_still_raises_the_drift_alarm(any_db) -> None:
    from smartreturn.store.queries import parser_health
    from smartreturn.store.tables import Message

    at = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
    with any_db.session() as session:
        for n, (status, reason) in enumerate([("parsed", f"{DEGRADED_PREFIX} the ups parser read nothing"),
                                              ("parsed", None), ("unmatched", "no records")]):
            session.add(Message(message_id=f"<{n}@x>", content_hash=f"{n:064d}", raw=b"x", size=1, source_kind="file",
                                from_addr="mcinfo@ups.com", subject="s", received_at=at, status=status,
                                status_reason=reason))
    with any_db.session() as session:
        rows = parser_health(session, datetime(2026, 11, 1, tzinfo=timezone.utc))
    assert [(r["sender"], r["unmatched"]) for r in rows] == [("mcinfo@ups.com", 2)]
