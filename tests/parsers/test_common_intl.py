"""Money, dates, carriers and tracking numbers as international shop mails write them."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from smartreturn.mail.message import Email
from smartreturn.model import Money
from smartreturn.parsers.common_intl import find_tracking, guess_carrier, parse_date, parse_money

RECEIVED = datetime(2026, 11, 25, 10, 0, tzinfo=timezone(timedelta(hours=1)))


@pytest.mark.parametrize(("raw", "amount", "currency"), [
    ("$1,234.56", "1234.56", "USD"), ("29,99 €", "29.99", "EUR"), ("EUR 12,99", "12.99", "EUR"),
    ("1.234,56 €", "1234.56", "EUR"), ("£7.49", "7.49", "GBP"), ("US $12.34", "12.34", "USD"),
    ("$25.00 USD", "25.00", "USD"), ("C$ 19.99", "19.99", "CAD"), ("€ 1.299", "1299", "EUR"),
    ("Total: 45.98 USD", "45.98", "USD"), ("18,47\u00a0€", "18.47", "EUR"),
])
def test_parse_money(raw: str, amount: str, currency: str) -> None:
    assert parse_money(raw) == Money(Decimal(amount), currency)


def test_a_bare_dollar_takes_the_sites_currency() -> None:
    assert parse_money("$19.99", "CAD") == Money(Decimal("19.99"), "CAD")
    assert parse_money("no amount here, order 112-1234567-1234567") is None


@pytest.mark.parametrize(("raw", "expected"), [
    ("Thursday, November 27", date(2026, 11, 27)),
    ("25. November 2026", date(2026, 11, 25)),
    ("Donnerstag, 27. November", date(2026, 11, 27)),
    ("Mittwoch, 3. Dez.", date(2026, 12, 3)),
    ("tomorrow", date(2026, 11, 26)),
    ("morgen", date(2026, 11, 26)),
    ("Friday", date(2026, 11, 27)),
    ("Fri, Nov 28 - Tue, Dec 2", date(2026, 12, 2)),
    ("Dec 30 - Jan 3", date(2027, 1, 3)),       # a range over the new year
    ("November 28 - 30", date(2026, 11, 30)),
    ("Jan 5", date(2027, 1, 5)),               # no year: the one nearest the mail
])
def test_parse_date(raw: str, expected: date) -> None:
    assert parse_date(raw, RECEIVED) == expected


def test_numeric_dates_follow_the_sites_day_order() -> None:
    assert parse_date("03/12/2026", RECEIVED, dayfirst=True) == date(2026, 12, 3)
    assert parse_date("03/12/2026", RECEIVED) == date(2026, 3, 12)


def test_find_tracking_reads_labels_in_english_and_german_and_spaced_numbers() -> None:
    text = ("UPS tracking number: 1Z999AA10123456784\nTracking number\n9400 1118 9922 3197 4284 90 Track\n"
            "Sendungsnummer: 00340434161094042557\nOrder number: 112-1234567-1234567\n"
            "the tracking number is TBA123456789000.")
    assert find_tracking(text) == ["1Z999AA10123456784", "9400111899223197428490", "00340434161094042557",
                                   "TBA123456789000"]


def test_phone_numbers_and_prices_after_other_labels_are_not_tracking_numbers() -> None:
    assert find_tracking("Phone: +1 206 555 0134\nTotal: $1,234.00\nOrder # 112-1234567-1234567") == []


@pytest.mark.parametrize(("number", "hint", "carrier"), [
    ("1Z999AA10123456784", None, "ups"), ("TBA318274650000", None, "amazon_logistics"),
    ("RB123456785CN", None, "china_post"), ("TT482751936GB", None, "royal_mail"),
    ("LP00692741083355", None, "cainiao"), ("00340434161094042557", "DHL", "dhl_paket"),
    ("1234567890", "DHL Express", "dhl"), ("9400111899223197428490", "USPS", "usps"),
    ("H01234567890123456789", "Evri", "evri"),
])
def test_guess_carrier(number: str, hint: str | None, carrier: str) -> None:
    assert guess_carrier(number, hint) == carrier


@pytest.mark.parametrize(("number", "carrier"), [
    ("00340434161094042557", "dhl_paket"),   # SSCC with DHL's GS1 prefix and its check digit
    ("JJD0099999999", "dhl"),               # DHL Express piece ID
    ("C11031500001879", "ontrac"),
    ("123456789012", None),                 # passes FedEx's check digit, but any 12 digits might
    ("1Z999AA10123456785", None),           # UPS shape, wrong check digit
])
def test_guess_carrier_reads_the_reference_formats(number: str, carrier: str | None) -> None:
    """Without a name in the mail, only a format that names its carrier by itself counts (the same
    reference data as tracking.detect; a number any order or phone number could be is no guess)."""
    assert guess_carrier(number) == carrier


def test_tracking_from_links_reads_carrier_links_only() -> None:
    from smartreturn.parsers.common_intl import tracking_from_links

    html = ('<a href="https://www.ups.com/track?loc=en_US&amp;tracknum=1Z9R5W900342170195">Track</a>'
            '<a href="https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode=00340434161094042557">DHL</a>'
            '<a href="https://shop.example.com/account?id=12345678">Account</a>'
            '<a href="https://www.ups.com/track?tracknum=1Z9R5W900342170195">again</a>')
    assert tracking_from_links(html) == [("1Z9R5W900342170195", "ups"), ("00340434161094042557", "dhl_paket")]
    assert tracking_from_links(None) == []


def test_a_link_the_url_parser_refuses_costs_only_itself() -> None:
    """``urlsplit`` raises ValueError for a bracket without its pair or a bracketed non-address (a
    mutated link in a real mail took the whole eBay parse down)."""
    from smartreturn.parsers.common_intl import split_link, tracking_from_links

    bad = ["https://[www.ups.com/track?tracknum=1Z9R5W900342170195", "http://[zz]/track", "http://a]b/",
           "http://[pages.ebay.co.uk]:x/help"]
    for href in bad:
        assert split_link(href) is None
    html = "".join(f'<a href="{href}">x</a>' for href in bad)
    html += '<a href="https://www.ups.com/track?tracknum=1Z9R5W900342170195&amp;loc=en">Track</a>'
    assert tracking_from_links(html) == [("1Z9R5W900342170195", "ups")]


@pytest.mark.parametrize(("url", "carrier"), [
    ("https://www.royalmail.com/track-your-item?tracking=AB123456789", "royal_mail"),
    ("https://www.canadapost-postescanada.ca/track?trackingNumber=7023210039414604", "canada_post"),
    ("https://auspost.com.au/mypost/track?id=33XYZ1234567", "australia_post"),
    ("https://nolp.dhl.de/nextt-online-public/set_identcodes.do?idc=123456789012", "dhl_paket"),
    ("https://www.dhl.com/en/express/tracking.html?id=1234567890", "dhl"),
])
def test_a_carrier_link_names_the_carrier_of_its_number(url: str, carrier: str) -> None:
    from smartreturn.parsers.common_intl import tracking_from_links

    assert [c for _n, c in tracking_from_links(f'<a href="{url}">Track</a>')] == [carrier]


@pytest.mark.parametrize(("note", "reason"), [
    ("reason: too small", "too small"),
    ("Return reason - arrived scratched.\nthanks", "arrived scratched"),
    ("Grund: Farbe gefällt nicht", "Farbe gefällt nicht"),
    ("returning this because the zip broke after a day", "the zip broke after a day"),
    ("Geht zurück, weil es zu klein ist.", "es zu klein ist"),
    ("退货原因：尺码偏小", "尺码偏小"),
    ("fyi, for the records", None),
    (None, None),
])
def test_note_reason(note: str | None, reason: str | None) -> None:
    from smartreturn.parsers.common_intl import note_reason

    email = Email(message_id="<n@x>", from_addr="return@amazon.com", from_name="", subject="s",
                  received=RECEIVED, text="", html=None, raw=b"", user_note=note)
    assert note_reason(email) == reason
