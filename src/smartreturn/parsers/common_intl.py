"""Helpers shared by the international platform parsers (Amazon, eBay, Shopify, AliExpress, Etsy, Temu).

Everything here is pure text work: the readable body of a mail, the kind of mail from its subject,
money with currency, dates in English, German, French, Italian and Spanish, carrier names and
tracking numbers (labelled in the text or in carrier links, never fetched), order items, and the
user's note above a forward.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from urllib.parse import SplitResult, parse_qs, urlsplit

from dateutil import parser as dateparser

from smartreturn.first_chars import guarded, may_match, required_parts
from smartreturn.mail.forward import strip_subject_prefix
from smartreturn.mail.html import html_to_text
from smartreturn.mail.message import Email
from smartreturn.model import Item, Money
from smartreturn.tracking.carriers import lowers_in_place, normalise_number
from smartreturn.tracking.detect import identify

__all__ = [
    "SOFT_NEGATIVE",
    "body_text",
    "carrier_code",
    "classify",
    "date_after",
    "datetime_after",
    "find_items",
    "find_money",
    "find_tracking",
    "guess_carrier",
    "label_value",
    "note_reason",
    "parse_date",
    "sender_address",
    "parse_money",
    "split_by_key",
    "text_part",
    "split_link",
    "tracking_from_links",
    "unrelay",
]

# --------------------------------------------------------------------------- sender

# Apple's "Hide My Email" rewrites the sender of every mail it relays:
# shipment-tracking@amazon.de -> shipment-tracking_at_amazon_de_0a1b2c3d4e_0a1b2c3d@privaterelay.appleid.com
_APPLE_RELAY = re.compile(
    r"^(?P<local>[^@]+?)_at_(?P<domain>[a-z0-9-]+(?:_[a-z0-9-]+)+?)_[a-z0-9]{6,16}(?:_[a-z0-9]{4,16})?"
    r"@privaterelay\.appleid\.com$",
    re.IGNORECASE,
)


@lru_cache(maxsize=256)
def unrelay(address: str) -> str:
    """The original sender behind a mail relay (Apple Hide My Email), else ``address`` itself."""
    m = _APPLE_RELAY.match(address or "")
    if not m:
        return address
    return f"{m.group('local')}@{m.group('domain').replace('_', '.')}".lower()


def sender_address(email: Email) -> str:
    """The sender's address, lower case, with relays undone (cheap: for identify())."""
    return unrelay((email.from_addr or "").lower())


# --------------------------------------------------------------------------- body text

_QUOTE = re.compile(r"^(?:>\s?)+", re.MULTILINE)
# Invisible characters that real templates pad their preheaders and numbers with (Amazon writes
# "Order # \u202b113-..." and fills its preheader with U+034F U+200C U+2007 U+00AD).
_INVISIBLE = re.compile(r"[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u034f\u202a-\u202e\u2066-\u2069]")
_ODD_SPACES = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000]")
# Amazon's current templates show a price as "<sup>$</sup>6<sup>13</sup>" (reads "$613") and give the
# real amount in an aria-label: "{amount=6.13, currencyCode={smallestAmount=0.01, code=USD}}".
_ARIA_PRICE = re.compile(
    r"<span[^>]*aria-label=[\"']\{amount=(-?[\d.,]+),\s*currencyCode=\{[^\"']*?code=([A-Z]{3})\}\}[\"'][^>]*>"
    r"(?:(?!</span>).){0,400}?</span>",
    re.IGNORECASE | re.DOTALL,
)
_SUP_PRICE = re.compile(
    r"<sup[^>]*>\s*([$£€¥]|[A-Z]{1,2}\$)\s*</sup>\s*+(\d[\d,.]*)\s*<sup[^>]*>\s*+(\d{2})\s*</sup>", re.IGNORECASE
)


def _prices_readable(html: str) -> str:
    if "<sup" not in html and "<SUP" not in html:
        return html
    html = _ARIA_PRICE.sub(lambda m: f"<span>{m.group(1)} {m.group(2).upper()}</span>", html)
    return _SUP_PRICE.sub(lambda m: f"{m.group(1)}{m.group(2)}.{m.group(3)}", html)


@lru_cache(maxsize=32)
def _body_text(html: str | None, text: str) -> str:
    out = html_to_text(_prices_readable(html)) if html else ""
    if not out.strip():
        out = text or ""
        if "&amp;" in out or "&#" in out:  # text parts rendered from HTML templates: "P&amp;P price: £3.99"
            out = html_lib.unescape(out)
    out = _ODD_SPACES.sub(" ", _INVISIBLE.sub("", out))
    return _QUOTE.sub("", out.replace("\r\n", "\n"))


def text_part(email: Email) -> str:
    """The mail's own text/plain part, cleaned like :func:`body_text` (for facts its HTML hides)."""
    return _body_text(None, email.text or "")


def body_text(email: Email) -> str:
    """Readable body: the HTML part as lines (cells split by tabs), else the text part."""
    return _body_text(email.html, email.text)


def label_value(text: str, labels: str, value: str = r"[^\n\t]+", *, anywhere: bool = False) -> str | None:
    """The value written after one of ``labels`` (a regex alternation): on the same line after a
    colon or in the next table cell, or on the next line. The label must open a line or a cell
    ("The seller has ..." is no "Seller:") unless ``anywhere`` is set."""
    m = re.search(_label_pattern(labels, value, anywhere), text, re.IGNORECASE | re.MULTILINE)
    return m.group(1).strip() if m else None


