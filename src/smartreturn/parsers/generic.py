"""The generic extraction layer: what any shopping or carrier mail says, read without a template.

Every mail goes through it (see :func:`smartreturn.parsers.registry.extract`):

* **beneath a template parser** that produced records: it only *fills gaps* (:func:`fill_gaps`), never
  overrides a field the specific parser set: an order number the template did not find, the carrier
  of a tracking number the template left open, the refund amount of a refund event;
* **instead of a template parser** that identified the mail but produced nothing (its template
  changed): the mail is read here, so it degrades to a plainer record instead of being lost. The
  registry reports which parser failed (``Extraction.degraded_from``), the pipeline stores the mail as
  parsed *with that reason*, and ``parsers health`` still lists it: the drift alarm keeps ringing;
* **as a fallback** for mail no template parser knows (after schema.org markup, before the bare
  tracking-number detector).

What it reads, all from data: the sender's domain (``lexicon/senders.toml``: carriers and big shops),
the status the mail announces (``lexicon/<lang>.toml``: one lexicon per language, phrases for every
normalised status and return/refund event), numbers written after a label in any of those languages
("Tracking number", "Sendungsnummer", "numer przesyłki", "n° de suivi", "运单号", "お問い合わせ番号"),
numbers in links (carrier tracking links, ``orderId=``; links are read, never fetched) and amounts
with their currency.

Tracking numbers: a number the carrier's own mail labels as its tracking number is kept even when no
format or check digit confirms it (``TrackingRef.verified = False``); a labelled number in a shop's
mail is kept unverified only when the mail names its carrier. Free-text numbers must pass
:func:`smartreturn.tracking.detect.detect` (format and check digit). Pure: no I/O beyond the
packaged data files, no clock.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import ClassVar
from urllib.parse import parse_qs

import ahocorasick_rs

from smartreturn.first_chars import guarded, may_match, required_parts
from smartreturn.mail.message import Email
from smartreturn.model import PASTED_TEXT_SENDER, Event, EventKind, Money, ShipmentStatus, TrackingRef
from smartreturn.parsers.assertion import UNSPACED, first_asserted
from smartreturn.parsers.literal import alternation
from smartreturn.parsers.common_intl import (
    SOFT_NEGATIVE, body_text, carrier_code, find_money, find_tracking, sender_address, split_link,
    tracking_from_links,
)
from smartreturn.parsers.noise import looks_like_noise
from smartreturn.tracking.carriers import all_carriers, automaton, lowers_in_place, normalise_number, overlapping_hits
from smartreturn.tracking.detect import candidates, detect

__all__ = ["STATUS_ORDER", "GenericParser", "Reading", "fill_gaps", "lexicon_languages",
           "named_sender", "read", "sender_info"]


LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pl", "pt", "zh", "ja", "ko", "sv", "da", "nb", "fi", "cs", "ro", "hu", "el")

# Statuses in order of precedence when one text names several ("refund" beats "delivered": a refund
# mail often recalls the delivery; "delivered" beats "shipped": a delivery mail recalls the shipping).
STATUS_ORDER: tuple[tuple[str, EventKind, ShipmentStatus | None], ...] = (
    ("refund_issued", EventKind.REFUND_ISSUED, None),
    ("return_received", EventKind.RETURN_RECEIVED, None),
    ("return_rejected", EventKind.RETURN_REJECTED, None),
    ("return_approved", EventKind.RETURN_APPROVED, None),
    ("return_label", EventKind.RETURN_LABEL, None),
    ("return_shipped", EventKind.RETURN_SHIPPED, None),
    ("return_requested", EventKind.RETURN_REQUESTED, None),
    ("cancelled", EventKind.CANCELLED, None),
    ("returned_to_sender", EventKind.DELIVERY_EXCEPTION, ShipmentStatus.RETURNED_TO_SENDER),
    ("failed_attempt", EventKind.DELIVERY_EXCEPTION, ShipmentStatus.FAILED_ATTEMPT),
    ("pickup_ready", EventKind.PICKUP_READY, ShipmentStatus.PICKUP_READY),
    ("out_for_delivery", EventKind.OUT_FOR_DELIVERY, ShipmentStatus.OUT_FOR_DELIVERY),  # "delivered today"
    ("delivered", EventKind.DELIVERED, ShipmentStatus.DELIVERED),
    ("exception", EventKind.DELIVERY_EXCEPTION, ShipmentStatus.EXCEPTION),
    ("shipped", EventKind.SHIPPED, ShipmentStatus.IN_TRANSIT),
    ("in_transit", EventKind.SHIPPED, ShipmentStatus.IN_TRANSIT),
    ("info_received", EventKind.SHIPPED, ShipmentStatus.INFO_RECEIVED),
    ("order_placed", EventKind.ORDER_PLACED, None),
)
# Statuses that count only where a clause asserts them (parsers/assertion.py): a question, a promise or a
# denial of a refund is no refund, and "once we have received your return" starts no refund clock.
ASSERTED_STATUSES = frozenset({"refund_issued", "return_received"})
_PARCEL_KINDS = frozenset({EventKind.SHIPPED, EventKind.OUT_FOR_DELIVERY, EventKind.PICKUP_READY,
                           EventKind.DELIVERED, EventKind.DELIVERY_EXCEPTION, EventKind.RETURN_SHIPPED,
                           EventKind.RETURN_LABEL, EventKind.RETURN_RECEIVED})
# A return's parcel (label issued, approved with a pickup booked, shipped back, received) goes back.
_RETURN_KINDS = frozenset({EventKind.RETURN_APPROVED, EventKind.RETURN_LABEL, EventKind.RETURN_SHIPPED,
                           EventKind.RETURN_RECEIVED})
_HEAD = 3000
_MAX_BODY = 20_000  # what a notification says is in its first screens; caps the work on hostile mail


# --------------------------------------------------------------------------- data

@dataclass(frozen=True, slots=True)
class Lexicon:
    status: dict[str, re.Pattern[str]]      # status -> one regex of literal phrases, all languages
    labels: dict[str, str]                  # label kind -> regex alternation of literal labels
    lure: re.Pattern[str]                   # what phishing asks for: "confirm your address", "pay the fee"
    phrases: dict[str, frozenset[str]]      # status -> its phrases, lower-cased (what its regex is made of)


def _phrases_regex(phrases: list[str]) -> str:
    """Literal phrases, longest first; Latin words on word boundaries, Han, kana and Hangul phrases anywhere
    (Korean joins its endings to the word: "배송 완료되었습니다")."""
    return alternation(phrases, UNSPACED)


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    status: dict[str, list[str]] = {}
    labels: dict[str, list[str]] = {}
    lure: list[str] = []
    folder = resources.files("smartreturn.parsers") / "lexicon"
    for lang in LANGUAGES:
        data = tomllib.loads((folder / f"{lang}.toml").read_text(encoding="utf-8"))
        for key, phrases in data.get("status", {}).items():
            status.setdefault(key, []).extend(phrases)
        for key, phrases in data.get("labels", {}).items():
            labels.setdefault(key, []).extend(phrases)
        lure.extend(data.get("signals", {}).get("lure", []))
    unknown = set(status) - {name for name, _, _ in STATUS_ORDER}
    if unknown:
        raise ValueError(f"lexicon names unknown statuses: {sorted(unknown)}")
    return Lexicon(
        {key: re.compile(_phrases_regex(phrases), re.IGNORECASE) for key, phrases in status.items()},
        {key: "|".join(re.escape(p) for p in sorted(set(phrases), key=len, reverse=True))
         for key, phrases in labels.items()},
        re.compile(_phrases_regex(lure), re.IGNORECASE),
        {key: frozenset(p.lower() for p in phrases if p.strip()) for key, phrases in status.items()},
    )


@lru_cache(maxsize=1)
def _status_automaton() -> tuple[ahocorasick_rs.AhoCorasick, tuple[frozenset[str], ...]]:
    """An Aho-Corasick automaton over every status phrase (lower-cased), and the statuses of each."""
    owners: dict[str, set[str]] = {}
    for status, phrases in lexicon().phrases.items():
        for phrase in phrases:
            owners.setdefault(phrase, set()).add(status)
    keys = sorted(owners)
    return automaton(keys), tuple(frozenset(owners[k]) for k in keys)


def _statuses_in(text: str) -> frozenset[str] | None:
    """The statuses whose regex could match somewhere in ``text``: those one of whose phrases occurs in
    the lower-cased text (a case-insensitive match of a literal phrase is that phrase once lowered);
    None when lowering moves positions or ``text`` holds a character that matches an ASCII letter
    case-insensitively without lowering to it (then every status is tried)."""
    lowered = text.lower()
    if not lowers_in_place(text, lowered):
        return None
    automaton, owners = _status_automaton()
    found: set[str] = set()
    for i, _start, _end in overlapping_hits(automaton, lowered):
        found |= owners[i]
    return frozenset(found)


def lexicon_languages() -> tuple[str, ...]:
    return LANGUAGES


@dataclass(frozen=True, slots=True)
class Sender:
    domain: str
    carrier: str | None     # tracking.carriers code (None: a shop, or a carrier the registry lacks)
    platform: str           # "ups", "walmart", or the sender's domain for a shop we do not list
    name: str
    is_carrier: bool


@lru_cache(maxsize=1)
def _senders() -> dict[str, Sender]:
    data = tomllib.loads((resources.files("smartreturn.parsers") / "lexicon" / "senders.toml").read_text(encoding="utf-8"))
    registered = {c.code for c in all_carriers()}
    table: dict[str, Sender] = {}
    for domain, row in data["carriers"].items():
        code = row["carrier"] or None
        if code is not None and code not in registered:
            raise ValueError(f"senders.toml: {domain} names unknown carrier {code!r}")
        slug = code or re.sub(r"[^a-z0-9]+", "_", row["name"].lower()).strip("_")
        table[domain] = Sender(domain, code, slug, row["name"], True)
    for domain, row in data["merchants"].items():
        table[domain] = Sender(domain, None, row["platform"], row["name"], False)
    return table


@lru_cache(maxsize=1)
def _sender_names() -> tuple[re.Pattern[str], dict[str, Sender]]:
    # names as the brands write them ("Amazon", "FedEx", "Royal Mail") or in capitals: case matters, so chat
    # about "the next one" or "ups and downs" names no shop
    by_name: dict[str, Sender] = {}
    for sender in _senders().values():
        for written in (sender.name, sender.name.upper()):
            if len(written) >= 3:
                by_name.setdefault(written, sender)
    names = sorted(by_name, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w.@])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w@])")
    return pattern, by_name


_LINK_DOMAIN = re.compile(r"(?<![\w@.-])(?:https?://)?((?:[a-z0-9-]{1,63}\.){1,4}[a-z]{2,12})(?=[/?#]|\s|$)", re.IGNORECASE)


def named_sender(text: str) -> Sender | None:
    """The shop or carrier a text names: by a link to its domain, else by its name ("Amazon", "FedEx").
    For pasted SMS, which come from no sender we can look up."""
    for m in _LINK_DOMAIN.finditer(text):
        found = sender_info("x@" + m.group(1))
        if found is not None:
            return found
    pattern, by_name = _sender_names()
    m = pattern.search(text)
    return by_name[m.group(0)] if m else None


def sender_info(address: str) -> Sender | None:
    """Who sends from this address (its domain or a parent domain in the table), else None."""
    domain = address.rpartition("@")[2].lower().strip(">. ")
    table = _senders()
    while domain:
        if domain in table:
            return table[domain]
        _, _, domain = domain.partition(".")
        if "." not in domain:
            return table.get(domain)
    return None


# --------------------------------------------------------------------------- reading

@dataclass(frozen=True, slots=True)
class Reading:
    status: str | None
    from_subject: bool          # the subject states the status (not only the body)
    kind: EventKind | None
    shipment_status: ShipmentStatus | None
    order_number: str | None
    tracking: tuple[TrackingRef, ...]
    pickup_code: str | None
    amount: Money | None
    sender: Sender | None


# a value holds a digit: "Vielen Dank für Ihre Bestellung\nBestellnummer: 123" is not order "Bestellnummer"
_ORDER_VALUE = r"#?\s*+(?=[A-Z0-9_/-]{0,40}\d)([A-Z0-9](?:[A-Z0-9]|[-_/](?=[A-Z0-9])){3,39})"
_PICKUP_VALUE = r"([A-Z0-9](?:[A-Z0-9]|-(?=[A-Z0-9])){2,15})"
_NUMBER_WORD = r"(?:\s*+(?:no\.?|nr\.?|number|nummer|n[°º]\.?|#))?"
_ORDER_LINK_KEYS = frozenset(("orderid", "order_id", "ordernumber", "order_number", "orderno", "order_no", "ordernr"))
# "shipped via DTDC (R21474677)", "shipped via Fedex/AFL (782635055430)": a carrier, then its number in brackets
_VIA_CARRIER = re.compile(r"\b(?:via|by|with)\s+([A-Za-z][\w&./-]{1,25})\s*+\(\s*+([A-Z0-9]{8,30})\s*+\)", re.IGNORECASE)
_HREF = re.compile(r"""href\s*=\s*+["']([^"'\s]{1,2000})["']""", re.IGNORECASE)
_DATE_LIKE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")


@lru_cache(maxsize=1)
def _label_res() -> dict[str, re.Pattern[str]]:
    labels = lexicon().labels
    # a label may stand in brackets: "[受注番号] 123456-20261201-0123456789", "【订单号】"
    head = r"(?<![^\W\d_])(?:{})" + _NUMBER_WORD + r"[\]】]?\s*+(?:is|ist|est|es|è|:|：|#|-)?\s*+[:：]?\s*"
    return {
        "order": guarded(head.format(labels["order"]) + _ORDER_VALUE, re.IGNORECASE),
        "pickup_code": guarded(head.format(labels["pickup_code"]) + _PICKUP_VALUE, re.IGNORECASE),
    }


def _phrase(name: str, pat: re.Pattern[str], text: str) -> re.Match[str] | None:
    """The first phrase of status ``name`` in ``text``; for a status that claims money moved, the first one
    its clause asserts ("Amazon refunded to your card?", "will be credited", "noch nicht erstattet" do not)."""
    return first_asserted(pat, text) if name in ASSERTED_STATUSES else pat.search(text)


def _status(subject: str, body: str) -> tuple[str | None, bool]:
    """The status the subject names (by precedence), else the body opening's earliest phrase;
    and whether it came from the subject."""
    pats = lexicon().status
    head = body[:_HEAD]
    # Only statuses with one of their phrases in the text are searched (each regex scans the whole
    # text when it finds nothing: 18 scans of up to 3,000 characters a mail).
    present = _statuses_in(f"{subject}\n{head}")
    if present is not None:
        pats = {name: pat for name, pat in pats.items() if name in present}
    for name, _, _ in STATUS_ORDER:
        pat = pats.get(name)
        if pat is not None and _phrase(name, pat, subject):
            return name, True
    best: tuple[int, int, str] | None = None
    for order, (name, _, _) in enumerate(STATUS_ORDER):
        pat = pats.get(name)
        m = _phrase(name, pat, head) if pat is not None else None
        if m and (best is None or (m.start(), order) < best[:2]):
            best = (m.start(), order, name)
    return (best[2] if best else None), False


@lru_cache(maxsize=4)
def _label_parts(kind: str) -> frozenset[str] | None:
    """What a text must hold (lower-cased) for the labelled-field regex of ``kind`` to match."""
    return required_parts(lexicon().labels[kind], re.IGNORECASE)


def _order_number(text: str, html: str | None) -> str | None:
    lowered = text.lower()
    for m in _label_res()["order"].finditer(text) if may_match(_label_parts("order"), text, lowered) else ():
        value = m.group(1).strip("-_/")
        if sum(ch.isdigit() for ch in value) >= 4 and not _DATE_LIKE.fullmatch(value):
            return value
    for m in _HREF.finditer(html or ""):
        url = split_link(m.group(1))
        for key, values in (parse_qs(url.query) if url is not None else {}).items():
            if key.lower() in _ORDER_LINK_KEYS:
                value = values[0].strip()
                if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9\-]{3,39}", value) and sum(ch.isdigit() for ch in value) >= 4:
                    return value
    return None


def _pickup_code(text: str) -> str | None:
    m = _label_res()["pickup_code"].search(text) if may_match(_label_parts("pickup_code"), text, text.lower()) else None
    if m and any(ch.isdigit() for ch in m.group(1)):
        return m.group(1)
    return None


def _tracking(text: str, html: str | None, sender: Sender | None) -> tuple[TrackingRef, ...]:
    hint = sender.carrier if sender is not None else None
    named = carrier_code(text[:_HEAD])
    named = named if named in {c.code for c in all_carriers()} else None
    refs: dict[str, TrackingRef] = {}
    for found in detect(text, hint=hint, min_confidence=0.65):
        refs.setdefault(found.number, TrackingRef(found.number, found.carrier or hint or named))
    labelled = find_tracking(text, _tracking_labels())
    if named is not None:  # "shipped via DTDC (R21474677)": the number in brackets after the carrier named
        for m in _VIA_CARRIER.finditer(text[:_HEAD]):
            number = normalise_number(m.group(2))
            if carrier_code(m.group(1)) == named and number not in labelled:
                labelled.append(number)
    linked = [n for n, _ in tracking_from_links(html)]
    for number in [*labelled, *linked]:
        number = normalise_number(number)
        if number in refs or not _plausible(number):
            continue
        # a format confirms a number only where it stands alone, or its carrier is the sender or named
        fits = [c.code for c, f in candidates(number) if not f.needs_context or c.code in (hint, named)]
        if fits:  # a format fits: the carrier is the sender's or the one named, else the only fit
            carrier = next((c for c in (hint, named) if c in fits), fits[0] if len(set(fits)) == 1 else None)
            refs[number] = TrackingRef(number, carrier)
        elif sender is not None and sender.is_carrier:
            refs[number] = TrackingRef(number, hint, verified=False)   # the carrier's own word for it
        elif named is not None and number in labelled:
            refs[number] = TrackingRef(number, named, verified=False)  # a shop's label + the carrier it names
    return tuple(refs.values())


def _plausible(number: str) -> bool:
    digits = sum(ch.isdigit() for ch in number)
    return 8 <= len(number) <= 35 and digits >= 6 and not _DATE_LIKE.fullmatch(number)


@lru_cache(maxsize=1)
def _tracking_labels() -> str:
    return lexicon().labels["tracking"]


# "kr" is the Swedish krona unless the sender's country says Danish or Norwegian krone
_KRONE_BY_TLD = {"dk": "DKK", "no": "NOK"}


@lru_cache(maxsize=8)
def _read(from_addr: str, subject: str, html: str | None, body: str) -> Reading:
    body = body[:_MAX_BODY]
    text = f"{subject}\n{body}"
    sender = sender_info(from_addr)
    status, from_subject = _status_of(subject, body[:_HEAD])
    kind, shipment_status = None, None
    for name, k, s in STATUS_ORDER:
        if name == status:
            kind, shipment_status = k, s
    amount = None
    currency = _KRONE_BY_TLD.get(from_addr.rpartition(".")[2].lower().strip(">. "), "USD")
    if kind is EventKind.REFUND_ISSUED:
        amount = find_money(text, lexicon().labels["refund"], currency)
    elif kind is EventKind.ORDER_PLACED:
        amount = find_money(text, lexicon().labels["total"], currency)
    return Reading(status, from_subject, kind, shipment_status, _order_of(subject, html, body), _tracking(text, html, sender),
                   _pickup_code(text), amount, sender)


@lru_cache(maxsize=8)
def _status_of(subject: str, head: str) -> tuple[str | None, bool]:
    """:func:`_status` (which reads the subject and the body's first ``_HEAD`` characters only), cached:
    the generic parser's identify() asks it first and reads the rest only when it names a status."""
    return _status(subject, head)


def subject_kind(subject: str) -> EventKind | None:
    """The event kind ``subject`` names in any language of the lexicons: what a template parser falls back
    on when its own phrases (English and German, mostly) say nothing, as in a marketplace's other
    languages ("Tu pedido ha sido enviado", "Je bestelling is geannuleerd"). The callers have already cut
    the forward prefixes (common_intl.classify, amazon)."""
    status, from_subject = _status_of(subject or "", "")
    if status is None or not from_subject:
        return None
    return next(kind for name, kind, _ in STATUS_ORDER if name == status)



def _kind_of(email: Email) -> EventKind | None:
    """``read(email).kind`` without the rest of the reading (tracking numbers, order number, amounts)."""
    status, _ = _status_of(email.subject or "", body_text(email)[:_HEAD])
    return next((kind for name, kind, _ in STATUS_ORDER if name == status), None)


@lru_cache(maxsize=8)
def _order_of(subject: str, html: str | None, body: str) -> str | None:
    """The order number of the generic reading (``body`` already cut to ``_MAX_BODY``)."""
    return _order_number(f"{subject}\n{body}", html)


def read(email: Email) -> Reading:
    """What the generic layer reads in a mail (cached: identify, extract and fill_gaps share it)."""
    return _read(sender_address(email), email.subject or "", email.html, body_text(email))


# --------------------------------------------------------------------------- the parser

@lru_cache(maxsize=1)
def _template_names() -> frozenset[str]:
    from smartreturn.parsers.registry import load_parsers

    return frozenset(p.name for p in load_parsers() if not getattr(p, "fallback", False))


def registry_sender(email: Email) -> bool:
    """True when a registered template parser lists this mail's sender as its own."""
    from smartreturn.parsers.registry import known_sender  # the registry imports this module

    return known_sender(email) is not None


class GenericParser:
    """Fallback parser over the generic reading (see the module docstring)."""

    name: ClassVar[str] = "generic"
    version: ClassVar[int] = 2  # 2: a refund or return receipt counts only where asserted; country domains name the shop
    fallback: ClassVar[bool] = True
    senders: ClassVar[tuple[str, ...]] = ()

    def identify(self, email: Email) -> bool:
        if looks_like_noise(email) or SOFT_NEGATIVE.search(email.subject or ""):
            return False  # promotions, newsletters, one-time codes, review and rating requests
        if _kind_of(email) is None:  # what read(email).kind says, without detect() over the whole text
            return False
        reading = read(email)  # its kind is _kind_of's (the same status of the same subject and head)
        if reading.sender is not None and not reading.sender.is_carrier and reading.sender.platform in _template_names():
            return False  # a shop with its own template parser: that parser decides what is transactional
        if registry_sender(email) and not reading.from_subject:
            # a template parser's sender it did not claim: only a status its subject states counts
            # (its body may recall an order in a security-code, bidding or message mail)
            return False
        has_number = bool(reading.tracking or reading.order_number or reading.pickup_code)
        if reading.sender is not None:
            return has_number
        if _lure_without_own_link(email):
            return False  # "confirm your address / pay the fee here" behind a link that is no carrier's: phishing
        if _pasted(email) and (_names_its_source(email, reading) or (
                reading.kind is EventKind.PICKUP_READY and reading.pickup_code is not None)):
            # a pasted SMS comes from no sender we can look up and often names no number ("Delivered:
            # Your package with … was delivered"): it is read when it names the shop or carrier it
            # comes from, opens with its status as a headline ("Dispatched: …"), as notices do, or
            # gives a labelled pickup code for a parcel that waits ("Paczka czeka … Kod odbioru 654321")
            return True
        # an unknown sender: a verified tracking number, or an order number with an order/return event
        return any(ref.verified for ref in reading.tracking) or (
            reading.order_number is not None and reading.kind not in _PARCEL_KINDS)

    def extract(self, email: Email) -> list[Event]:
        if not self.identify(email):
            return []
        return [_event(email, read(email))]


def _pasted(email: Email) -> bool:
    return sender_address(email) == PASTED_TEXT_SENDER


def _lure_without_own_link(email: Email) -> bool:
    """True when a text from no known sender asks for an address, data or a fee (``[signals] lure`` in
    the lexicons) and links to no domain of a carrier or shop we know: the parcel-phishing pattern
    ("Das DHL-Paket … Bitte bestätigen Sie Ihre Adresse … https://dhl-postcd.top/track")."""
    text = f"{email.subject or ''}\n{body_text(email)[:_HEAD]}"
    if not lexicon().lure.search(text):
        return False
    return not any(sender_info("x@" + m.group(1)) is not None for m in _LINK_DOMAIN.finditer(text))


def _names_its_source(email: Email, reading: Reading) -> bool:
    body = body_text(email)[:_HEAD]
    return _headline(body, reading.status) or named_sender(f"{email.subject or ''}\n{body}") is not None


def _headline(body: str, status: str | None) -> bool:
    """True when ``body`` opens with the phrase of ``status`` followed by a colon ("Delivered: …")."""
    pat = lexicon().status.get(status or "")
    text = body.lstrip()
    m = pat.match(text) if pat is not None else None
    return m is not None and (m.group(0).endswith(":") or text[m.end():m.end() + 2].lstrip().startswith(":"))


def _event(email: Email, reading: Reading) -> Event:
    assert reading.kind is not None
    sender = reading.sender
    if sender is None and _pasted(email):
        sender = named_sender(f"{email.subject or ''}\n{body_text(email)[:_HEAD]}")
    platform = sender.platform if sender is not None else _domain_platform(sender_address(email))
    merchant = sender.name if sender is not None and not sender.is_carrier and sender.name else None
    tracking = reading.tracking if reading.kind in _PARCEL_KINDS | _RETURN_KINDS else ()
    if reading.kind in _RETURN_KINDS:
        tracking = tuple(dataclasses.replace(t, direction=t.direction.RETURN) for t in tracking)
    return Event(
        kind=reading.kind,
        platform=platform,
        order_number=reading.order_number,
        merchant=merchant,
        occurred_at=email.received,
        tracking=tracking,
        shipment_status=reading.shipment_status if tracking else None,
        pickup_code=reading.pickup_code if reading.kind is EventKind.PICKUP_READY else None,
        refund_amount=reading.amount if reading.kind is EventKind.REFUND_ISSUED else None,
        total=reading.amount if reading.kind is EventKind.ORDER_PLACED else None,
    )


# second-level labels under which country domains register shops ("shop.co.uk", "shop.com.cn", "shop.com.au")
_SECOND_LEVEL = frozenset(("co", "com", "net", "org", "ac", "ne", "or", "gov", "edu"))


def _domain_platform(address: str) -> str:
    """A shop we do not list is named by its registered domain: "mailer.shop.co.uk" -> "shop.co.uk"."""
    domain = address.rpartition("@")[2].lower()
    parts = [p for p in domain.split(".") if p]
    keep = 3 if len(parts) >= 3 and len(parts[-1]) == 2 and parts[-2] in _SECOND_LEVEL else 2
    return ".".join(parts[-keep:]) if len(parts) >= 2 else (domain or "unknown")


def fill_gaps(events: list[Event], email: Email) -> list[Event]:
    """A template parser's events with the gaps the generic reading can fill; set fields stay."""
    if not events:
        return events
    wants_order = len(events) == 1 and events[0].order_number is None
    if not any(ref.carrier is None for event in events for ref in event.tracking) and not any(
            event.kind is EventKind.REFUND_ISSUED and event.refund_amount is None for event in events):
        # only the order number can be missing: read that alone, not the status, numbers and amounts
        if not wants_order:
            return events
        order = _order_of(email.subject or "", email.html, body_text(email)[:_MAX_BODY])
        return [dataclasses.replace(events[0], order_number=order)] if order is not None else events
    reading = read(email)
    carriers = {ref.number: ref.carrier for ref in reading.tracking if ref.carrier and ref.verified}
    out = []
    for event in events:
        changes: dict[str, object] = {}
        if event.order_number is None and reading.order_number is not None and wants_order:
            changes["order_number"] = reading.order_number
        if any(ref.carrier is None and ref.number in carriers for ref in event.tracking):
            changes["tracking"] = tuple(
                dataclasses.replace(ref, carrier=carriers[ref.number]) if ref.carrier is None and ref.number in carriers
                else ref for ref in event.tracking)
        if event.kind is EventKind.REFUND_ISSUED and event.refund_amount is None and reading.amount is not None:
            changes["refund_amount"] = reading.amount
        out.append(dataclasses.replace(event, **changes) if changes else event)
    return out
