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
from dataclasses import dataclass, field
from functools import lru_cache
from re import _parser as sre_parse
from typing import NamedTuple

import ahocorasick_rs

from smartreturn.tracking import refdata
from smartreturn.tracking.carriers import (
    Carrier,
    NumberFormat,
    UnknownCarrier,
    all_carriers,
    automaton,
    find_names,
    get,
    lowers_in_place,
    name_keys,
    names_from_hits,
    normalise_number,
    overlapping_hits,
)

__all__ = ["Detected", "candidates", "confirmed", "detect", "identify", "normalise_text", "validate"]


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
_S10_LENGTH = 13       # two letters, nine digits, two letters
assert sre_parse.parse(_S10.pattern.pattern).getwidth() == (_S10_LENGTH, _S10_LENGTH)

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
# Only blanks, punctuation and "no."/"number" between a label and its number. Matched only between
# the two (at most _LABEL_WINDOW characters), so the runs are bounded: unbounded, every start in a
# line of 100,000 spaces read on to the end of the line.
_IMMEDIATE = re.compile(rf"[\s:#.\-/=（(【\[]{{0,{_LABEL_WINDOW}}}+(?:no\.?|nr\.?|number|号码?|id)?"
                        rf"[\s:#.\-/=）)】\]]{{0,{_LABEL_WINDOW}}}+\Z", re.IGNORECASE)
# "您的202603151234567号订单": the label follows the number.
_LABEL_AFTER = re.compile(r"[)）】\]]?号?的?订单")

# One scan finds, at each word start (a character that is no letter or digit, then the word):
# - group 1, a run of upper-case/digit chunks separated by up to three spaces or tabs (a "-1" piece
#   suffix is kept), when the ten characters from the word start could hold one ("Hello" and
#   "2026-05-12" are skipped inside sre);
# - else group 2, a whole token of MIN_LENGTH..MAX_LENGTH letters and digits; those with a lower-case
#   letter ("1z999aa10123456784" in a link) are candidates as they stand, never joined.
# A token with a lower-case letter can only begin where a run does when the run ends right before
# that letter: _scan then reads the token at the run's last chunk with _TOKEN_AT.
_RUN_BODY = r"[A-Z0-9]+(?:(?:[ \t]{1,3}|[ \t]?-[ \t]?(?=[0-9](?![A-Za-z0-9])))[A-Z0-9]+)*"
_TOKEN_BODY = r"[A-Za-z0-9]{%d,%d}(?![A-Za-z0-9])" % (MIN_LENGTH, refdata.MAX_LENGTH)
_WORD_BODY = r"(?:(?=[A-Z0-9][A-Z0-9 \t\-]{%d})(%s)|(%s))" % (MIN_LENGTH - 1, _RUN_BODY, _TOKEN_BODY)
_WORD = re.compile(r"[^A-Za-z0-9]" + _WORD_BODY)   # starts with a class: sre skips letters and digits
_WORD_AT_START = re.compile(_WORD_BODY)            # the word at position 0 has no character before it
_TOKEN_AT = re.compile(_TOKEN_BODY)
_CHUNK = re.compile(r"[A-Z0-9]+")
_NO_DIGITS = str.maketrans("", "", "0123456789")
_CN_MOBILE = re.compile(r"1[3-9]\d{9}")
_PHONE_PREFIX = re.compile(r"\+\d{1,3}[\s()0]*\Z")
_DATE_LIKE = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{0,6}")
_PRICE_BEFORE = re.compile(r"(?:[0-9][.,\-]|\+)\Z")
_PRICE_AFTER = re.compile(r"[.,\-][0-9]")
_PRICE_MARKS = frozenset("+.,-")        # the character next to the number in both
_LABEL_AFTER_FIRST = frozenset(")）】]号的订")  # what _LABEL_AFTER can begin with


@dataclass(frozen=True, slots=True)
class Detected:
    number: str                 # normalised: upper case, no spaces
    carrier: str | None         # carrier code, None when the format does not say
    confidence: float           # 0..1
    start: int = field(default=-1, compare=False)  # first occurrence in normalise_text(text)
    end: int = field(default=-1, compare=False)
    carrier_name: str | None = field(default=None, compare=False)  # the post an S10 names when carrier is None