# Where a label may begin: at the start of a line, or after a run of spaces and tabs that holds a
# tab (a table cell). Tried only where such a run begins, so a line of 100,000 tabs is read once,
# not once per tab; the label itself must follow the run (``(?:^|\t)[ \t]*+`` said the same, but
# restarted at every tab of the run).
_CELL_START = r"(?<![ \t])(?:^|(?=[ ]*+\t))[ \t]*+"
# What may stand between a label and its value, each way tried once and in the order the older
# ``[ \t]*(?:[:#：][ \t]*\n?|\t|\n)[ \t]*`` tried them (a colon and the next line, a colon and the
# same line, the next line, the next cell): the value is tried at each position once, never once
# per way of splitting a run of blanks between the ``[ \t]*`` around it.
_AFTER_LABEL = r"(?:[ \t]*+[:#：][ \t]*+\n[ \t]*|[ \t]*+[:#：][ \t]*|[ \t]*+\n[ \t]*|[ ]*+\t[ \t]*)"


def _label_pattern(labels: str, value: str, anywhere: bool) -> str:
    if anywhere:  # ``[ \t]*\n?[ \t]*`` once per position, as above
        return rf"(?<!\w)(?:{labels})\s*+[:#：]?(?:[ \t]*+\n[ \t]*|[ \t]*)({value})"
    return rf"{_CELL_START}(?:{labels}){_AFTER_LABEL}({value})"


SOFT_NEGATIVE = re.compile(
    r"rate your|rate (?:the|this|our)|review|how (?:was|did|would)|feedback|bewerten|bewertung|rezension|"
    r"wie (?:war|hat|gefällt)|évaluez|valuta|valora|tell us",
    re.IGNORECASE,
)


def classify(
    subject: str,
    rules: tuple[tuple[Any, re.Pattern[str]], ...],
    negative: re.Pattern[str],
    *,
    head: Callable[[], str] | None = None,
    body_rules: tuple[tuple[Any, re.Pattern[str]], ...] = (),
    fallback: Callable[[str], Any] | None = None,
) -> Any:
    """The kind of a mail from its subject, else from the opening of its body.

    ``negative`` (account, security, marketing) rejects the mail; a review or rating request only
    cuts the subject ("Delivered, now rate your experience" is still a delivery, "Rate your
    purchase" is nothing). ``fallback`` reads the subject when ``rules`` do not (the lexicons of every
    language: generic.subject_kind). The body is only consulted when the subject says nothing at all."""
    subject = strip_subject_prefix(subject or "")
    if negative.search(subject):
        return None
    soft = SOFT_NEGATIVE.search(subject)
    if soft:
        subject = subject[: soft.start()]
    for kind, pattern in rules:
        if pattern.search(subject):
            return kind
    if fallback is not None and (kind := fallback(subject)) is not None:
        return kind
    if soft or head is None:
        return None
    opening = head()
    if negative.search(opening[:300]):
        return None
    for kind, pattern in body_rules or rules:
        if pattern.search(opening):
            return kind
    return None


# --------------------------------------------------------------------------- money

_SYMBOLS: tuple[tuple[str, str], ...] = (
    ("US $", "USD"), ("US$", "USD"), ("USD", "USD"), ("C $", "CAD"), ("CA$", "CAD"), ("C$", "CAD"),
    ("CAD", "CAD"), ("AU $", "AUD"), ("AU$", "AUD"), ("A$", "AUD"), ("AUD", "AUD"), ("NZ$", "NZD"),
    ("HK$", "HKD"), ("S$", "SGD"), ("R$", "BRL"), ("MX$", "MXN"), ("£", "GBP"), ("GBP", "GBP"),
    ("€", "EUR"), ("EUR", "EUR"), ("CHF", "CHF"), ("¥", "JPY"), ("JPY", "JPY"), ("CNY", "CNY"),
    ("RMB", "CNY"), ("₹", "INR"), ("INR", "INR"), ("zł", "PLN"), ("PLN", "PLN"), ("SEK", "SEK"),
    ("kr.", "SEK"), ("kr", "SEK"), ("DKK", "DKK"), ("NOK", "NOK"), ("₩", "KRW"), ("KRW", "KRW"),
    ("CZK", "CZK"), ("RON", "RON"), ("HUF", "HUF"), ("$", "USD"),
)
# written after the amount only ("1 299 Kč", "199,99 lei", "12 990 Ft", "3,980円", "29,900원"): before a number
# they are words
_POST_ONLY: tuple[tuple[str, str], ...] = (("Kč", "CZK"), ("lei", "RON"), ("Lei", "RON"), ("Ft", "HUF"), ("円", "JPY"),
                                           ("원", "KRW"))
