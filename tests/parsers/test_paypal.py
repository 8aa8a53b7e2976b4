"""PayPal: a refund received through PayPal names the shop and the amount, and pays back the open return
it fits; payments, the user's own refunds as a seller, pending refunds and disputes yield nothing."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from smartreturn import clock
from smartreturn.cli import app
from smartreturn.model import EventKind, Money
from tests.conftest import FIXTURES
from tests.parsers.intl import fixture, mail, run


def test_the_german_notice_gives_the_shop_and_the_euro_amount() -> None:
    parser, [event] = fixture("paypal/refund_received_de.eml")
    assert (parser, event.kind, event.merchant) == ("paypal", EventKind.REFUND_ISSUED, "Zalando SE")
    assert event.refund_amount == Money(Decimal("49.95"), "EUR") and event.order_number is None


def test_a_payment_receipt_is_no_refund() -> None:
    assert fixture("paypal/payment_sent_not_a_refund_fr.eml") == (None, [])


@pytest.mark.parametrize(("sender", "subject", "body", "merchant", "amount"), [
    ("service@paypal.es", "Has recibido un reembolso de El Corte Inglés", "El Corte Inglés te ha reembolsado 59,90 € EUR.",
     "El Corte Inglés", Money(Decimal("59.90"), "EUR")),
    ("service@paypal.it", "Hai ricevuto un rimborso da Unieuro", "Unieuro ti ha rimborsato 129,00 € EUR.",
     "Unieuro", Money(Decimal("129.00"), "EUR")),
    ("service@paypal.nl", "Je hebt een terugbetaling ontvangen van Coolblue", "Coolblue heeft je € 19,99 EUR terugbetaald.",
     "Coolblue", Money(Decimal("19.99"), "EUR")),
    ("service@paypal.pl", "Otrzymałeś zwrot pieniędzy od Allegro", "Kwota zwrotu: 99,00 zł PLN",
     "Allegro", Money(Decimal("99.00"), "PLN")),
    ("service@intl.paypal.com", "Refund from ASOS", "ASOS sent you a refund of £25.00 GBP.", "ASOS", Money(Decimal("25.00"), "GBP")),
], ids=["es", "it", "nl", "pl", "intl-en"])
def test_each_language_gives_the_shop_and_the_amount(sender, subject, body, merchant, amount) -> None:
    parser, [event] = run(mail(sender, subject, body + "\n"))
    assert (parser, event.kind, event.merchant, event.refund_amount) == ("paypal", EventKind.REFUND_ISSUED, merchant, amount)


@pytest.mark.parametrize(("sender", "subject", "body"), [
    ("service@paypal.com", "You sent a refund to Jane Buyer", "You sent a refund of $20.00 USD to Jane Buyer."),
    ("service@paypal.com", "Your refund from Shop X is pending", "A refund of $20.00 USD from Shop X is pending."),
    ("service@paypal.de", "Konflikt eröffnet", "Sie haben einen Konflikt zur Rückzahlung von Zalando SE eröffnet."),
    ("service@paypal.de", "Ihre Zahlung an Zalando SE", "Sie haben eine Zahlung über 49,95 EUR an Zalando SE gesendet."),
    ("service@paypal-refunds.example", "You've got a refund from Northwind", "Northwind sent you a refund of $98.00 USD."),
], ids=["seller-refund", "pending", "dispute", "payment", "not-paypal"])
def test_what_is_not_money_back_yields_nothing(sender: str, subject: str, body: str) -> None:
    parser, events = run(mail(sender, subject, body + "\n"))
    assert parser != "paypal" and not [e for e in events if e.kind is EventKind.REFUND_ISSUED]


def test_a_paypal_refund_pays_back_the_shops_open_return(tmp_path) -> None:
    """The Shopify store approved the return of order 1047 (98.00 USD expected); PayPal's notice, which
    names no order, closes that return as refunded."""
    env = {"SMARTRETURN_CONFIG": "", "SMARTRETURN_GENERAL__STATE_DIR": str(tmp_path), "SMARTRETURN_NOW": "2026-12-10T00:00Z"}
    mails = [FIXTURES / "shopify" / f"{name}.eml" for name in ("order_confirmation_en", "shipping_confirmation_en",
                                                                "delivered_en", "return_approved_label_en")]
    try:
        assert CliRunner().invoke(app, ["ingest", *map(str, mails)], env=env).exit_code == 0
        before = json.loads(CliRunner().invoke(app, ["list", "returns", "--json"], env=env).stdout)
        assert [(r["order_number"], r["status"]) for r in before] == [("1047", "label_issued")]
        assert CliRunner().invoke(app, ["ingest", str(FIXTURES / "paypal" / "refund_received_com.eml")], env=env).exit_code == 0
        after = json.loads(CliRunner().invoke(app, ["list", "returns", "--json"], env=env).stdout)
    finally:
        clock.pin(None)  # SMARTRETURN_NOW pinned the process clock for these in-process runs
    assert [(r["order_number"], r["status"], r["refunded"]) for r in after] == [("1047", "refunded", "98.00")]