class _Label(NamedTuple):      # tuples: a mail has dozens of labels and candidates
    start: int
    end: int
    track: bool                 # a tracking label ("运单号", "Sendungsnummer"), else an order/phone/... one


class _Candidate(NamedTuple):
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
    starts, empty = _first(list(sre_parse.parse(pattern.pattern, pattern.flags)))
    if empty or starts is _ALPHABET:  # not understood: keep the regex as it is
        return pattern
    return re.compile(f"(?=[{re.escape(''.join(sorted(starts)))}])(?:{pattern.pattern})", pattern.flags)


# the label pattern is lower case: run case-sensitively over lowered text, with its first characters
_LABELS_LOWER = _with_first_chars(re.compile(_LABELS.pattern))


@dataclass(frozen=True, slots=True)
class _Bucket:
    """The formats a number of one length and first character could have, in registry order."""

    formats: tuple[tuple[Carrier, NumberFormat], ...]
    any: re.Pattern[str]            # full-matches what one of the formats' regexes full-matches
    free: re.Pattern[str] | None    # the same for the formats that need no context (None: there are none)
    codes: frozenset[str]           # the carriers of the formats
    traits: tuple[tuple[str, bool, bool], ...]   # per format: carrier code, needs context, has a check digit
    free_indices: tuple[int, ...]   # the formats that need no context


def _union(formats: list[tuple[Carrier, NumberFormat]]) -> re.Pattern[str]:
    plain = (re.sub(r"\(\?P<[A-Za-z_]\w*>", "(?:", f.pattern.pattern) for _c, f in formats)
    return re.compile("|".join(f"(?:{p})" for p in dict.fromkeys(plain)))


@lru_cache(maxsize=1)
def _index() -> dict[tuple[int, str], _Bucket]:
    """(length, first character) -> the formats that could match such a number."""
    index: dict[tuple[int, str], list[tuple[Carrier, NumberFormat]]] = defaultdict(list)
    for carrier in all_carriers():
        for fmt in carrier.formats:
            starts, _empty = _first(list(sre_parse.parse(fmt.pattern.pattern, fmt.pattern.flags)))
            low, high = fmt.lengths
            for length in range(max(low, 1), high + 1):
                for char in starts & _ALPHABET:
                    index[(length, char)].append((carrier, fmt))
    buckets = {}
    for key, rows in index.items():
        free = [(c, f) for c, f in rows if not f.needs_context]
        buckets[key] = _Bucket(
            tuple(rows), _union(rows), _union(free) if free else None, frozenset(c.code for c, _f in rows),
            tuple((c.code, f.needs_context, f.has_check) for c, f in rows),
            tuple(i for i, (_c, f) in enumerate(rows) if not f.needs_context),
        )
    return buckets


class _Fit:
    """What a normalised number could be: its bucket of formats, found by one regex, and each
    format's verdict (its regex, then its check digit and conditions) worked out only when the judge
    asks for it, once. Most candidates of a mail (order, customer, phone numbers) are refused before
    any format is tried one by one."""

    __slots__ = ("number", "bucket", "s10", "_ok", "_free")

    def __init__(self, number: str, bucket: _Bucket | None, s10: re.Match[str] | None) -> None:
        self.number = number
        self.bucket = bucket
        self.s10 = s10                 # the S10 regex's match (posts outside the registry)
        self._ok: dict[int, bool] = {}
        self._free: bool | None = None

    def ok(self, i: int) -> bool:
        """Whether the number has the i-th format of its bucket, check digit and conditions included."""
        ok = self._ok.get(i)
        if ok is None:
            fmt = self.bucket.formats[i][1]  # type: ignore[union-attr]
            m = fmt.pattern.fullmatch(self.number)
            ok = self._ok[i] = m is not None and fmt.accepts(m)
        return ok

    def free(self) -> bool:
        """Whether a format that needs no context has this number's shape (check digit not asked)."""
        if self._free is None:
            free = self.bucket.free if self.bucket is not None else None
            self._free = free is not None and free.fullmatch(self.number) is not None
        return self._free

    def matches(self) -> list[tuple[Carrier, NumberFormat]]:
        if self.bucket is None:
            return []
        return [cf for i, cf in enumerate(self.bucket.formats) if self.ok(i)]