# "kr" is the krona and the krone: the mail's own currency where the caller knows it (a .dk or .no sender)
_KRONE = frozenset(("SEK", "DKK", "NOK"))
_SYM_RE = "|".join(re.escape(s) for s, _ in sorted(_SYMBOLS, key=lambda p: -len(p[0])))
_SYM_MAP = dict(_SYMBOLS) | dict(_POST_ONLY)
# bounded (no price has 16 digits): unbounded runs before the currency made a line of digits quadratic
_NUM = r"\d{1,3}(?:[.,\u00a0 ’']\d{3}){1,5}(?:[.,]\d{1,2})?|\d{1,15}(?:[.,]\d{1,2})?"
_MONEY = re.compile(
    rf"(?P<pre>{_SYM_RE})\s?(?P<num1>-?(?:{_NUM}))(?:\s?(?P<code1>[A-Z]{{3}})\b)?"
    rf"|(?P<num2>-?(?:{_NUM}))\s?(?P<post>€|EUR|USD|GBP|CAD|AUD|CHF|SEK|PLN|DKK|NOK|CZK|RON|HUF|zł|kr|Kč|lei|Lei|Ft|円|원)(?![A-Za-z])"
)
_ISO = frozenset("USD EUR GBP CAD AUD NZD HKD SGD BRL MXN CHF JPY CNY INR PLN SEK DKK NOK KRW CZK RON HUF".split())


def _number(raw: str) -> Decimal | None:
    s = raw.replace("\u00a0", "").replace(" ", "").replace("’", "").replace("'", "")
    last_dot, last_comma = s.rfind("."), s.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        dec = "." if last_dot > last_comma else ","
    elif last_comma >= 0:
        dec = "," if len(s) - last_comma - 1 in (1, 2) else None
    elif last_dot >= 0:
        dec = "." if len(s) - last_dot - 1 in (1, 2) or s.count(".") == 1 and len(s) - last_dot - 1 != 3 else None
    else:
        dec = None
    if dec is None:
        s = s.replace(",", "").replace(".", "")
    else:
        thousands = "," if dec == "." else "."
        s = s.replace(thousands, "").replace(dec, ".")
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def _money(m: re.Match[str], default_currency: str) -> Money | None:
    if m.group("pre"):
        symbol, num = m.group("pre"), m.group("num1")
        code = m.group("code1")
        currency = code if code in _ISO else _SYM_MAP[symbol]
        if symbol == "$" and code not in _ISO and default_currency in ("CAD", "AUD", "NZD", "SGD", "MXN", "HKD"):
            currency = default_currency
    else:
        symbol, num = m.group("post"), m.group("num2")
        currency = _SYM_MAP[symbol]
    if symbol in ("kr", "kr.") and default_currency in _KRONE:
        currency = default_currency
    amount = _number(num)
    return Money(amount, currency) if amount is not None else None


def parse_money(raw: str, default_currency: str = "USD") -> Money | None:
    """First amount with a currency in ``raw``: "$1,234.56", "29,99 €", "EUR 12,99", "$25.00 USD"."""
    m = _MONEY.search(raw or "")
    return _money(m, default_currency) if m else None


def find_money(text: str, labels: str, default_currency: str = "USD", window: int = 80) -> Money | None:
    """The amount that follows a label within ``window`` characters. The alternatives of ``labels``
    are tried in the order written, so "order total|total" prefers "Order total" over "Item total"."""
    for label in _alternatives(labels):
        for lm in re.finditer(rf"(?<!\w)(?:{label})(?!\w)", text, re.IGNORECASE):
            money = parse_money(text[lm.end(): lm.end() + window], default_currency)
            if money is not None:
                return money
    return None


def _alternatives(pattern: str) -> list[str]:
    """Top-level alternatives of a regex ("a|(?:b|c)|d" -> ["a", "(?:b|c)", "d"])."""
    parts, depth, start, escaped = [], 0, 0, False
    for i, ch in enumerate(pattern):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    parts.append(pattern[start:])
    return parts


# --------------------------------------------------------------------------- dates

_DE_MONTHS = {
    "januar": "January", "jänner": "January", "jan.": "Jan", "februar": "February", "feb.": "Feb",
    "märz": "March", "maerz": "March", "mär.": "Mar", "mrz.": "Mar", "april": "April", "apr.": "Apr",
    "mai": "May", "juni": "June", "jun.": "Jun", "juli": "July", "jul.": "Jul", "august": "August",
    "aug.": "Aug", "september": "September", "sept.": "Sep", "sep.": "Sep", "oktober": "October",
    "okt.": "Oct", "november": "November", "nov.": "Nov", "dezember": "December", "dez.": "Dec",
    # French, Italian, Spanish (Amazon.fr/.it/.es, AliExpress, Shopify stores)
    "janvier": "January", "février": "February", "fevrier": "February", "mars": "March", "avril": "April",
    "juin": "June", "juillet": "July", "août": "August", "aout": "August", "septembre": "September",
    "octobre": "October", "novembre": "November", "décembre": "December", "decembre": "December",
    "gennaio": "January", "febbraio": "February", "marzo": "March", "aprile": "April", "maggio": "May",
    "giugno": "June", "luglio": "July", "agosto": "August", "settembre": "September", "ottobre": "October",
    "dicembre": "December", "enero": "January", "febrero": "February", "abril": "April", "mayo": "May",
    "junio": "June", "julio": "July", "septiembre": "September", "setiembre": "September", "octubre": "October",
    "noviembre": "November", "diciembre": "December",
}
_DE_MONTH_RE = re.compile(
    r"(?<![a-zäöü])(" + "|".join(re.escape(k) for k in sorted(_DE_MONTHS, key=len, reverse=True)) + r")(?![a-zäöü])",
    re.IGNORECASE,
)
_WEEKDAYS = {
    "monday": 0, "mon": 0, "montag": 0, "tuesday": 1, "tue": 1, "tues": 1, "dienstag": 1,
    "wednesday": 2, "wed": 2, "mittwoch": 2, "thursday": 3, "thu": 3, "thur": 3, "thurs": 3,
    "donnerstag": 3, "friday": 4, "fri": 4, "freitag": 4, "saturday": 5, "sat": 5, "samstag": 5,
    "sonnabend": 5, "sunday": 6, "sun": 6, "sonntag": 6,
    "lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5, "dimanche": 6,
    "lunedì": 0, "martedì": 1, "mercoledì": 2, "giovedì": 3, "venerdì": 4, "sabato": 5, "domenica": 6,
    "lunes": 0, "martes": 1, "miércoles": 2, "jueves": 3, "viernes": 4, "sábado": 5, "domingo": 6,
}
_WEEKDAY_RE = re.compile(r"\b(" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + r")\b\.?,?", re.IGNORECASE)
_RELATIVE = {"today": 0, "heute": 0, "tonight": 0, "aujourd'hui": 0, "oggi": 0, "hoy": 0,
             "tomorrow": 1, "morgen": 1, "demain": 1, "domani": 1, "mañana": 1, "übermorgen": 2}
