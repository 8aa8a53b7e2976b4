"""Find tracking numbers in free text and tell which carrier they belong to.

Self-identifying formats (UPS ``1Z…``, S10 ``RR123456785GB``, ``SF…``, ``JD…``, ``YT…``, DHL's
``00340434…`` SSCC) are accepted anywhere once their check digit (where they have one) passes.
All-digit formats that an order, phone or customer number could resemble are accepted only when a
carrier name (or the caller's ``hint``) is near, and score higher with a tracking keyword
("tracking number", "Sendungsnummer", "运单号"). Numbers labelled as order, phone, invoice or
customer numbers, Chinese mobile numbers, dates and numbers that are part of a price are ignored.

Positions in :class:`Detected` refer to the NFKC-normalised text (full-width digits and colons
become ASCII), which :func:`normalise_text` returns.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from smartreturn.tracking.carriers import Carrier, NumberFormat, all_carriers, find_names, get, normalise_number
from smartreturn.tracking.checkdigits import library

__all__ = ["Detected", "candidates", "detect", "normalise_text", "validate"]

MIN_CONFIDENCE = 0.5
_BEFORE = 150          # characters before a number searched for carrier names and keywords
_AFTER = 60
_LABEL_WINDOW = 40     # the label of a number ("Order #", "运单号：") sits right before it

# Carriers that share names in mail ("DHL" is said for both DHL Express and DHL Paket).
_FAMILY: dict[str, tuple[str, ...]] = {
    "dhl": ("dhl_paket",), "dhl_paket": ("dhl",), "ems": ("china_post",), "china_post": ("ems",),
}

# S10 items of posts not in the registry ("RR123456785CH"): valid, carrier unknown.
_S10_ANY = NumberFormat(re.compile(r"[A-Z]{2}\d{9}[A-Z]{2}"), library("s10"), False, 0.8)

# Longer alternatives first: at one position the first alternative wins ("运单编号" before "编号").
_LABELS = re.compile(
    r"(?P<track>tracking[\s\-]*(?:number|no\.?|id|#|code)?|track(?:ing)?(?:num|nums|number)?|trace"
    r"|sendungsnummer|sendungs-?nr|sendungsverfolgung|sendung|paketnummer|paket-?nr|trackingnummer"
    r"|tracking-?nummer|waybill|awb|consignment|parcel\s*(?:number|no|id)|shipment\s*(?:number|no|id)"
    r"|label\s*number|运单编号|快递编号|包裹编号|运单号码|运单号|运单|快递单号|物流单号|包裹号|追踪号|跟踪号|单号"
    r"|快递|快件|包裹)"
    r"|(?P<other>order|bestell\w*|auftrag\w*|订单|invoice|rechnung\w*|发票|customer|kunden\w*|account"
    r"|konto|phone|tel\b|telefon|mobile|handy|电话|手机|联系方式|reference|referenz|ref\b|iban|bic\b"
    r"|sku|asin|artikel\w*|item\s*(?:number|no)|商品编号|编号|promo|coupon|voucher|gutschein|验证码"
    r"|取件码|pin\b|postcode|zip|plz|postleitzahl|邮编)",
    re.IGNORECASE,
)
_IMMEDIATE = re.compile(r"[\s:#.\-/=（(]*(?:no\.?|nr\.?|number|号码?|id)?[\s:#.\-/=）)]*\Z", re.IGNORECASE)

_EDGE_BEFORE = r"(?<![A-Za-z0-9])(?<![0-9][.,\-])(?<!\+)"
_EDGE_AFTER = r"(?![A-Za-z0-9])(?![.,\-][0-9])"
_SPACED = re.compile(
    _EDGE_BEFORE + r"(?:1Z(?: ?[0-9A-Z]){16}"
    r"|[A-Z]{2} ?(?:\d ?){8}\d ?[A-Z]{2}"
    r"|\d{4}(?: \d{4}){2,6}(?: \d{1,4})?)" + _EDGE_AFTER,
    re.IGNORECASE,
)
_TOKEN = re.compile(_EDGE_BEFORE + r"[A-Za-z0-9]{10,40}" + _EDGE_AFTER)
_CN_MOBILE = re.compile(r"1[3-9]\d{9}")
_PHONE_PREFIX = re.compile(r"\+\d{1,3}[\s()0]*\Z")
_DATE_LIKE = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{0,6}")


@dataclass(frozen=True, slots=True)
class Detected:
    number: str                 # normalised: upper case, no spaces
    carrier: str | None         # carrier code, None when the format does not say
    confidence: float           # 0..1
    start: int = field(default=-1, compare=False)  # first occurrence in normalise_text(text)
    end: int = field(default=-1, compare=False)


def normalise_text(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def candidates(number: str) -> list[tuple[Carrier, NumberFormat]]:
    """Every (carrier, format) the number fits, check digit included, regardless of context."""
    norm = normalise_number(number)
    found = []
    for carrier in all_carriers():
        for fmt in carrier.formats:
            if fmt.pattern.fullmatch(norm) and (fmt.check is None or fmt.check(norm)):
                found.append((carrier, fmt))
    return found


def validate(carrier_code: str, number: str) -> bool:
    """True when ``number`` has one of the carrier's formats and its check digit (if any) passes.

    Raises :class:`~smartreturn.tracking.carriers.UnknownCarrier` for an unknown code.
    """
    carrier = get(carrier_code)
    return any(c.code == carrier.code for c, _fmt in candidates(number))


def detect(text: str, *, hint: str | None = None, min_confidence: float = MIN_CONFIDENCE) -> list[Detected]:
    """Tracking numbers in ``text``, one per distinct number, in order of first appearance.

    ``hint`` is a carrier code the caller knows the mail is about (a UPS parser passes ``"ups"``):
    it counts as that carrier being named, so its all-digit formats are accepted.
    """
    return list(_detect(normalise_text(text), hint, min_confidence))


@lru_cache(maxsize=4)  # a parser's identify() and extract() ask about the same mail text in a row
def _detect(text: str, hint: str | None, min_confidence: float) -> tuple[Detected, ...]:
    hint_carrier = get(hint) if hint else None
    best: dict[str, Detected] = {}
    spans = _scan(text)
    names = find_names(text) if spans else []
    for start, end, raw in spans:
        found = _judge(text, start, end, normalise_number(raw), hint_carrier, names)
        if found is None or found.confidence < min_confidence:
            continue
        previous = best.get(found.number)
        if previous is None:
            best[found.number] = found
        elif found.confidence > previous.confidence:
            best[found.number] = Detected(found.number, found.carrier, found.confidence, previous.start, previous.end)
    return tuple(sorted(best.values(), key=lambda d: d.start))


def _scan(text: str) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    for m in _SPACED.finditer(text):
        if " " in m.group():
            spans.append((m.start(), m.end(), m.group()))
    taken = [(s, e) for s, e, _ in spans]
    for m in _TOKEN.finditer(text):
        if sum(ch.isdigit() for ch in m.group()) < 8:
            continue
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        spans.append((m.start(), m.end(), m.group()))
    spans.sort()
    return spans


def _judge(
    text: str, start: int, end: int, number: str, hint: Carrier | None, names: list[tuple[int, int, Carrier]]
) -> Detected | None:
    matches = candidates(number)
    unknown_s10 = not matches and _S10_ANY.pattern.fullmatch(number) is not None and _S10_ANY.check is not None and _S10_ANY.check(number)
    if not matches and not unknown_s10:
        return None
    if number.isdigit() and (_CN_MOBILE.fullmatch(number) or _phone_prefix(text, start)):
        return None

    label_kind, label_immediate = _label(text, start)
    if unknown_s10:  # a post outside the registry: valid, carrier unknown
        return None if label_kind == "other" and label_immediate else Detected(number, None, 0.8, start, end)
    named = _named(names, start, end, hint)
    keyword = label_kind == "track" or _has_track_keyword(text, start, end)

    free = [(c, f) for c, f in matches if not f.needs_context]
    if free:
        if label_kind == "other" and label_immediate:
            return None
        carrier, fmt = min(free, key=lambda cf: named.get(cf[0].code, 1 << 30))
        bonus = 0.05 if (keyword or carrier.code in named) else 0.0
        return Detected(number, carrier.code, round(min(0.99, fmt.confidence + bonus), 2), start, end)

    # Only ambiguous formats: a carrier must be named nearby, and no order/phone label may be closer.
    if label_kind == "other" or (number.isdigit() and _DATE_LIKE.fullmatch(number)):
        return None
    if text[start - 1:start] in ("=", "/") and label_kind != "track":
        return None  # an id in a link ("?id=993311884477") unless the link itself says tracking
    # A format without a check digit also needs a tracking keyword: the name alone is not enough.
    near = [(c, f) for c, f in matches if c.code in named and (f.check is not None or keyword)]
    if not near:
        return None
    carrier, fmt = min(near, key=lambda cf: named[cf[0].code])
    confidence = fmt.confidence + (0.2 if keyword else 0.0) + (0.1 if fmt.check else 0.0)
    return Detected(number, carrier.code, round(min(0.95, confidence), 2), start, end)


def _phone_prefix(text: str, start: int) -> bool:
    """'+44 7700 900123' or '+49 (0)30 1234567890': an international prefix right before."""
    return _PHONE_PREFIX.search(text, max(0, start - 8), start) is not None


def _label(text: str, start: int) -> tuple[str | None, bool]:
    """Kind of the closest label before the number ('track' / 'other') and whether it is immediate."""
    window = text[max(0, start - _LABEL_WINDOW):start]
    last = None
    for m in _LABELS.finditer(window):
        last = m
    if last is None:
        return None, False
    kind = "track" if last.group("track") else "other"
    return kind, _IMMEDIATE.match(window[last.end():]) is not None


def _has_track_keyword(text: str, start: int, end: int) -> bool:
    window = text[max(0, start - _BEFORE):start] + " " + text[end:end + _AFTER]
    return any(m.group("track") for m in _LABELS.finditer(window))


def _named(names: list[tuple[int, int, Carrier]], start: int, end: int, hint: Carrier | None) -> dict[str, int]:
    """Carrier codes named near the number -> distance in characters (family members included)."""
    distances: dict[str, int] = {}

    def note(code: str, distance: int) -> None:
        for c in (code, *_FAMILY.get(code, ())):
            # a family member counts slightly farther than the carrier named itself
            d = distance if c == code else distance + 1
            if d < distances.get(c, 1 << 30):
                distances[c] = d

    for s, e, carrier in names:
        if e <= start:
            if start - e <= _BEFORE:
                note(carrier.code, start - e)
        elif s >= end:
            if s - end <= _AFTER:
                # a name after the number counts a little farther than one before it ("中通快递 运单号 …")
                note(carrier.code, s - end + 10)
    if hint is not None:
        note(hint.code, 10_000)
    return distances
