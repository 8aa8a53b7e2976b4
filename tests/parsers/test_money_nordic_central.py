"""Amounts in the currencies of Sweden, Denmark, Norway, the Czech Republic, Romania and Hungary, written
as their shops write them (decimal comma, space or dot between thousands, the currency after the amount)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from smartreturn.model import Money
from smartreturn.parsers.common_intl import parse_money
from smartreturn.parsers.generic import read
from tests.parsers.carrier_mail import mail


@pytest.mark.parametrize(("raw", "default", "amount", "currency"), [
    ("1 299,00 kr", "USD", "1299.00", "SEK"),
    ("1 299,00 kr", "NOK", "1299.00", "NOK"),
    ("1.299,00 kr.", "DKK", "1299.00", "DKK"),
    ("kr. 1.299,00", "DKK", "1299.00", "DKK"),
    ("1 299 SEK", "USD", "1299", "SEK"),
    ("1.299,00 Kč", "USD", "1299.00", "CZK"),
    ("1 299 Kč", "USD", "1299", "CZK"),
    ("CZK 1 299,00", "USD", "1299.00", "CZK"),
    ("12 990 Ft", "USD", "12990", "HUF"),
    ("12.990 Ft", "USD", "12990", "HUF"),
    ("12 990 HUF", "USD", "12990", "HUF"),
    ("199,99 lei", "USD", "199.99", "RON"),
    ("1.299,99 Lei", "USD", "1299.99", "RON"),
    ("199,99 RON", "USD", "199.99", "RON"),
    ("49,90 €", "USD", "49.90", "EUR"),
])
def test_the_currencies_of_these_countries(raw: str, default: str, amount: str, currency: str) -> None:
    assert parse_money(raw, default) == Money(Decimal(amount), currency)


@pytest.mark.parametrize("text", ["Microsoft 365", "allerlei 3 Sachen", "Seat 12 Fta", "sklei 12"])
def test_currency_words_are_not_read_before_a_number_or_inside_a_word(text: str) -> None:
    assert parse_money(text) is None


@pytest.mark.parametrize(("sender", "currency"), [
    ("orders@shop.se", "SEK"), ("orders@shop.dk", "DKK"), ("orders@mail.shop.no", "NOK"), ("orders@shop.example", "SEK"),
])
def test_kr_is_the_krone_of_the_senders_country(sender: str, currency: str) -> None:
    reading = read(mail(sender, "Order confirmation", "Thank you for your order.\nOrder number: 4402311\nTotal: 1.299,00 kr.\n"))
    assert reading.amount == Money(Decimal("1299.00"), currency)