# each alternative starts where a run of spaces starts (from inside a run, every start re-scanned the run)
_RANGE_SPLIT = re.compile(r"(?<!\s)\s++(?:-|–|—|to|bis|and|und)\s+|(?<!\s)\s*+[–—]\s*")
_HAS_DIGIT = re.compile(r"\d")
_DAY_RANGE = re.compile(r"(?<![\d/.:-])(\d{1,2})\.?\s*+[-–]\s*+(\d{1,2})(?!\d|[/:-]|\.\d)")  # "Dec 2-8", "2.–4. Dezember"


def _naive_default(received: datetime) -> datetime:
    return received.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)


def parse_date(raw: str, received: datetime, *, dayfirst: bool = False, latest: bool = True) -> date | None:
    """A calendar date as the mail writes it ("Thursday, November 27", "25. November 2026",
    "27/11/2026", "tomorrow", "Freitag"). A range yields its last day (``latest``) or its first.
    A date without a year is placed in the year that makes it closest to ``received``."""
    if not raw:
        return None
    raw = _DAY_RANGE.sub(lambda m: m.group(2) if latest else m.group(1), raw.strip(), count=1)
    parts = [p for p in _RANGE_SPLIT.split(raw) if p.strip()]
    if not parts:
        return None
    part = parts[-1] if latest else parts[0]
    # "Nov 27 - 29": the end of the range carries only a day number
    if latest and len(parts) > 1 and re.fullmatch(r"(?<!\s)\s*+\d{1,2}\.?\s*", part):
        part = re.sub(r"\d{1,2}(?=\D*$)", part.strip().rstrip("."), parts[0], count=1) if re.search(r"\d", parts[0]) else part
    return _one_date(part, received, dayfirst)


def _one_date(part: str, received: datetime, dayfirst: bool) -> date | None:
    low = part.strip().lower()
    for word, days in _RELATIVE.items():
        if re.search(rf"\b{word}\b", low):
            return received.date() + timedelta(days=days)
    german = _DE_MONTH_RE.sub(lambda m: _DE_MONTHS[m.group(1).lower()], part)
    if german != part:
        dayfirst = True
        german = re.sub(r"(\d{1,2})\.(?=\s*+[A-Za-z])", r"\1", german)  # "25. November" -> "25 November"
        german = re.sub(r"\b(?:de|del|di)\b", " ", german, flags=re.IGNORECASE)  # "27 de noviembre"
    weekday = _WEEKDAY_RE.search(german)
    stripped = _WEEKDAY_RE.sub(" ", german).strip(" ,.")
    if not _HAS_DIGIT.search(stripped):
        if weekday:  # "Arriving Friday": the next such day on or after the mail
            target = _WEEKDAYS[weekday.group(1).lower()]
            return received.date() + timedelta(days=(target - received.weekday()) % 7)
        return None
    try:
        parsed = dateparser.parse(stripped, default=_naive_default(received), fuzzy=True, dayfirst=dayfirst)
    except (ValueError, OverflowError):
        return None
    result = parsed.date()
    if not re.search(r"\b(19|20)\d{2}\b", stripped):
        # no year written: choose the year that puts the date nearest to the mail
        candidates = [result.replace(year=received.year + d) for d in (-1, 0, 1) if _valid(result, received.year + d)]
        result = min(candidates, key=lambda c: abs((c - received.date()).days))
    return result


def _valid(d: date, year: int) -> bool:
    try:
        d.replace(year=year)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- carriers