def _fit(number: str, index: dict[tuple[int, str], _Bucket]) -> _Fit | None:
    """The fit of a normalised number (a candidate of :func:`_scan`), or None when no format (nor
    the S10 one) has its shape."""
    size = len(number)
    bucket = index.get((size, number[0]))
    if bucket is not None and bucket.any.fullmatch(number) is None:
        bucket = None
    s10 = _S10.pattern.fullmatch(number) if size == _S10_LENGTH else None
    return _Fit(number, bucket, s10) if bucket is not None or s10 is not None else None


def candidates(number: str) -> list[tuple[Carrier, NumberFormat]]:
    """Every (carrier, format) the number fits, check digit included, regardless of context."""
    norm = normalise_number(number)
    bucket = _index().get((len(norm), norm[0])) if norm else None
    return _Fit(norm, bucket, None).matches() if bucket is not None else []


def validate(carrier_code: str, number: str) -> bool:
    """True when ``number`` has one of the carrier's formats and its check digit (if any) passes.

    Raises :class:`~smartreturn.tracking.carriers.UnknownCarrier` for an unknown code.
    """
    carrier = get(carrier_code)
    norm = normalise_number(number)
    return any(f.match(norm) is not None for f in carrier.formats)


def confirmed(number: str, carrier_code: str | None = None) -> bool:
    """True when a format (with its check digit) confirms a number typed by the user: the named carrier's,
    or any carrier's when none (or one the registry lacks) is named. ``TrackingRef.verified`` of a number
    that no mail gave."""
    if carrier_code:
        try:
            return validate(carrier_code, number)
        except UnknownCarrier:
            pass
    return bool(candidates(number))


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
    fits: dict[str, _Fit | None] = {}   # one per distinct number of the text (an order number comes back)
    found: list[_Candidate] = []
    index = _index()
    for cand in _scan(text):
        number = cand.number
        fit = fits[number] if number in fits else fits.setdefault(number, _fit(number, index))
        if fit is not None:
            found.append(cand)
    if not found:
        return ()
    names, labels = _context_near(text, found)
    best: dict[str, Detected] = {}
    taken: list[tuple[int, int]] = []
    # Longest first: "1Z 999 AA1 01 2345 678 4" wins over the pieces inside it.
    for cand in sorted(found, key=_longest_first_key):
        if taken and _overlaps(cand, taken):
            continue
        judged = _judge(text, cand, fits[cand.number], hint_carrier, names, labels)
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


def _longest_first_key(cand: _Candidate) -> tuple[int, int]:
    return cand.start - cand.end, cand.start


def _overlaps(cand: _Candidate, taken: list[tuple[int, int]]) -> bool:
    start, end = cand.start, cand.end
    for s, e in taken:
        if s < end and start < e:
            return True
    return False


def _digits(s: str) -> int:
    return len(s) - len(s.translate(_NO_DIGITS))


def _scan(text: str) -> list[_Candidate]:
    """Every candidate: a whole token, or whole chunks of a spaced run, of a length some format has,
    with at least MIN_DIGITS digits."""
    found: list[_Candidate] = []
    add = found.append
    budget = [SPACED_BUDGET]
    size = len(text)
    first = _WORD_AT_START.match(text)
    words = list(_WORD.finditer(text, first.end() if first else 0))
    if first:
        words.insert(0, first)
    for m in words:
        if m.lastindex == 2:
            _add_token(found, m.group(2), m.start(2))
            continue
        run = m.group(1)
        start, end = m.span(1)
        lower_after = end < size and "a" <= text[end] <= "z"   # the last chunk begins a mixed-case word
        single_chunk = run.isalnum()
        if len(run) >= MIN_LENGTH:
            if single_chunk:                     # the usual case
                if not lower_after and len(run) <= refdata.MAX_LENGTH and (run.isdigit() or _digits(run) >= MIN_DIGITS):
                    add(_Candidate(start, end, run, False))
            elif _digits(run) >= MIN_DIGITS:
                found.extend(_spaced(text, start, end, lower_after, budget))
        if lower_after:
            last = start if single_chunk else start + max(run.rfind(" "), run.rfind("\t"), run.rfind("-")) + 1
            if (token := _TOKEN_AT.match(text, last)) is not None:
                _add_token(found, token.group(), last)
    return found


