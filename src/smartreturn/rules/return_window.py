"""Deadline arithmetic: anchors, day counting, roll-over, holiday extension. Pure functions of the
facts, the rule set and ``now``; dates are the user's local dates (``tz``).

``due_on`` is the last day on which the buyer (or merchant) can still act: the day of the anchor is not
counted, so a 14-day period from a delivery on the 1st ends on the 15th.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from smartreturn.rules.policies import (
    Anchor,
    Confidence,
    DayCount,
    DeadlineKind,
    HolidayExtension,
    Rule,
    RuleSet,
    Subject,
)

log = logging.getLogger(__name__)

# Order.region values that are not ISO 3166 codes of the holidays package
_COUNTRY_ALIASES = {"uk": "GB", "el": "GR"}


@dataclass(frozen=True, slots=True)
class Facts:
    """What the store knows about one order (and, for case deadlines, one of its return cases)."""

    subject: Subject
    order_date: datetime | None = None
    first_seen: datetime | None = None          # date of the first mail about the order (order date unknown)
    delivered_at: datetime | None = None       # outbound delivery / signed-for receipt
    outbound_in_transit: bool = False           # the order's parcel is known to be still on its way
    requested_at: datetime | None = None
    return_shipped_at: datetime | None = None
    merchant_received_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ComputedDeadline:
    kind: DeadlineKind
    due_on: date
    rule_id: str
    anchor: Anchor
    anchor_on: date
    confidence: Confidence
    note: str = ""
    evidence_message_id: int | None = None  # the mail that stated the date (confidence "stated")


@dataclass(frozen=True, slots=True)
class NotReturnable:
    """A rule says there is no right of return (e.g. custom-made goods)."""

    rule_id: str
    note: str = ""


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def days_left(due_on: date, now: datetime, tz: ZoneInfo) -> int:
    """0 on the deadline day itself, negative once it has passed."""
    return (due_on - local_date(now, tz)).days


@lru_cache(maxsize=64)
def _calendar(country: str | None) -> holidays.HolidayBase | None:
    if not country:
        return None
    code = _COUNTRY_ALIASES.get(country.lower(), country.upper())
    try:
        return holidays.country_holidays(code)
    except NotImplementedError:
        return None


class WorkingDays:
    """Monday to Friday minus the public holidays of ``country`` (weekends only if unknown)."""

    def __init__(self, country: str | None) -> None:
        self.holidays = _calendar(country)

    def is_working(self, day: date) -> bool:
        return day.weekday() < 5 and (self.holidays is None or day not in self.holidays)

    def roll_forward(self, day: date) -> date:
        while not self.is_working(day):
            day += timedelta(days=1)
        return day

    def add_business_days(self, day: date, count: int) -> date:
        while count > 0:
            day += timedelta(days=1)
            if self.is_working(day):
                count -= 1
        return day


def holiday_country(rule: Rule, subject: Subject, default_country: str | None) -> str | None:
    """The rule's own country, else the order's region if it is a country, else the user's."""
    if rule.holiday_country:
        return rule.holiday_country
    if subject.region and _calendar(subject.region) is not None:
        return subject.region
    return default_country