_CARRIERS: tuple[tuple[str, str], ...] = (
    (r"amazon\s*logistics|amazon\s*shipping|amazon\s*+(?:lieferdienst|logistik)|\bamzl\b", "amazon_logistics"),
    (r"\bups\b|united parcel", "ups"),
    (r"\busps\b|u\.s\.\s*postal|united states postal", "usps"),
    (r"fed\s?ex", "fedex"),
    (r"dhl\s*express", "dhl"),
    (r"dhl\s*+(?:paket|parcel)|deutsche\s*post", "dhl_paket"),
    (r"dhl\s*e-?commerce", "dhl_ecommerce"),
    (r"\bdhl\b", "dhl"),
    (r"royal\s*mail", "royal_mail"),
    (r"parcelforce", "parcelforce"),
    (r"\bevri\b|myhermes", "evri"),
    (r"\bhermes\b", "hermes"),
    (r"\bdpd\b", "dpd"),
    (r"\bgls\b", "gls"),
    (r"\bdtdc\b", "dtdc"),
    (r"\bontrac\b", "ontrac"),
    (r"lasership", "lasership"),
    (r"canada\s*post|postes\s*canada", "canada_post"),
    (r"purolator", "purolator"),
    (r"australia\s*post|auspost", "australia_post"),
    (r"\bpostnl\b", "postnl"),
    (r"la\s*poste|colissimo", "colissimo"),
    (r"cainiao|aliexpress\s*+(?:standard|selection|premium|saver|direct)|aliexpress\s*shipping", "cainiao"),
    (r"\b4px\b", "4px"),
    (r"yun\s*express", "yunexpress"),
    (r"yanwen", "yanwen"),
    (r"china\s*post|chinapost", "china_post"),
    (r"\bems\b", "ems"),
    (r"sf\s*express|顺丰", "sf"),
    (r"j&t|jnt\s*express", "jt"),
)
_CARRIER_RES = tuple((guarded(p, re.IGNORECASE), code) for p, code in _CARRIERS)
_ANY_CARRIER = guarded("|".join(f"(?:{p})" for p, _code in _CARRIERS), re.IGNORECASE)  # one scan says "none"


# (pattern, code, what it needs in the lower-cased text): a long text is searched only for the carriers
# whose names' plain parts occur in it
_CARRIER_NEEDS = tuple((pattern, code, required_parts(p, re.IGNORECASE)) for (pattern, code), (p, _c) in zip(_CARRIER_RES, _CARRIERS))
_LONG_NAME = 200
_S10_COUNTRY = {"CN": "china_post", "GB": "royal_mail", "US": "usps", "DE": "dhl_paket", "HK": "hongkong_post",
                "SG": "singapore_post", "NL": "postnl", "FR": "colissimo", "CA": "canada_post"}


def carrier_code(name: str | None) -> str | None:
    """Carrier code for a carrier name as mails write it ("UPS", "Royal Mail Tracked 48", "DHL Paket")."""
    if not name:
        return None
    if len(name) > _LONG_NAME:   # a mail's text: look only for the names whose plain parts occur in it
        lowered = name.lower()
        if lowers_in_place(name, lowered):
            for pattern, code, needs in _CARRIER_NEEDS:
                if (needs is None or any(part in lowered for part in needs)) and pattern.search(name):
                    return code
            return None
    if not _ANY_CARRIER.search(name):
        return None
    for pattern, code in _CARRIER_RES:
        if pattern.search(name):
            return code
    return None


def guess_carrier(number: str, hint: str | None = None) -> str | None:
    """Carrier from the number itself (the reference formats of :mod:`smartreturn.tracking.detect`, check
    digits included), refined by a name hint."""
    return _guess_carrier(number, carrier_code(hint))


def _guess_carrier(number: str, code: str | None) -> str | None:
    """Carrier of ``number`` when the mail names carrier ``code`` (or none)."""
    if number.upper().startswith("TBA"):
        return "amazon_logistics"
    if code == "dhl" and (len(number) in (12, 20, 22) and number.isdigit() or number.upper().startswith(("JJD", "JVGL"))):
        return "dhl_paket"
    if code:
        return code
    if re.fullmatch(r"[A-Z]{2}\d{9}[A-Z]{2}", number):
        return _S10_COUNTRY.get(number[-2:])  # a post office we do not know: carrier unknown
    if re.fullmatch(r"(?:LP|CNG|CAINIAO)\w+", number, re.IGNORECASE):
        return "cainiao"
    if re.fullmatch(r"YT\d{16}", number):
        return "yunexpress"
    if re.fullmatch(r"H\d{19}", number):  # Hermes Germany ("H1029384756102938475")
        return "hermes"
    if re.fullmatch(r"H[0-9A-Z]{15}", number) and re.search(r"\d{6}", number):  # Evri (UK)
        return "evri"
    # the reference formats (tracking.detect): a self-identifying format of one carrier, check digit passed
    return identify(number)


_TRACKING_LABELS = (
    r"tracking\s*+(?:number|no\.?|num|#|id|code)|track(?:ing)?\s*+#|sendungs(?:verfolgungs)?nummer|"
    r"tracking-?nummer|paketnummer|sendungs-?nr\.?|tracking-?id|n[uú]mero de seguimiento|"
    r"num[ée]ro de suivi|numero di tracciamento|运单号|物流单号"
)
# a tracking number: letters+digits, or digit groups separated by single spaces ("9400 1118 9922 ...");
# four digits in a row within its first 60 characters (an unbounded look ahead read the rest of a
# line again after every label: 'sendungsnummer ' 10,000 times was quadratic). Up to 8 letters before
# the first digit: Intelcom's numbers start "INTLCMD".
_TRACK_VALUE = r"(?=[A-Z0-9 ]{0,60}\d{4})[A-Z]{0,8}\d[A-Z0-9]*(?: \d{2,6}(?![A-Za-z]))*(?:[A-Z]{2})?"