def _add_token(found: list[_Candidate], token: str, start: int) -> None:
    # mixed case (a token without lower-case letters is a run)
    if not token.isupper() and not token.isdigit() and _digits(token) >= MIN_DIGITS:
        found.append(_Candidate(start, start + len(token), token.upper(), False))


def _spaced(text: str, start: int, end: int, lower_after: bool, budget: list[int]) -> list[_Candidate]:
    """The candidates of a run of several chunks: each chunk, and chunks joined (``budget[0]`` of
    those per text at most)."""
    spans = [m.span() for m in _CHUNK.finditer(text, start, end)]
    if lower_after:
        spans.pop()
    pieces = [text[s:e] for s, e in spans]
    last = len(spans) - 1
    found: list[_Candidate] = []
    # A number spelled out one character at a time ("1 Z 8 V 9 2 …") is never cut inside: a
    # candidate starts and ends only where a chunk of two or more characters is on either side.
    if last > 0 and all(len(piece) == 1 for piece in pieces):   # spelled out: the whole run only
        joined = "".join(pieces)
        if MIN_LENGTH <= len(joined) <= refdata.MAX_LENGTH and budget[0] > 0:
            budget[0] -= 1
            if _digits(joined) >= MIN_DIGITS:
                found.append(_Candidate(spans[0][0], spans[-1][1], joined, True))
        return found
    sizes = [e - s for s, e in spans]
    digits = [size if piece.isdigit() else _digits(piece) for piece, size in zip(pieces, sizes)]
    single = [size == 1 for size in sizes]
    for i, (s, e) in enumerate(spans):
        if MIN_LENGTH <= sizes[i] <= refdata.MAX_LENGTH and digits[i] >= MIN_DIGITS:
            found.append(_Candidate(s, e, pieces[i], False))
        if last == 0 or i > 0 and single[i] and single[i - 1]:
            continue
        length, count = sizes[i], digits[i]
        for j in range(i + 1, last + 1):
            length += sizes[j]
            if budget[0] <= 0 or length > refdata.MAX_LENGTH:
                break
            count += digits[j]
            if length >= MIN_LENGTH and (j == last or not (single[j] and single[j + 1])):
                budget[0] -= 1
                if count >= MIN_DIGITS:
                    found.append(_Candidate(s, spans[j][1], "".join(pieces[i:j + 1]), True))
    return found


