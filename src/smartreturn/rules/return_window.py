"""Deadline arithmetic: anchors, day counting, roll-over, holiday seasons. Pure functions of the
facts, the rule set and ``now``.

``due_on`` is the last day on which the buyer (or merchant) can still act: the day of the anchor is not
counted, so a 14-day period from a delivery on the 1st ends on the 15th (Regulation 1182/71 art. 3(1)).
The anchor's day is the legal day of the rule's time zone (``tz = "Asia/Shanghai"``, or ``"country"``:
the shop's country), not the user's: a 签收 at 07:30 Beijing time is that Beijing day, although it is
the previous day in UTC. Without a rule zone, the user's zone is used.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from smartreturn.rules import holiday_tables
from smartreturn.rules.policies import (
    Anchor,
    Basis,
    Confidence,
    DayCount,
    DeadlineKind,
    Rule,
    RuleSet,
    Subject,
)

log = logging.getLogger(__name__)

@dataclass(frozen=True, slots=True)
class Facts:
    """What the store knows about one order (and, for case deadlines, one of its return cases)."""

    subject: Subject
    order_date: datetime | None = None
    first_seen: datetime | None = None          # date of the first mail about the order (order date unknown)
    delivered_at: datetime | None = None       # outbound delivery / signed-for receipt (the first parcel)
    outbound_in_transit: bool = False           # the order's parcel is known to be still on its way
    requested_at: datetime | None = None
    return_shipped_at: datetime | None = None
    merchant_received_at: datetime | None = None
    last_delivered_at: datetime | None = None   # the last parcel of the order delivered (all of them are)
    parcels_missing: bool = False               # some parcel of the order is still on its way
    approved_at: datetime | None = None         # return approved or label issued, whichever first
    fixed_anchor: date | None = None            # an assumed anchor stored earlier: it stays until evidence comes


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
    basis: Basis = Basis.LAW
    source: str = ""                        # the rule's citation, or the merchant's sentence


@dataclass(frozen=True, slots=True)
class NotReturnable:
    """A rule says there is no right of return (e.g. custom-made goods)."""

    rule_id: str
    note: str = ""


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def days_left(due_on: date, now: datetime, tz: ZoneInfo) -> int:
    """0 on the deadline day itself, negative once it has passed."""
    return (due_on - _today(now, tz)).days


@lru_cache(maxsize=16)
def _today(now: datetime, tz: ZoneInfo) -> date:
    """``now``'s local date: a run asks for it once per deadline, always with the same ``now``."""
    return now.astimezone(tz).date()


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def legal_zone(rule: Rule, subject: Subject, rules: RuleSet, user_tz: ZoneInfo) -> ZoneInfo:
    """The zone whose calendar day counts for ``rule``: its own, the shop country's, else the user's."""
    name = rule.tz
    if name == "country":
        name = rules.country_tz.get((subject.country or "").upper())
    return _zone(name) if name else user_tz


def _has_calendar(country: str | None) -> bool:
    """Whether the holidays package knows ``country`` (aliases such as ``uk`` and ``el`` included)."""
    return bool(country and holiday_tables.supported(country))


class WorkingDays:
    """Monday to Friday minus the public holidays of ``country`` (weekends only if unknown).

    The holidays come from rules/holiday_tables.py (a child process asks the ``holidays`` package, so
    that this process never imports it); a failure to get them raises CalendarError."""

    def __init__(self, country: str | None) -> None:
        self.country = country if _has_calendar(country) else None
        self._years: dict[int, frozenset[date]] = {}

    def is_working(self, day: date) -> bool:
        if day.weekday() >= 5:
            return False
        if self.country is None:
            return True
        table = self._years.get(day.year)
        if table is None:
            table = self._years[day.year] = holiday_tables.public_holidays(self.country, day.year)
        return day not in table

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
    """The rule's own country, else the shop's country, else the order's region if it is a country,
    else the user's (``rules.holiday_country``, asked by ``smartreturn init``)."""
    if rule.holiday_country:
        return rule.holiday_country
    if _has_calendar(subject.country):
        return subject.country
    if _has_calendar(subject.region):
        return subject.region
    return default_country


def _delivered(facts: Facts, rules: RuleSet, tz: ZoneInfo, today: date, last: bool) -> tuple[date, Confidence] | None:
    if last:  # every parcel must have arrived; the window runs from the last one
        delivered = None if facts.parcels_missing else (facts.last_delivered_at or facts.delivered_at)
    else:
        delivered = facts.delivered_at
    if delivered is not None:
        return local_date(delivered, tz), Confidence.KNOWN
    if facts.fixed_anchor is not None:
        return facts.fixed_anchor, Confidence.ASSUMED  # assumed once, kept until a delivery is known
    ordered = facts.order_date or facts.first_seen
    if ordered is None:
        return None
    assumed = local_date(ordered, tz) + timedelta(days=rules.typical_days(rules.transit_days, facts.subject))
    if facts.outbound_in_transit or (last and facts.parcels_missing):
        assumed = max(assumed, today)  # not delivered yet: the window cannot have started before today
    return assumed, Confidence.ASSUMED