@lru_cache(maxsize=16)
def _labelled_tracking(labels: str) -> re.Pattern[str]:
    """A tracking number right after one of ``labels`` (compiled once per label set)."""
    return guarded(rf"(?<!\w)(?:{labels})(?:\s++(?:is|ist|lautet|est|es|è))?\s*+[:#：]?(?:[ \t]*+\n[ \t]*+|[ \t]*+)({_TRACK_VALUE})\b", re.IGNORECASE)


@lru_cache(maxsize=16)
def _label_parts(labels: str) -> frozenset[str] | None:
    return required_parts(labels, re.IGNORECASE)


def find_tracking(text: str, labels: str = _TRACKING_LABELS) -> list[str]:
    """Tracking numbers written after a tracking label, in order, without duplicates. A plural
    label ("UPS tracking numbers:") may be followed by a list, one number a line or comma-separated."""
    found: list[str] = []

    def add(raw: str) -> None:
        number = normalise_number(raw)
        if 8 <= len(number) <= 35 and number not in found:
            found.append(number)

    if may_match(_label_parts(labels), text, text.lower()):   # else no label of the set occurs
        for m in _labelled_tracking(labels).finditer(text):
            add(m.group(1))
    for m in _PLURAL_LABEL.finditer(text):
        for line in text[m.end(): m.end() + 600].split("\n")[:12]:
            tokens = [t.strip() for t in re.split(r"[,;\t]", line) if t.strip()]
            if not tokens:
                continue
            if not all(_LIST_VALUE.fullmatch(t) for t in tokens):
                break  # the list ends at the first line that is not only numbers
            for token in tokens:
                add(token)
    return found


_PLURAL_LABEL = re.compile(
    r"(?<!\w)(?:tracking\s*+(?:numbers|nos\.?|ids|codes)|sendungsnummern|trackingnummern|paketnummern|"
    r"n[uú]meros de seguimiento|num[ée]ros de suivi)\s*+[:：]?[ \t]*",
    re.IGNORECASE,
)
_LIST_VALUE = re.compile(r"(?=[A-Z0-9]{0,35}\d{4})[A-Z]{0,5}\d[A-Z0-9]{6,33}", re.IGNORECASE)


_LINK_HOSTS: tuple[tuple[str, str], ...] = (
    ("ups.com", "ups"), ("fedex.com", "fedex"), ("usps.com", "usps"), ("dhl.de", "dhl_paket"),
    ("dhl.com", "dhl"), ("royalmail.com", "royal_mail"), ("evri.com", "evri"), ("myhermes", "hermes"),
    ("dpd.", "dpd"), ("gls-", "gls"), ("canadapost", "canada_post"), ("auspost.com.au", "australia_post"),
    ("ontrac.com", "ontrac"), ("parcelforce", "parcelforce"), ("postnl", "postnl"), ("laposte.fr", "colissimo"),
    ("cainiao.com", "cainiao"), ("17track", None), ("parcelsapp", None), ("aftership", None),
)
_LINK_PARAMS = frozenset(("tracknum", "tracknums", "tracknumbers", "trackingnumber", "tracking_number", "trackingid",
                          "tracking", "tlabels", "piececode", "idc", "trackingnumbers", "trknbr", "labels",
                          "parcelnumber", "parcel", "pknr", "match", "barcode", "id", "nums", "number", "mailno"))
_HREF = re.compile(r"""href\s*=\s*+["']([^"']+)["']""", re.IGNORECASE)


def split_link(href: str) -> SplitResult | None:
    """``href`` (as written in mail HTML: ``&amp;`` unescaped here) split into its URL parts, or None for
    a link the stdlib refuses (``http://[host/`` or ``http://[zz]/`` raise ValueError): mail links are
    attacker-controlled, and one bad link must not cost the mail's other links or the parse.
    (Read ``.hostname``, never ``.port``: that one raises for ``:99999``.)"""
    try:
        return urlsplit(href.replace("&amp;", "&"))
    except ValueError:
        return None


def tracking_from_links(html: str | None) -> list[tuple[str, str | None]]:
    """(number, carrier) from carrier tracking links ("https://www.ups.com/track?tracknum=1Z..."),
    for mails that show only a "Track your shipment" button. The links are read, never fetched."""
    found: list[tuple[str, str | None]] = []
    for m in _HREF.finditer(html or ""):
        url = split_link(m.group(1))
        if url is None:
            continue
        host = (url.hostname or "").lower()
        carrier = next((code for needle, code in _LINK_HOSTS if needle in host), "")
        if carrier == "":
            continue
        for key, values in parse_qs(url.query).items():
            if key.lower() not in _LINK_PARAMS:
                continue
            for value in ",".join(values).split(","):
                number = value.strip().replace(" ", "").upper()
                if 8 <= len(number) <= 35 and re.fullmatch(r"[A-Z0-9]{0,35}\d{4}[A-Z0-9]{0,35}", number) and \
                        number not in [n for n, _ in found]:
                    found.append((number, _guess_carrier(number, carrier)))
    return found


