"""Shared machinery of the international carrier mail parsers (UPS, FedEx, USPS, DHL, Royal Mail).

A carrier parser declares its senders and a list of :class:`Rule` (status phrases in its language
and templates); this module reads the mail: which status it announces, which tracking numbers it
names (validated by :mod:`smartreturn.tracking.detect`), whether the parcel is a customer's return,
the expected delivery date and the event time. Pure text work, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import ClassVar

from dateutil import parser as dateparser

from smartreturn.mail.html import html_to_text
from smartreturn.mail.message import Email
from smartreturn.model import Direction, Event, EventKind, ShipmentStatus, TrackingRef
from smartreturn.parsers.common_intl import sender_address, tracking_from_links
from smartreturn.tracking.detect import Detected, detect

__all__ = ["CarrierMailParser", "Rule", "body_text", "rule"]


@dataclass(frozen=True, slots=True)
class Rule:
    kind: EventKind
    status: ShipmentStatus
    pattern: re.Pattern[str]


def rule(kind: EventKind, status: ShipmentStatus, pattern: str) -> Rule:
    return Rule(kind, status, re.compile(pattern, re.IGNORECASE))


# Phrases every carrier shares, most specific first. Carrier parsers put their own before these.
COMMON_RULES: tuple[Rule, ...] = (
    rule(EventKind.DELIVERY_EXCEPTION, ShipmentStatus.RETURNED_TO_SENDER,
         r"(?<!being )(?<!be )returned to (?:the )?sender|wurde an den Absender zurück(?:gesendet|geschickt)|"
         r"zurück an den Absender gegangen"),
    rule(EventKind.DELIVERY_EXCEPTION, ShipmentStatus.RETURNING,
         r"return(?:ing)? to (?:the )?sender|being returned to|Rücksendung an den Absender|"
         r"wird an den Absender zurückgesendet"),
    rule(EventKind.DELIVERY_EXCEPTION, ShipmentStatus.FAILED_ATTEMPT,
         r"delivery attempt(?:ed)?|attempted delivery|we missed you|sorry we missed|"
         r"Zustellversuch|konnte(?: heute)? nicht zugestellt werden|nicht angetroffen"),
    rule(EventKind.DELIVERY_EXCEPTION, ShipmentStatus.EXCEPTION,
         r"delivery exception|exception|delivery (?:is )?delayed|Verzögerung|Zustellhindernis"),
    rule(EventKind.DELIVERED, ShipmentStatus.DELIVERED,
         r"(?:was|has been|were|have been) delivered|(?<!be )\bdelivered\b|wurde(?:n)? zugestellt|"
         r"ist zugestellt|erfolgreich zugestellt|Zustellung erfolgt|an (?:Ihre[nr]? )?Nachbar\w* übergeben|"
         r"(?:beim|bei Ihrem) Nachbarn abgegeben|am (?:Wunsch)?ablageort abgelegt"),
    rule(EventKind.PICKUP_READY, ShipmentStatus.PICKUP_READY,
         r"ready (?:for|to) (?:pick[\s-]?up|collect(?:ion)?)|available for pick[\s-]?up|"
         r"held at (?:the )?(?:post office|access point)|waiting for you at|zur Abholung bereit|"
         r"abholbereit|liegt in (?:der|Ihrer) (?:Packstation|Filiale)"),
    rule(EventKind.OUT_FOR_DELIVERY, ShipmentStatus.OUT_FOR_DELIVERY,
         r"out for delivery|(?:scheduled for|arriving) (?:delivery )?today|delivery today|"
         r"(?:to|will) be delivered today|delivering (?:your (?:parcel|package|item) )?today|"
         r"kommt heute|wird heute zugestellt|heute zugestellt|wird Ihnen heute|in Zustellung|Zustellung heute"),
    rule(EventKind.RETURN_LABEL, ShipmentStatus.INFO_RECEIVED,
         r"return label|Rücksendeetikett|Retourenlabel|Retourenschein|Rücksendeschein"),
    rule(EventKind.SHIPPED, ShipmentStatus.INFO_RECEIVED,
         r"label (?:has been )?created|shipment information received|ship notification|"
         r"elektronisch angekündigt|Sendungsdaten (?:wurden )?übermittelt"),
    rule(EventKind.SHIPPED, ShipmentStatus.IN_TRANSIT,
         r"on (?:its|the) way|in transit|scheduled (?:for )?delivery|expected delivery|has shipped|"
         r"new delivery date|delivery date (?:has )?(?:changed|been updated)|rescheduled|picked up|"
         r"is coming|ist unterwegs|kommt (?:bald|morgen|am)|wurde verschickt|versandt|auf dem Weg|"
         r"an DHL übergeben|neuer Zustelltermin"),
)

# A customer's own return parcel (not a parcel the carrier sends back to the shipper).
_RETURN = re.compile(
    r"return label|return shipment|your return|return package|"
    r"Rücksendeetikett|Retourenlabel|Ihre Retoure|Ihre Rücksendung|Retoure an|Rücksendung an (?!den Absender)",
    re.IGNORECASE,
)
_TO_SENDER = re.compile(r"(?:return(?:ed|ing)?|zurück\w{0,20}) (?:to|an) (?:the |den )?(?:sender|Absender)", re.IGNORECASE)

_RETURN_KIND = {
    EventKind.SHIPPED: EventKind.RETURN_SHIPPED,
    EventKind.OUT_FOR_DELIVERY: EventKind.RETURN_SHIPPED,
    EventKind.DELIVERED: EventKind.RETURN_RECEIVED,
}

_GERMAN_MONTHS = {
    "januar": "January", "jänner": "January", "februar": "February", "märz": "March", "april": "April",
    "mai": "May", "juni": "June", "juli": "July", "august": "August", "september": "September",
    "oktober": "October", "november": "November", "dezember": "December",
}
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|januar|jänner|februar|märz|mai|juni|"
    r"juli|oktober|dezember)"
)
_DATE = re.compile(
    rf"\d{{1,2}}/\d{{1,2}}/\d{{2,4}}|\d{{1,2}}\.\d{{1,2}}\.(?:\d{{2,4}})?|\d{{4}}-\d{{2}}-\d{{2}}|"
    rf"{_MONTH}\.? \d{{1,2}}(?:st|nd|rd|th)?,? ?(?:\d{{4}})?|\d{{1,2}}(?:st|nd|rd|th)?\.? {_MONTH}\.?,? ?(?:\d{{4}})?",
    re.IGNORECASE,
)
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})\s*(a\.?m\.?|p\.?m\.?|Uhr)?", re.IGNORECASE)
_TODAY = re.compile(r"\btoday\b|\bheute\b", re.IGNORECASE)
_TOMORROW = re.compile(r"\btomorrow\b|\bmorgen\b", re.IGNORECASE)


@lru_cache(maxsize=16)
def _readable(subject: str, html: str | None, text: str) -> str:
    body = html_to_text(html) if html else ""
    if not body.strip():
        body = text or ""
    return f"{subject}\n{body}"


def body_text(email: Email) -> str:
    """Subject and readable body (the HTML part as lines when there is one); cached for identify+extract."""
    return _readable(email.subject, email.html, email.text)


def parse_date(raw: str, received: datetime, *, dayfirst: bool) -> date | None:
    """A date as carriers write it ('Tuesday, 11/25/2026', '26.11.2026', '25 November'), year from the mail."""
    text = raw.strip().rstrip(",")
    for german, english in _GERMAN_MONTHS.items():
        text = re.sub(rf"\b{german}\b", english, text, flags=re.IGNORECASE)
    text = re.sub(r"(\d)\.(?= ?[A-Za-z])", r"\1", text)  # "26. November" -> "26 November"
    if re.fullmatch(r"\d{1,2}\.\d{1,2}\.", text):
        text = text + str(received.year)
    try:
        default = received.replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
        return dateparser.parse(text, default=default, dayfirst=dayfirst or "." in text).date()
    except (ValueError, OverflowError):
        return None


def labelled_date(text: str, labels: str, received: datetime, *, dayfirst: bool) -> date | None:
    """The date written after a label ('Scheduled Delivery:', 'Voraussichtliche Zustellung:')."""
    m = re.search(rf"(?:{labels})[^\n\d]{{0,40}}?(?:\n[^\n\d]{{0,20}})?({_DATE.pattern})", text, re.IGNORECASE)
    if m:
        return parse_date(m.group(1), received, dayfirst=dayfirst)
    m = re.search(rf"(?:{labels})[^\n]{{0,40}}", text, re.IGNORECASE)
    if m and _TODAY.search(m.group()):
        return received.date()
    if m and _TOMORROW.search(m.group()):
        return received.date() + timedelta(days=1)
    return None


def labelled_datetime(text: str, labels: str, received: datetime, *, dayfirst: bool) -> datetime | None:
    """Date and optional time after a label, in the mail's own time zone (carriers write local time)."""
    m = re.search(rf"(?:{labels})[:\s]*([^\n]{{0,60}})", text, re.IGNORECASE)
    if not m:
        return None
    rest = m.group(1)
    day: date | None = None
    d = _DATE.search(rest)
    if d:
        day = parse_date(d.group(), received, dayfirst=dayfirst)
        rest = rest[:d.start()] + " " + rest[d.end():]
    elif _TODAY.search(rest):
        day = received.date()
    if day is None:
        return None
    hour = minute = 0
    t = _TIME.search(rest)
    if t:
        hour, minute = int(t.group(1)), int(t.group(2))
        meridiem = (t.group(3) or "").lower().replace(".", "")
        if meridiem == "pm" and hour < 12:
            hour += 12
        elif meridiem == "am" and hour == 12:
            hour = 0
        if hour > 23 or minute > 59:
            hour = minute = 0
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=received.tzinfo)