def resolve_anchor(anchor: Anchor, facts: Facts, rules: RuleSet, tz: ZoneInfo, today: date) -> tuple[date, Confidence] | None:
    """The anchor's local date and whether it is known or assumed; None when it cannot be told yet."""
    if anchor is Anchor.ORDER_DATE:
        if facts.order_date:
            return local_date(facts.order_date, tz), Confidence.KNOWN
        return (local_date(facts.first_seen, tz), Confidence.ASSUMED) if facts.first_seen else None
    if anchor in (Anchor.DELIVERY, Anchor.RECEIPT, Anchor.LAST_DELIVERY):
        return _delivered(facts, rules, tz, today, anchor is Anchor.LAST_DELIVERY)
    if anchor is Anchor.MERCHANT_RECEIVED:
        if facts.merchant_received_at:
            return local_date(facts.merchant_received_at, tz), Confidence.KNOWN
        if facts.return_shipped_at is None:
            return None
        if facts.fixed_anchor is not None:
            return facts.fixed_anchor, Confidence.ASSUMED
        days = rules.typical_days(rules.return_transit_days, facts.subject)
        return local_date(facts.return_shipped_at, tz) + timedelta(days=days), Confidence.ASSUMED
    if anchor is Anchor.RETURN_EVIDENCE:
        moments = [m for m in (facts.merchant_received_at, facts.return_shipped_at) if m is not None]
        return (local_date(min(moments), tz), Confidence.KNOWN) if moments else None
    if anchor is Anchor.RETURN_REQUESTED:
        if facts.requested_at:
            return local_date(facts.requested_at, tz), Confidence.KNOWN
        # the notice came at the latest when the parcel left (or arrived): the lenient assumption
        later = [m for m in (facts.return_shipped_at, facts.merchant_received_at) if m is not None]
        return (local_date(min(later), tz), Confidence.ASSUMED) if later else None
    if anchor is Anchor.RETURN_APPROVED:
        return (local_date(facts.approved_at, tz), Confidence.KNOWN) if facts.approved_at else None
    if anchor is Anchor.RETURN_SHIPPED:
        return (local_date(facts.return_shipped_at, tz), Confidence.KNOWN) if facts.return_shipped_at else None
    raise AssertionError(anchor)


def _season_due(due: date, rule: Rule, facts: Facts, rules: RuleSet, tz: ZoneInfo) -> tuple[date, str]:
    """The holiday season's later deadline, keyed on the purchase date (Amazon: "items purchased
    between ..."), if the order falls in one; with a note saying which season (and if it is assumed)."""
    purchased = facts.order_date or facts.first_seen
    if rule.holiday_season is None or purchased is None:
        return due, ""
    found = rules.season(rule.holiday_season, local_date(purchased, tz))
    if found is None:
        return due, ""
    season, in_data = found
    until = season.until
    if season.short_until and set(facts.subject.categories) & season.short_categories:
        until = season.short_until
    later = max(due, until)
    if later == due:
        return due, ""
    note = f"holiday season: bought {season.purchased_from:%d %b}–{season.purchased_to:%d %b %Y}, returnable until {until:%d %b %Y}"
    if not in_data:
        note += " (this year's dates are not in the data: the last known season's are assumed)"
    return later, note


def compute(rule: Rule, facts: Facts, rules: RuleSet, now: datetime, tz: ZoneInfo,
            default_country: str | None = None) -> ComputedDeadline | None:
    """The deadline ``rule`` gives for ``facts``; None when its anchor is not known yet. ``tz`` is the
    user's zone (today; the legal day when the rule names none)."""
    zone = legal_zone(rule, facts.subject, rules, tz)
    today = local_date(now, tz)
    resolved = resolve_anchor(rule.anchor, facts, rules, zone, today)
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
    result: ComputedDeadline = hit[1]
    if rule.withhold_until_return:
        # EU art. 13(3): the trader may withhold the refund until the goods or proof of posting arrive
        evidence = [m for m in (facts.merchant_received_at, facts.return_shipped_at) if m is not None]
        if not evidence:
            return None
        withheld = local_date(min(evidence), zone)
        if withheld > result.due_on:
            result = replace(result, due_on=withheld, note=(result.note + "; " if result.note else "")
                             + "not before the goods or proof of posting reached the shop (art. 13(3))")
    if rule.holiday_season is not None:
        due, note = _season_due(result.due_on, rule, facts, rules, zone)
        if due != result.due_on:
            result = replace(result, due_on=due, note=note)
    return result


def _counted(rule: Rule, anchor_on: date, confidence: Confidence, country: str | None) -> ComputedDeadline:
    """Count the rule's days from the anchor."""
    calendar = WorkingDays(country)
    if rule.count is DayCount.BUSINESS:
        due = calendar.add_business_days(anchor_on, rule.days)
    else:
        due = anchor_on + timedelta(days=rule.days)
        if rule.roll_over:
            due = calendar.roll_forward(due)
    return ComputedDeadline(rule.kind, due, rule.id, rule.anchor, anchor_on, confidence, rule.note,
                            basis=rule.basis, source=rule.source)


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