# --------------------------------------------------------------------------- the user's note

_NOTE_REASON = re.compile(
    r"(?:(?:return\s*)?reason|grund|rücksendegrund|rückgabegrund|motif|motivo|退货原因|退款原因|原因)\s*+[:：=-]\s*(.+)"
    r"|(?:return(?:ing|ed)?|sending (?:it|them) back|send(?:ing)? back)\b[^.\n]{0,30}?\bbecause\s+(.+)"
    r"|(?:zurück(?:geschickt|gesendet)?|rücksendung|retourniert?)\b[^.\n]{0,30}?,?\s*weil\s+(.+)",
    re.IGNORECASE,
)


def note_reason(email: Email) -> str | None:
    """Return reason the user wrote above a forwarded mail ("reason: too small")."""
    if not email.user_note:
        return None
    m = _NOTE_REASON.search(email.user_note)
    if not m:
        return None
    raw = next(g for g in m.groups() if g)
    reason = raw.strip().splitlines()[0].strip(" .;,")
    return reason or None


def date_after(text: str, labels: str, received: datetime, *, dayfirst: bool = False) -> date | None:
    """The first readable date written after one of ``labels`` on the same line."""
    for m in re.finditer(rf"(?:^|\n|\t|\b)(?:{labels})\b\s*+[:：]?[ \t]*+(?:on\s+|am\s+|by\s+|the\s+)?([^\n]{{0,60}})",
                         text, re.IGNORECASE):
        value = m.group(1).split("\t")[0].strip()
        if not value:
            value = m.group(1).strip()
        if not value:
            continue
        found = parse_date(value, received, dayfirst=dayfirst)
        if found is not None:
            return found
    return None


_CLOCK = re.compile(r"(?<![\d.])\d{1,2}[:.]\d{2}(?![\d.])\s*+(?:[ap]\.?m\.?|uhr)?|\b\d{1,2}\s*+[ap]\.?m\.?", re.IGNORECASE)


def datetime_after(text: str, labels: str, received: datetime, *, dayfirst: bool = False) -> datetime | None:
    """When a mail states the moment ("Delivered Fri, Dec 4 at 3:41 PM"): tz-aware, in the mail's
    zone. None when only a date or nothing is written (then the caller uses ``received``)."""
    m = re.search(rf"(?<![ \t])(?:^|(?<=\n)|(?=[ ]*+\t))[ \t]*+(?:{labels})\b[ \t:]*([^\n]{{4,60}})", text,
                  re.IGNORECASE)
    if not m or not _CLOCK.search(m.group(1)):
        return None
    value = m.group(1).replace("\t", " ")
    clock = _CLOCK.search(value)
    day = parse_date(_CLOCK.sub(" ", value).replace(" at ", " ").replace(" um ", " "), received, dayfirst=dayfirst)
    if day is None or clock is None:
        return None
    try:
        t = dateparser.parse(clock.group(0).replace("Uhr", "").replace("uhr", "").replace(".", ":", 1)
                             if re.match(r"\d{1,2}\.\d{2}", clock.group(0)) else clock.group(0).replace(".", ""))
    except (ValueError, OverflowError):
        return None
    return datetime.combine(day, t.time(), tzinfo=received.tzinfo or timezone.utc)


def split_by_key(text: str, pattern: re.Pattern[str]) -> list[tuple[str, str]]:
    """(key, section) per distinct key (an order number) in ``text``: each section runs from the
    key's first mention to the next key's. One key (or none) gives one section, the whole text."""
    starts: dict[str, int] = {}
    for m in pattern.finditer(text):
        starts.setdefault(m.group(1), m.start())
    if len(starts) < 2:
        return [(next(iter(starts), ""), text)]
    cuts = sorted(starts.items(), key=lambda kv: kv[1])
    ends = [pos for _, pos in cuts[1:]] + [len(text)]
    return [(key, text[pos:end]) for (key, pos), end in zip(cuts, ends, strict=True)]


# --------------------------------------------------------------------------- items

def find_items(block: str, currency: str) -> tuple[Item, ...]:
    """Items of an order table: a name followed by "Quantity: 2" (and a price), or "2 x Name"."""
    lines = [ln.strip() for ln in block.split("\n") if ln.strip()]
    items: list[Item] = []
    for i, line in enumerate(lines):
        cells = [c.strip() for c in line.split("\t") if c.strip()]
        for j, cell in enumerate(cells):
            q = _QTY.match(cell)
            if q:
                name = _name_before(cells[:j], lines[:i])
                price = _price_near(cells[j + 1:], lines[i + 1: i + 3], currency) or _labelled_price(
                    lines[max(0, i - 2): i], currency)
                if name:
                    name = _ITEM_NAME_LABEL.sub("", _BULLET.sub("", name)).strip() or name
                    name = _TRUNCATED.sub("", name) or name  # "Bamboo Cutting Board Set of 3..."
                    sku = _sku_near(cells[:j], lines[max(0, i - 3): i + 1])
                    items.append(Item(name=name, quantity=int(q.group(1)), price=price, sku=sku))
                break
            t = _TIMES.match(cell)
            if t and not _NOT_A_NAME.match(cell):
                qty, name = (t.group(1), t.group(2)) if t.group(1) else (t.group(4), t.group(3))
                price = _price_near(cells[j + 1:], lines[i + 1: i + 2], currency)
                items.append(Item(name=_BULLET.sub("", name).strip(), quantity=int(qty), price=price))
                break
    return tuple(items)