def _judge(
    text: str, cand: _Candidate, fit: _Fit, hint: Carrier | None, names: list[tuple[int, int, Carrier]],
    labels: list[_Label],
) -> Detected | None:
    start, end, number, spaced = cand
    # part of a price or amount ("+1234567890", "1.234567890", "1234567890,50"); cheap tests first
    if (start and text[start - 1] in _PRICE_MARKS and _PRICE_BEFORE.search(text, max(0, start - 2), start)
            or text[end:end + 1] in _PRICE_MARKS and _PRICE_AFTER.match(text, end)):
        return None
    s10 = None
    if fit.s10 is not None and not fit.matches():   # an S10 item counts only when no format takes it
        if not _S10.valid_match(fit.s10):
            return None
        s10 = fit.s10
    if number.isdigit() and (
        len(number) == 11 and _CN_MOBILE.fullmatch(number) or "+" in text[max(0, start - 8):start] and _phone_prefix(text, start)
    ):
        return None

    label_kind, label_immediate = _label(text, start, labels)
    if text[end:end + 1] in _LABEL_AFTER_FIRST and _LABEL_AFTER.match(text, end):
        label_kind, label_immediate = "other", True
    if s10 is not None:  # a post outside the registry: valid, carrier unknown
        if label_kind == "other" and label_immediate:
            return None
        entry = _S10.lookup(s10, "Courier")
        return Detected(number, None, 0.8, start, end, entry.get("courier") if entry else None)
    # Cheap refusals first (the full reading below would refuse the same): a number labelled right
    # before as an order/phone/... number, or one that only formats needing context could take while
    # a label says it is something else or none of their carriers is named.
    if label_kind == "other" and (label_immediate or not fit.free()):
        return None
    named = _named(names, start, end, hint)
    bucket: _Bucket = fit.bucket  # type: ignore[assignment]   # (no bucket: an S10 item, judged above)
    if bucket.codes.isdisjoint(named) and not fit.free():
        return None
    keyword = label_kind == "track" or _has_track_keyword(start, end, labels)

    # A carrier named nearby decides between formats (the nearest, then one that needs no context,
    # then registry order); a self-identifying format needs no name. A format is tried (regex, check
    # digit) only when it could be chosen. An ambiguous format with its carrier named: without a
    # check digit it also needs a tracking keyword; written with spaces it needs a keyword (with a
    # check digit) or a tracking label right before it (without one), so that the digit groups of a
    # phone number are not joined.
    immediate_track = label_kind == "track" and label_immediate
    context_ok = label_kind != "other" and not (
        number[:2] in ("19", "20") and number.isdigit() and _DATE_LIKE.fullmatch(number)
    ) and not (
        text[start - 1:start] in ("=", "/") and label_kind != "track"  # an id in a link ("?id=993311884477")
    )
    best: tuple[int, bool, int] | None = None     # (distance, needs context, index)
    for i, (code, needs_context, has_check) in enumerate(bucket.traits):
        distance = named.get(code)
        if distance is None:
            continue
        if needs_context and not (
            context_ok and ((keyword if has_check else immediate_track) if spaced else (has_check or keyword))
        ):
            continue
        key = (distance, needs_context, i)
        if (best is None or key < best) and fit.ok(i):
            best = key
    if best is not None:
        chosen = best[2]
    else:
        free = next((i for i in bucket.free_indices if fit.ok(i)), None)
        if free is None:
            return None
        chosen = free
    carrier, fmt = bucket.formats[chosen]
    if not fmt.needs_context:
        if label_kind == "other" and label_immediate:
            return None
        bonus = 0.05 if (keyword or carrier.code in named) else 0.0
        return Detected(number, carrier.code, round(min(0.99, fmt.confidence + bonus), 2), start, end)
    confidence = fmt.confidence + (0.2 if keyword else 0.0) + (0.1 if fmt.has_check else 0.0)
    return Detected(number, carrier.code, round(min(0.95, confidence), 2), start, end)


def _context_near(text: str, found: list[_Candidate]) -> tuple[list[tuple[int, int, Carrier]], list[_Label]]:
    """Carrier names and labels in the windows around the candidates (where the judge looks), read
    once per text: overlapping windows are merged."""
    windows: list[list[int]] = []
    size = len(text)
    for cand in found:  # in the order of their starts, as _scan finds them
        lo, hi = max(0, cand.start - _BEFORE - 40), min(size, cand.end + _AFTER + 40)
        if windows and lo <= windows[-1][1]:
            if hi > windows[-1][1]:
                windows[-1][1] = hi
        else:
            windows.append([lo, hi])
    if len(windows) == 1 and windows[0] == [0, size]:   # a short text: one window, no offsets
        return _context(text)
    names: list[tuple[int, int, Carrier]] = []
    labels: list[_Label] = []
    for lo, hi in windows:
        window_names, window_labels = _context(text[lo:hi])
        names.extend((s + lo, e + lo, c) for s, e, c in window_names)
        labels.extend(_Label(s + lo, e + lo, track) for s, e, track in window_labels)
    return names, labels


def _context(window: str) -> tuple[list[tuple[int, int, Carrier]], list[_Label]]:
    """Carrier names (:func:`~smartreturn.tracking.carriers.find_names`) and labels (what
    ``_LABELS.finditer`` finds) of a window, both from one pass of an Aho-Corasick automaton over the
    lower-cased window when lowering keeps its positions.

    The label regex is then only tried where a label's literal beginning occurs, left to right,
    skipping the positions inside a label already found: the same matches as finditer."""
    lowered = window.lower()
    if len(lowered) != len(window):
        return find_names(window), [
            _Label(m.start(), m.end(), m.group("track") is not None) for m in _LABELS.finditer(window)
        ]
    automaton, values = _context_automaton()
    name_hits: list[tuple[int, tuple[tuple[int, bool], ...]]] = []
    starts: set[int] = set()
    for i, start, end in overlapping_hits(automaton, lowered):
        rows, label = values[i]
        if rows:
            name_hits.append((end, rows))
        if label:
            starts.add(start)
    labels: list[_Label] = []
    pos = 0
    match = _LABELS_LOWER.match
    for start in sorted(starts):
        if start >= pos and (m := match(lowered, start)) is not None:
            pos = m.end()
            labels.append(_Label(start, pos, m.group("track") is not None))
    names = names_from_hits(window, lowered, name_hits) if lowers_in_place(window, lowered) else find_names(window)
    return names, labels


