"""Find tracking numbers in free text and tell which carrier they belong to.

The formats are the carriers' in :mod:`smartreturn.tracking.carriers`: the reference data's
definitions (jkeen/tracking_number_data, with their check digits) and the formats written there
(Chinese couriers, DHL Paket, European posts). Self-identifying formats (UPS ``1Z…``, S10
``RR123456785GB``, ``SF…``, ``JD…``, ``YT…``, DHL's ``00340434…`` SSCC) are accepted anywhere once
their check digit (where they have one) passes. All-digit formats that an order, phone or customer
number could resemble are accepted only when a carrier name (or the caller's ``hint``) is near, and
score higher with a tracking keyword ("tracking number", "Sendungsnummer", "运单号"). Numbers labelled
as order, phone, invoice or customer numbers (before them, or "…号订单" after them), Chinese mobile
numbers, dates and numbers that are part of a price are ignored.

How the text is read, in linear time: one scan finds runs of upper-case/digit chunks separated by
single spaces ("1Z 999 AA1 01 2345 678 4", "9400 1112 0108 …", "ＳＦ１４…" after NFKC) and one finds
mixed-case tokens; every candidate is a run of whole chunks of at most ``refdata.MAX_LENGTH``
characters, and the format regexes are only full-matched against such a bounded candidate, never
run over the body. A number written with spaces must carry a check digit or a self-identifying
prefix, or stand right after a tracking label, so that digit groups of phone numbers are not joined.

Positions in :class:`Detected` refer to the NFKC-normalised text (full-width digits and colons
become ASCII), which :func:`normalise_text` returns.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from smartreturn.tracking import refdata
from smartreturn.tracking.carriers import Carrier, NumberFormat, all_carriers, find_names, get, normalise_number

__all__ = ["Detected", "candidates", "detect", "identify", "normalise_text", "validate"]


MIN_CONFIDENCE = 0.5
MIN_LENGTH = 10        # shortest number any format accepts (DHL Express, LaserShip LX)
MIN_DIGITS = 4         # "1LSCXVE005BUEFX" has four
SPACED_BUDGET = 5_000   # candidates joined from spaced chunks per text: bounds a hostile body's cost
_BEFORE = 150          # characters before a number searched for carrier names and keywords
_AFTER = 60
_LABEL_WINDOW = 40     # the label of a number ("Order #", "运单号：") sits right before it

# Carriers that share names in mail ("DHL" is said for DHL Express, DHL Paket and DHL eCommerce).
_FAMILY: dict[str, tuple[str, ...]] = {
    "dhl": ("dhl_paket", "dhl_ecommerce"), "dhl_paket": ("dhl",), "dhl_ecommerce": ("dhl",),
    "ems": ("china_post",), "china_post": ("ems",),
}

# S10 items of posts not in the registry ("RR123456785CH"): valid, carrier unknown, post named by the data.
_S10 = refdata.get("s10")

# Longer alternatives first: at one position the first alternative wins ("运单编号" before "编号").
_LABELS = re.compile(
    r"(?P<track>tracking[\s\-]*(?:number|no\.?|id|#|code)?|track(?:ing)?(?:num|nums|number)?|trace"
    r"|sendungsnummer|sendungs-?nr|sendungsverfolgung|sendung|paketnummer|paket-?nr|trackingnummer"
    r"|tracking-?nummer|waybill|awb|consignment|parcel\s*(?:number|no|id)|shipment\s*(?:number|no|id)"
    r"|label\s*number|运单编号|快递编号|包裹编号|运单号码|运单号|运单|快递单号|物流单号|包裹号|追踪号|跟踪号|单号"
    r"|邮件号|快递|快件|包裹|邮件)"
    r"|(?P<other>order|bestell\w*|auftrag\w*|订单|invoice|rechnung\w*|发票|customer|kunden\w*|account"
    r"|konto|phone|tel\b|telefon|mobile|handy|电话|手机|联系方式|reference|referenz|ref\b|iban|bic\b"
    r"|sku|asin|artikel\w*|item\s*(?:number|no)|商品编号|商品|货号|编号|promo|coupon|voucher|gutschein|验证码"
    r"|取件码|pin\b|postcode|zip|plz|postleitzahl|邮编)",
    re.IGNORECASE,
)
_IMMEDIATE = re.compile(r"[\s:#.\-/=（(【\[]*(?:no\.?|nr\.?|number|号码?|id)?[\s:#.\-/=）)】\]]*\Z", re.IGNORECASE)
# "您的202603151234567号订单": the label follows the number.
_LABEL_AFTER = re.compile(r"[)）】\]]?号?的?订单")

# Runs of upper-case/digit chunks separated by up to three spaces or tabs (a "-1" piece suffix is kept).
_RUN = re.compile(r"(?<![A-Za-z0-9])[A-Z0-9]+(?:(?:[ \t]{1,3}|[ \t]?-[ \t]?(?=[0-9](?![A-Za-z0-9])))[A-Z0-9]+)*")
_CHUNK = re.compile(r"[A-Z0-9]+")
# Tokens with a lower-case letter ("1z999aa10123456784" in a link) are taken whole, never joined.
_MIXED = re.compile(
    r"(?<![A-Za-z0-9])(?=[A-Za-z0-9]{0,41}[a-z])[A-Za-z0-9]{%d,%d}(?![A-Za-z0-9])" % (MIN_LENGTH, refdata.MAX_LENGTH)
)
_NO_DIGITS = str.maketrans("", "", "0123456789")
_CN_MOBILE = re.compile(r"1[3-9]\d{9}")
_PHONE_PREFIX = re.compile(r"\+\d{1,3}[\s()0]*\Z")
_DATE_LIKE = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{0,6}")
_PRICE_BEFORE = re.compile(r"(?:[0-9][.,\-]|\+)\Z")
_PRICE_AFTER = re.compile(r"[.,\-][0-9]")


@dataclass(frozen=True, slots=True)
class Detected:
    number: str                 # normalised: upper case, no spaces
    carrier: str | None         # carrier code, None when the format does not say
    confidence: float           # 0..1
    start: int = field(default=-1, compare=False)  # first occurrence in normalise_text(text)
    end: int = field(default=-1, compare=False)
    carrier_name: str | None = field(default=None, compare=False)  # the post an S10 names when carrier is None


@dataclass(frozen=True, slots=True)
class _Label:
    start: int
    end: int
    track: bool                 # a tracking label ("运单号", "Sendungsnummer"), else an order/phone/... one


@dataclass(frozen=True, slots=True)
class _Candidate:
    start: int
    end: int
    number: str
    spaced: bool


def normalise_text(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


_ALPHABET = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _first(items: list, depth: int = 0) -> tuple[frozenset[str], bool]:  # type: ignore[type-arg]
    """The characters a parsed regex sequence can start with, and whether it can match empty.

    Conservative: whatever it does not understand may start with any character."""
    chars: set[str] = set()
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            return frozenset(chars | {chr(arg)}), False
        if name == "IN":
            found: set[str] = set()
            for kind, value in arg:
                if str(kind) == "LITERAL":
                    found.add(chr(value))
                elif str(kind) == "RANGE":
                    found.update(c for c in _ALPHABET if value[0] <= ord(c) <= value[1])
                elif str(kind) == "CATEGORY" and str(value) == "CATEGORY_DIGIT":
                    found.update("0123456789")
                else:
                    found = set(_ALPHABET)
                    break
            return frozenset(chars | found), False
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, sub = arg
            sub_chars, sub_empty = _first(list(sub), depth + 1)
            chars |= sub_chars
            if low > 0 and not sub_empty:
                return frozenset(chars), False
        elif name == "SUBPATTERN":
            sub_chars, sub_empty = _first(list(arg[-1]), depth + 1)
            chars |= sub_chars
            if not sub_empty:
                return frozenset(chars), False
        elif name == "BRANCH":
            empty = False
            for branch in arg[1]:
                sub_chars, sub_empty = _first(list(branch), depth + 1)
                chars |= sub_chars
                empty = empty or sub_empty
            if not empty:
                return frozenset(chars), False
        elif name in ("ASSERT", "ASSERT_NOT", "AT"):
            continue  # zero-width: look at what follows
        else:
            return _ALPHABET, False
    return frozenset(chars), True


def _with_first_chars(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """The same regex behind a look-ahead for the characters a match can start with: sre then drops
    most positions with one test instead of trying each of the ~70 alternatives there."""
    from re import _parser as sre_parse

    starts, empty = _first(list(sre_parse.parse(pattern.pattern, pattern.flags)))
    if empty or starts is _ALPHABET:  # not understood: keep the regex as it is
        return pattern
    return re.compile(f"(?=[{re.escape(''.join(sorted(starts)))}])(?:{pattern.pattern})", pattern.flags)


# the label pattern is lower case: run case-sensitively over lowered text, with its first characters
_LABELS_LOWER = _with_first_chars(re.compile(_LABELS.pattern))


@lru_cache(maxsize=1)
def _index() -> dict[tuple[int, str], tuple[tuple[Carrier, NumberFormat], ...]]:
    """(length, first character) -> the formats that could match such a number, in registry order."""
    from re import _parser as sre_parse

    index: dict[tuple[int, str], list[tuple[Carrier, NumberFormat]]] = defaultdict(list)
    for carrier in all_carriers():
        for fmt in carrier.formats:
            starts, _empty = _first(list(sre_parse.parse(fmt.pattern.pattern, fmt.pattern.flags)))
            low, high = fmt.lengths
            for length in range(max(low, 1), high + 1):
                for char in starts & _ALPHABET:
                    index[(length, char)].append((carrier, fmt))
    return {key: tuple(rows) for key, rows in index.items()}


def candidates(number: str) -> list[tuple[Carrier, NumberFormat]]:
    """Every (carrier, format) the number fits, check digit included, regardless of context."""
    norm = normalise_number(number)
    if not norm:
        return []
    return [(c, f) for c, f in _index().get((len(norm), norm[0]), ()) if f.match(norm) is not None]


def validate(carrier_code: str, number: str) -> bool:
    """True when ``number`` has one of the carrier's formats and its check digit (if any) passes.

    Raises :class:`~smartreturn.tracking.carriers.UnknownCarrier` for an unknown code.
    """
    carrier = get(carrier_code)
    norm = normalise_number(number)
    return any(f.match(norm) is not None for f in carrier.formats)


def identify(number: str) -> str | None:
    """The carrier a number names by itself (a self-identifying format of one carrier only), or None."""
    codes = {carrier.code for carrier, fmt in candidates(number) if not fmt.needs_context}
    return codes.pop() if len(codes) == 1 else None


def detect(text: str, *, hint: str | None = None, min_confidence: float = MIN_CONFIDENCE) -> list[Detected]:
    """Tracking numbers in ``text``, one per distinct number, in order of first appearance.

    ``hint`` is a carrier code the caller knows the mail is about (a UPS parser passes ``"ups"``):
    it counts as that carrier being named, so its all-digit formats are accepted.
    """
    return list(_detect(normalise_text(text), hint, min_confidence))


@lru_cache(maxsize=4)  # a parser's identify() and extract() ask about the same mail text in a row
def _detect(text: str, hint: str | None, min_confidence: float) -> tuple[Detected, ...]:
    hint_carrier = get(hint) if hint else None
    found = [c for c in _scan(text) if _fits_something(c.number)]
    if not found:
        return ()
    names, labels = _context_near(text, found)
    best: dict[str, Detected] = {}
    taken: list[tuple[int, int]] = []
    # Longest first: "1Z 999 AA1 01 2345 678 4" wins over the pieces inside it.
    for cand in sorted(found, key=lambda c: (c.start - c.end, c.start)):
        if any(s < cand.end and cand.start < e for s, e in taken):
            continue
        judged = _judge(text, cand, hint_carrier, names, labels)
        if judged is None or judged.confidence < min_confidence:
            continue
        taken.append((cand.start, cand.end))
        previous = best.get(judged.number)
        if previous is None:
            best[judged.number] = judged
        else:  # one entry per number: its first position, the most confident reading
            first = judged if judged.start < previous.start else previous
            top = judged if judged.confidence > previous.confidence else previous
            best[judged.number] = Detected(top.number, top.carrier, top.confidence, first.start, first.end,
                                           top.carrier_name)
    return tuple(sorted(best.values(), key=lambda d: d.start))


def _digits(s: str) -> int:
    return len(s) - len(s.translate(_NO_DIGITS))


def _scan(text: str) -> Iterator[_Candidate]:
    """Every candidate: a whole token, or whole chunks of a spaced run, of a length some format has."""
    budget = SPACED_BUDGET
    for m in _RUN.finditer(text):
        start, end = m.span()
        if end - start < MIN_LENGTH or _digits(m.group()) < MIN_DIGITS:
            continue
        chunks = [(c.start(), c.end()) for c in _CHUNK.finditer(text, start, end)]
        if end < len(text) and "a" <= text[end] <= "z":
            chunks.pop()                         # the last chunk begins a mixed-case word
        if len(chunks) == 1:
            s, e = chunks[0]
            if MIN_LENGTH <= e - s <= refdata.MAX_LENGTH:
                yield _Candidate(s, e, text[s:e], False)
            continue
        # A number spelled out one character at a time ("1 Z 8 V 9 2 …") is never cut inside: a
        # candidate starts and ends only where a chunk of two or more characters is on either side.
        single = [e - s == 1 for s, e in chunks]
        last = len(chunks) - 1
        for i, (s, e) in enumerate(chunks):
            if MIN_LENGTH <= e - s <= refdata.MAX_LENGTH:
                yield _Candidate(s, e, text[s:e], False)
            if i > 0 and single[i] and single[i - 1]:
                continue
            joined, j = text[s:e], i + 1
            while budget > 0 and j <= last and len(joined) + chunks[j][1] - chunks[j][0] <= refdata.MAX_LENGTH:
                joined += text[chunks[j][0]:chunks[j][1]]
                if len(joined) >= MIN_LENGTH and (j == last or not (single[j] and single[j + 1])):
                    budget -= 1
                    yield _Candidate(s, chunks[j][1], joined, True)
                j += 1
    for m in _MIXED.finditer(text):
        if _digits(m.group()) >= MIN_DIGITS:
            yield _Candidate(m.start(), m.end(), m.group().upper(), False)


@lru_cache(maxsize=1)
def _any_format() -> re.Pattern[str]:
    """One regex that full-matches whatever some format's pattern matches (checks not included):
    a candidate that fails it is dropped with one call instead of one per format."""
    patterns = {fmt.pattern.pattern for carrier in all_carriers() for fmt in carrier.formats}
    patterns.add(_S10.pattern.pattern)
    plain = (re.sub(r"\(\?P<[A-Za-z_]\w*>", "(?:", p) for p in sorted(patterns))
    return re.compile("|".join(f"(?:{p})" for p in plain))


def _fits_something(number: str) -> bool:
    return _digits(number) >= MIN_DIGITS and _any_format().fullmatch(number) is not None


def _judge(
    text: str, cand: _Candidate, hint: Carrier | None, names: list[tuple[int, int, Carrier]], labels: list[_Label]
) -> Detected | None:
    start, end, number = cand.start, cand.end, cand.number
    if _PRICE_BEFORE.search(text, max(0, start - 2), start) or _PRICE_AFTER.match(text, end):
        return None
    matches = candidates(number)
    s10 = _S10.match(number) if not matches else None
    if not matches and s10 is None:
        return None
    if number.isdigit() and (_CN_MOBILE.fullmatch(number) or _phone_prefix(text, start)):
        return None

    label_kind, label_immediate = _label(text, start, labels)
    if _LABEL_AFTER.match(text, end):
        label_kind, label_immediate = "other", True
    if s10 is not None:  # a post outside the registry: valid, carrier unknown
        if label_kind == "other" and label_immediate:
            return None
        entry = _S10.lookup(s10, "Courier")
        return Detected(number, None, 0.8, start, end, entry.get("courier") if entry else None)
    named = _named(names, start, end, hint)
    keyword = label_kind == "track" or _has_track_keyword(start, end, labels)

    # A carrier named nearby decides between formats; a self-identifying format needs no name.
    immediate_track = label_kind == "track" and label_immediate
    context_ok = label_kind != "other" and not (number.isdigit() and _DATE_LIKE.fullmatch(number)) and not (
        text[start - 1:start] in ("=", "/") and label_kind != "track"  # an id in a link ("?id=993311884477")
    )
    near = [
        (c, f) for c, f in matches
        if c.code in named and (not f.needs_context or context_ok and _context_enough(f, cand.spaced, keyword, immediate_track))
    ]
    if near:
        carrier, fmt = min(near, key=lambda cf: (named[cf[0].code], cf[1].needs_context))
    else:
        free = [(c, f) for c, f in matches if not f.needs_context]
        if not free:
            return None
        carrier, fmt = free[0]
    if not fmt.needs_context:
        if label_kind == "other" and label_immediate:
            return None
        bonus = 0.05 if (keyword or carrier.code in named) else 0.0
        return Detected(number, carrier.code, round(min(0.99, fmt.confidence + bonus), 2), start, end)
    confidence = fmt.confidence + (0.2 if keyword else 0.0) + (0.1 if fmt.has_check else 0.0)
    return Detected(number, carrier.code, round(min(0.95, confidence), 2), start, end)


def _context_enough(fmt: NumberFormat, spaced: bool, keyword: bool, immediate_track: bool) -> bool:
    """An ambiguous format with its carrier named: without a check digit it also needs a tracking
    keyword; written with spaces it needs a keyword (with a check digit) or a tracking label right
    before it (without one), so that the digit groups of a phone number are not joined."""
    if spaced:
        return keyword if fmt.has_check else immediate_track
    return fmt.has_check or keyword


def _context_near(text: str, found: list[_Candidate]) -> tuple[list[tuple[int, int, Carrier]], list[_Label]]:
    """Carrier names and labels in the windows around the candidates (where the judge looks), read
    once per text: overlapping windows are merged."""
    windows: list[list[int]] = []
    for cand in sorted(found, key=lambda c: c.start):
        lo, hi = max(0, cand.start - _BEFORE - 40), min(len(text), cand.end + _AFTER + 40)
        if windows and lo <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], hi)
        else:
            windows.append([lo, hi])
    names: list[tuple[int, int, Carrier]] = []
    labels: list[_Label] = []
    for lo, hi in windows:
        window = text[lo:hi]
        names.extend((s + lo, e + lo, c) for s, e, c in find_names(window))
        labels.extend(_Label(m.start() + lo, m.end() + lo, m.group("track") is not None) for m in _labels(window))
    return names, labels


def _labels(window: str) -> Iterator[re.Match[str]]:
    """_LABELS over a window: case-sensitive over its lower-case form when lowering keeps positions."""
    lowered = window.lower()
    if len(lowered) == len(window):
        return _LABELS_LOWER.finditer(lowered)
    return _LABELS.finditer(window)


def _phone_prefix(text: str, start: int) -> bool:
    """'+44 7700 900123' or '+49 (0)30 1234567890': an international prefix right before."""
    return _PHONE_PREFIX.search(text, max(0, start - 8), start) is not None


def _label(text: str, start: int, labels: list[_Label]) -> tuple[str | None, bool]:
    """Kind of the closest label before the number ('track' / 'other') and whether it is immediate."""
    last = None
    for label in labels:
        if label.end > start:
            break
        if label.start >= start - _LABEL_WINDOW:
            last = label
    if last is None:
        return None, False
    return ("track" if last.track else "other"), _IMMEDIATE.match(text, last.end, start) is not None


def _has_track_keyword(start: int, end: int, labels: list[_Label]) -> bool:
    return any(
        label.track and (start - _BEFORE <= label.start and label.end <= start or end <= label.start and label.end <= end + _AFTER)
        for label in labels
    )


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