def resolve_anchor(anchor: Anchor, facts: Facts, rules: RuleSet, tz: ZoneInfo, today: date) -> tuple[date, Confidence] | None:
    """The anchor's local date and whether it is known or assumed; None when it cannot be told yet."""
    if anchor is Anchor.ORDER_DATE:
        if facts.order_date:
            return local_date(facts.order_date, tz), Confidence.KNOWN
        return (local_date(facts.first_seen, tz), Confidence.ASSUMED) if facts.first_seen else None
    if anchor in (Anchor.DELIVERY, Anchor.RECEIPT):
        if facts.delivered_at:
            return local_date(facts.delivered_at, tz), Confidence.KNOWN
        ordered = facts.order_date or facts.first_seen
        if ordered is None:
            return None
        assumed = local_date(ordered, tz) + timedelta(days=rules.typical_days(rules.transit_days, facts.subject))
        if facts.outbound_in_transit:
            assumed = max(assumed, today)  # not delivered yet: the window cannot have started before today
        return assumed, Confidence.ASSUMED
    if anchor is Anchor.MERCHANT_RECEIVED:
        if facts.merchant_received_at:
            return local_date(facts.merchant_received_at, tz), Confidence.KNOWN
        if facts.return_shipped_at is None:
            return None
        days = rules.typical_days(rules.return_transit_days, facts.subject)
        return local_date(facts.return_shipped_at, tz) + timedelta(days=days), Confidence.ASSUMED
    if anchor is Anchor.RETURN_REQUESTED:
        return (local_date(facts.requested_at, tz), Confidence.KNOWN) if facts.requested_at else None
    if anchor is Anchor.RETURN_SHIPPED:
        return (local_date(facts.return_shipped_at, tz), Confidence.KNOWN) if facts.return_shipped_at else None
    raise AssertionError(anchor)


def _extended(due: date, anchor_on: date, ext: HolidayExtension) -> date:
    start = date(anchor_on.year, *ext.delivered_from)
    end = date(anchor_on.year, *ext.delivered_to)
    if start <= anchor_on <= end:
        return max(due, date(anchor_on.year + 1, *ext.until))
    return due


def compute(rule: Rule, facts: Facts, rules: RuleSet, now: datetime, tz: ZoneInfo,
            default_country: str | None = None) -> ComputedDeadline | None:
    """The deadline ``rule`` gives for ``facts``; None when its anchor is not known yet."""
    today = local_date(now, tz)
    resolved = resolve_anchor(rule.anchor, facts, rules, tz, today)
    if resolved is None:
        return None
    anchor_on, confidence = resolved
    country = holiday_country(rule, facts.subject, default_country)
    # memoised in the rule set (a store has few distinct anchor dates); the rule is kept beside the
    # result so that an id() reused by another Rule object can never match
    key = (id(rule), anchor_on, confidence, country)
    hit = rules.counted.get(key)
    if hit is None or hit[0] is not rule:
        hit = rules.counted[key] = (rule, _counted(rule, anchor_on, confidence, country))
    return hit[1]


def _counted(rule: Rule, anchor_on: date, confidence: Confidence, country: str | None) -> ComputedDeadline:
    """Count the rule's days from the anchor."""
    calendar = WorkingDays(country)
    if rule.count is DayCount.BUSINESS:
        due = calendar.add_business_days(anchor_on, rule.days)
    else:
        due = anchor_on + timedelta(days=rule.days)
        if rule.roll_over:
            due = calendar.roll_forward(due)
    if rule.holiday_extension is not None:
        due = _extended(due, anchor_on, rule.holiday_extension)
    return ComputedDeadline(rule.kind, due, rule.id, rule.anchor, anchor_on, confidence, rule.note)


def deadline_for(kind: DeadlineKind, facts: Facts, rules: RuleSet, now: datetime, tz: ZoneInfo,
                 default_country: str | None = None) -> ComputedDeadline | NotReturnable | None:
    """The deadline of ``kind`` by the most specific rule, NotReturnable if that rule excludes the
    order, None if no rule applies or its anchor is not known yet."""
    rule = rules.select(kind, facts.subject)
    if rule is None:
        return None
    if not rule.returnable:
        return NotReturnable(rule.id, rule.note)
    return compute(rule, facts, rules, now, tz, default_country)


def return_window(facts: Facts, rules: RuleSet, now: datetime, tz: ZoneInfo,
                  default_country: str | None = None) -> ComputedDeadline | NotReturnable | None:
    return deadline_for(DeadlineKind.RETURN_WINDOW, facts, rules, now, tz, default_country)


def refund_due(facts: Facts, rules: RuleSet, now: datetime, tz: ZoneInfo,
               default_country: str | None = None) -> ComputedDeadline | None:
    result = deadline_for(DeadlineKind.REFUND_DUE, facts, rules, now, tz, default_country)
    return result if isinstance(result, ComputedDeadline) else None