_NOT_A_NAME = re.compile(
    r"^(?:sold by|verkauf(?:t)? (?:durch|von)|versand durch|condition|zustand|size|größe|color|colour|farbe|"
    r"item id|item number|item #|artikelnummer|artikel-nr|asin|sku|"
    r"style|stil|seller|verkäufer|quantity|qty|menge|anzahl|price|preis|item subtotal|order #|bestellnr|"
    r"arriving|ship to|lieferung an|track|view|buy again|return|your orders|order total|total|summe|"
    r"gesamt|subtotal|zwischensumme|shipping|versand|tax|mwst|ust|p&p|postage|porto|delivery|item total|"
    r"estimated|\$|£|€|eur\b|usd\b|gbp\b)",
    re.IGNORECASE,
)
_ITEM_NAME_LABEL = re.compile(r"^(?:item name|item|artikelname|artikel|product|produkt)\s*+(?::\s++|(?<=\s))", re.IGNORECASE)
_SKU = re.compile(r"(?:item id|item number|item #|artikelnummer|artikel-nr\.?|asin|sku)\s*+[:#]?\s*+([A-Z0-9][A-Z0-9-]{5,})",
                  re.IGNORECASE)
_TIMES = re.compile(r"^(\d{1,3})\s*+[x×]\s+(.{3,})$|^(.{3,}?)(?<!\s)\s++[x×]\s*+(\d{1,3})$")
_QTY = re.compile(r"^(?:quantity|qty|menge|anzahl|quantité|quantità|cantidad)\s*+[.:]?\s*+(\d{1,3})\b", re.IGNORECASE)


_TRUNCATED = re.compile(r"(?<!\s)\s*+(?:\.{3}|…)\s*$")
_BULLET = re.compile(r"^\s*+(?:[*•·▪◦‣-]|\d{1,2}[.)])\s+")
# Lines near an item that are no name: links, image alt markers, order numbers and other codes.
_NO_NAME_LINE = re.compile(r"^(?:<?https?://|\[image|www\.)|^[^A-Za-zÀ-ÿ\u4e00-\u9fff]*$", re.IGNORECASE)


def _is_name(cell: str) -> bool:
    return (len(cell) > 2 and not _NOT_A_NAME.match(_BULLET.sub("", cell)) and not _NO_NAME_LINE.search(cell)
            and len(_LETTERS.findall(cell)) >= 3)


def _name_before(cells: list[str], previous: list[str]) -> str | None:
    for cell in reversed(cells):
        if _is_name(cell) and parse_money(cell) is None:
            return cell
    for line in reversed(previous[-4:]):
        cell = line.split("\t")[0].strip()
        if _is_name(cell) and not (parse_money(cell) and len(cell) < 20):
            return cell
        if not (_ATTRIBUTE.match(cell) or _NO_NAME_LINE.search(cell) and not _ORDER_LIKE.search(cell)
                or parse_money(cell)):
            return None  # "Order #", "Track package", a date: the item's name is not above this
    return None


# Lines that sit between an item's name and its quantity.
_ATTRIBUTE = re.compile(
    r"^(?:sold by|verkauf(?:t)? (?:durch|von)|versand durch|condition|zustand|size|größe|color|colour|farbe|"
    r"style|stil|seller|verkäufer|item id|item number|item #|artikelnummer|artikel-nr|asin|sku|price|preis|"
    r"unit price|variant|variante|option|p&p|p & p|postage|shipping|delivery|versand|porto|item total|"
    r"estimated delivery|condition|seller notes)",
    re.IGNORECASE,
)
_ORDER_LIKE = re.compile(r"(?<!\d)\d{3,}-\d{3,}|#")


def _sku_near(cells: list[str], lines: list[str]) -> str | None:
    for chunk in (*cells, *reversed(lines)):
        m = _SKU.search(chunk)
        if m:
            return m.group(1)
    return None


def _labelled_price(lines: list[str], currency: str) -> Money | None:
    """"Price: £45.00" written between the item name and its quantity."""
    for line in reversed(lines):
        if _PRICE_LABEL.match(line):
            return parse_money(line, currency)
    return None


def _price_near(cells: list[str], following: list[str], currency: str) -> Money | None:
    """A unit price written right after the quantity: a cell or line that holds only an amount
    (a labelled amount such as "Refund amount: $19.99" is not an item price)."""
    for cell in cells + following:
        if _QTY.match(cell):
            break
        money = parse_money(cell, currency)
        bare = _PRICE_LABEL.sub("", _MONEY_TEXT.sub("", cell))
        if money is not None and len(_LETTERS.findall(bare)) <= 3:
            return money
    return None


_LETTERS = re.compile(r"[^\W\d_]")
_PRICE_LABEL = re.compile(r"^\s*(?:unit price|item price|price|preis|stückpreis|prix|prezzo|precio)\s*+:?", re.IGNORECASE)
_MONEY_TEXT = re.compile(r"\b(?:USD|EUR|GBP|CAD|AUD|CHF|SEK|PLN|US|AU|CA)\b|[$€£¥]")