def classify(subject: str, body: str, rules: Sequence[Rule]) -> Rule | None:
    """The status the mail announces.

    The subject decides when it names one (rules in order of precedence). Otherwise the body's
    earliest status phrase: the headline comes before history tables and footers ("Simply delivered").
    """
    for r in rules:
        if r.pattern.search(subject):
            return r
    best: tuple[int, int, Rule] | None = None
    for order, r in enumerate(rules):
        m = r.pattern.search(body)
        if m and (best is None or (m.start(), order) < best[:2]):
            best = (m.start(), order, r)
    return best[2] if best else None


def is_return(text: str) -> bool:
    cleaned = _TO_SENDER.sub(" ", text)
    return _RETURN.search(cleaned) is not None


class CarrierMailParser:
    """Base of a carrier's mail parser: subclasses set the class variables below."""

    name: ClassVar[str]
    version: ClassVar[int] = 1
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ()
    carrier: ClassVar[str]                       # default carrier code of the sender's numbers
    rules: ClassVar[tuple[Rule, ...]] = COMMON_RULES
    dayfirst: ClassVar[bool] = False
    expected_labels: ClassVar[str] = (
        r"scheduled delivery(?: date)?|estimated delivery(?: date)?|expected delivery(?: date)?|"
        r"scheduled for delivery(?: on)?|expected (?:on|by)|arriving(?: on| by)?|delivery date"
    )
    occurred_labels: ClassVar[str] = r"delivered on|delivered at|delivery date|date delivered|delivered:"

    # --- hooks -------------------------------------------------------------------------------
    def carrier_for(self, email: Email, text: str) -> str:
        """Carrier code for this mail (DHL: Express or Paket)."""
        return self.carrier

    def is_transactional(self, email: Email, text: str) -> bool:
        """Extra test against marketing mail that names a status ('get your parcels delivered')."""
        return True

    # --- protocol ----------------------------------------------------------------------------
    def sender_matches(self, email: Email) -> bool:
        addr = sender_address(email)
        for sender in self.senders:
            if sender.startswith("@"):
                if addr.endswith(sender) or addr.endswith("." + sender[1:]):
                    return True
            elif addr == sender:
                return True
        return False

    def identify(self, email: Email) -> bool:
        if not self.sender_matches(email):
            return False
        text = body_text(email)
        if classify(email.subject, text, self.rules) is None or not self.is_transactional(email, text):
            return False
        return bool(self.numbers(email, text))

    def numbers(self, email: Email, text: str) -> list[Detected]:
        carrier = self.carrier_for(email, text)
        found = detect(text, hint=carrier)
        if not found and email.html:
            # DHL's current mails print "{PACKAGE_IDENTIFIER}" and carry the number only in their
            # links ("...?piececode=00340434..."): read the carrier's tracking links, never fetch them
            for number, _carrier in tracking_from_links(email.html):
                found.extend(d for d in detect(f"Tracking number {number}", hint=carrier)
                             if d.number not in {f.number for f in found})
        return found

    def extract(self, email: Email) -> list[Event]:
        text = body_text(email)
        found = classify(email.subject, text, self.rules)
        numbers = self.numbers(email, text)
        if found is None or not numbers or not self.is_transactional(email, text):
            return []
        customer_return = found.kind is EventKind.RETURN_LABEL or is_return(text)
        direction = Direction.RETURN if customer_return else Direction.OUTBOUND
        default_carrier = self.carrier_for(email, text)
        events = []
        for number in numbers:
            status_rule = self.rule_for(text, number, found)
            kind, status = status_rule.kind, status_rule.status
            if customer_return:
                kind = _RETURN_KIND.get(kind, kind)
            carrier = number.carrier or default_carrier
            events.append(Event(
                kind=kind,
                platform=carrier,
                merchant=self.merchant_for(text, number),
                occurred_at=self._occurred(email, text, status),
                tracking=(TrackingRef(number.number, carrier, direction),),
                expected_delivery=self._expected(email, text, status),
                shipment_status=status,
                detail=self.detail(text),
            ))
        return events

    def rule_for(self, text: str, number: Detected, mail_rule: Rule) -> Rule:
        """Status of one parcel; by default what the mail as a whole announces."""
        return mail_rule

    def _occurred(self, email: Email, text: str, status: ShipmentStatus) -> datetime:
        if status is ShipmentStatus.DELIVERED:
            stated = labelled_datetime(text, self.occurred_labels, email.received, dayfirst=self.dayfirst)
            if stated is not None:
                return stated
        return email.received

    def _expected(self, email: Email, text: str, status: ShipmentStatus) -> date | None:
        if status is ShipmentStatus.OUT_FOR_DELIVERY:
            return labelled_date(text, self.expected_labels, email.received, dayfirst=self.dayfirst) or email.received.date()
        if status in (ShipmentStatus.IN_TRANSIT, ShipmentStatus.INFO_RECEIVED):
            return labelled_date(text, self.expected_labels, email.received, dayfirst=self.dayfirst)
        return None

    # --- optional facts ----------------------------------------------------------------------
    merchant_labels: ClassVar[str] = r"shipper|shipped from|shipped by|sender|absender|from the sender"
    detail_labels: ClassVar[str] = r"left at|delivered to|delivery location|abgabeort|zugestellt an"

    def merchant(self, text: str) -> str | None:
        value = _label_value(text, self.merchant_labels)
        if value is None:  # UPS, FedEx: "From <strong>LEGO SYSTEMS INC</strong>" on a line of its own
            m = _FROM_LINE.search(text) or _PACKAGE_FROM.search(text)
            value = m.group(1).strip() if m else None
        return value

    def merchant_for(self, text: str, number: Detected) -> str | None:
        """Shipper of one parcel; by default the mail's one shipper."""
        return self.merchant(text)

    def detail(self, text: str) -> str | None:
        value = _label_value(text, self.detail_labels)
        return value[:80] if value else None


# "From ACME INC" without a colon (a forwarded header "From: Name <addr>" has one).
_FROM_LINE = re.compile(r"(?m)^[ \t]*(?:From|Shipped from|Sent by)[ \t]+([^\n\t:<>@]{2,60}?)[ \t]*$")


# "Your packages from Brooklinen Inc. are now out for delivery today."
_PACKAGE_FROM = re.compile(
    r"\b(?:package|packages|parcel|parcels|shipment|shipments|delivery) from ([A-Z0-9][^\n\t]{1,60}?)"
    r"\s++(?:is|are|was|were|has|have|will)\b"
)


def _label_value(text: str, labels: str) -> str | None:
    """The value after a label at the start of a line ('Shipper: ACME Inc'), same or next line."""
    m = re.search(rf"(?im)^[ \t]*+(?:{labels})[ \t]*+[:：][ \t]*([^\n\t]*)(?:\n[ \t]*([^\n\t]+))?", text)
    if not m:
        m = re.search(rf"(?im)^[ \t]*+(?:{labels})[ \t]*\t[ \t]*([^\n\t]+)()", text)
        if not m:
            return None
    value = (m.group(1) or "").strip() or (m.group(2) or "").strip()
    return value or None