def _literal_prefixes(items: list) -> set[str]:  # type: ignore[type-arg]
    """Non-empty literal strings, one of which begins every match of a parsed regex sequence.

    ValueError when a match could begin otherwise (a class, a repeat, an empty alternative)."""
    prefix: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            prefix.append(chr(arg))
            continue
        if prefix:
            break
        if name == "SUBPATTERN":
            return _literal_prefixes(list(arg[-1]))
        if name == "BRANCH":
            return set().union(*(_literal_prefixes(list(branch)) for branch in arg[1]))
        raise ValueError(f"no literal start: {name}")
    if not prefix:
        raise ValueError("empty")
    return {"".join(prefix)}


@lru_cache(maxsize=1)
def _context_automaton() -> tuple[ahocorasick_rs.AhoCorasick, tuple[tuple[tuple[tuple[int, bool], ...], bool], ...]]:
    """One Aho-Corasick automaton for the carriers' name keys and the literal beginnings of the label
    alternatives ("track", "sendung", "运单", "tel"...; a label can only begin where one occurs), and
    for each of its patterns: ``(name rows or (), whether a label can begin there)``."""
    prefixes = _literal_prefixes(list(sre_parse.parse(_LABELS.pattern)))
    shortest = {p for p in prefixes if not any(p.startswith(o) for o in prefixes if o != p)}  # "track" covers "tracking"
    names = name_keys()
    patterns = sorted(names.keys() | shortest)
    return automaton(patterns), tuple((names.get(p, ()), p in shortest) for p in patterns)


def _phone_prefix(text: str, start: int) -> bool:
    """'+44 7700 900123' or '+49 (0)30 1234567890': an international prefix right before."""
    return _PHONE_PREFIX.search(text, max(0, start - 8), start) is not None


def _label(text: str, start: int, labels: list[_Label]) -> tuple[str | None, bool]:
    """Kind of the closest label before the number ('track' / 'other') and whether it is immediate."""
    last = None
    lowest = start - _LABEL_WINDOW
    for label in labels:
        if label.end > start:
            break
        if label.start >= lowest:
            last = label
    if last is None:
        return None, False
    return ("track" if last.track else "other"), _IMMEDIATE.match(text, last.end, start) is not None


def _has_track_keyword(start: int, end: int, labels: list[_Label]) -> bool:
    lowest, highest = start - _BEFORE, end + _AFTER
    for s, e, track in labels:
        if track and (lowest <= s and e <= start or end <= s and e <= highest):
            return True
    return False


def _named(names: list[tuple[int, int, Carrier]], start: int, end: int, hint: Carrier | None) -> dict[str, int]:
    """Carrier codes named near the number -> distance in characters (family members included)."""
    distances: dict[str, int] = {}
    for s, e, carrier in names:
        if e <= start:
            if start - e > _BEFORE:
                continue
            distance = start - e
        elif s >= end:
            if s - end > _AFTER:
                continue
            # a name after the number counts a little farther than one before it ("中通快递 运单号 …")
            distance = s - end + 10
        else:
            continue
        _note(distances, carrier.code, distance)
    if hint is not None:
        _note(distances, hint.code, 10_000)
    return distances


def _note(distances: dict[str, int], code: str, distance: int) -> None:
    if distance < distances.get(code, 1 << 30):
        distances[code] = distance
    for member in _FAMILY.get(code, ()):
        # a family member counts slightly farther than the carrier named itself
        if distance + 1 < distances.get(member, 1 << 30):
            distances[member] = distance + 1
