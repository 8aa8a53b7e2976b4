"""Rules as data: load the shipped TOML files, a user rules folder and inline overrides; pick a rule.

Each table name in the TOML files is a :class:`DeadlineKind` (``[[return_window]]``, ``[[refund_due]]``
...). A rule with the id of an earlier one replaces it, so the user can correct a shipped rule by id or
add new ones. The most specific matching rule wins: merchant > category > platform+region > platform >
region > default; between equally specific rules the one loaded last wins.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from smartreturn.errors import ConfigError

log = logging.getLogger(__name__)

SHIPPED_DIR = Path(__file__).parent


class DeadlineKind(StrEnum):
    RETURN_WINDOW = "return_window"          # last day to ask for a return
    SHIP_BY = "ship_by"                      # last day to send the parcel back (after the request / label)
    REFUND_DUE = "refund_due"                # the money should be back by then
    MERCHANT_RESPONSE = "merchant_response"  # the merchant must answer, or the platform decides
    AUTO_REFUND = "auto_refund"              # the platform refunds by itself if the merchant is silent


class Anchor(StrEnum):
    ORDER_DATE = "order_date"
    DELIVERY = "delivery"                    # the (first) parcel of the order delivered
    LAST_DELIVERY = "last_delivery"          # the last parcel of the order delivered (EU art. 9(2)(b)(i))
    RECEIPT = "receipt"                      # signed-for receipt (签收); same date source as delivery
    MERCHANT_RECEIVED = "merchant_received"
    RETURN_REQUESTED = "return_requested"    # = the withdrawal notice in EU/UK terms
    RETURN_APPROVED = "return_approved"      # the merchant agreed (or the label came, whichever first)
    RETURN_SHIPPED = "return_shipped"
    RETURN_EVIDENCE = "return_evidence"      # the merchant got the goods, or proof of posting, whichever first
    STATED = "stated"                        # the merchant stated the date in a mail


class Confidence(StrEnum):
    KNOWN = "known"      # the anchor date is in the store (a mail or a carrier said so)
    ASSUMED = "assumed"  # the anchor date is estimated (order date + typical transit days); fixed once
    STATED = "stated"    # the merchant stated the due date itself (the mail is the evidence)


class Basis(StrEnum):
    LAW = "law"                  # a statute or regulation
    POLICY = "policy"            # the platform's or shop's published terms
    EXPECTATION = "expectation"  # no published basis: what the app expects, labelled as such


class DayCount(StrEnum):
    CALENDAR = "calendar"
    BUSINESS = "business"


@dataclass(frozen=True, slots=True)
class HolidaySeason:
    """One year's holiday return extension of a marketplace, keyed on the PURCHASE date: bought from
    ``purchased_from`` to ``purchased_to`` → returnable until ``until`` (or the normal deadline if
    later). Some categories get an earlier ``short_until`` (Amazon.de electronics: 15 January)."""

    marketplace: str
    purchased_from: date
    purchased_to: date
    until: date
    short_categories: frozenset[str] = frozenset()
    short_until: date | None = None
    short_min_days: int = 0        # ... or this many days after delivery, whichever later
    source: str = ""
    url: str = ""
    checked: str = ""


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    kind: DeadlineKind
    anchor: Anchor
    days: int = 0
    count: DayCount = DayCount.CALENDAR
    roll_over: bool = False
    returnable: bool = True
    platforms: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    merchants: frozenset[str] = frozenset()   # lower case
    categories: frozenset[str] = frozenset()
    holiday_season: str | None = None          # marketplace key of [[holiday_season]] tables
    holiday_country: str | None = None
    withhold_until_return: bool = False        # EU art. 13(3): not due before the goods or proof of posting
    note: str = ""
    source: str = ""      # the legal or policy source: article / terms, as a citation
    url: str = ""         # where the source can be read
    checked: str = ""     # the day the source was last checked (YYYY-MM-DD)
    tz: str | None = None  # the legal time zone of the rule's days ("country": the shop's country)
    basis: Basis = Basis.LAW
    origin: str = ""      # the file or "config" it came from

    @property
    def specificity(self) -> tuple[bool, bool, bool, bool]:
        return (bool(self.merchants), bool(self.categories), bool(self.platforms), bool(self.regions))


@dataclass(frozen=True, slots=True)
class Subject:
    """What a rule is matched against (one order, or one return case of it)."""

    platform: str | None = None
    region: str | None = None
    merchant: str | None = None
    categories: tuple[str, ...] = ()
    country: str | None = None     # the shop's country (ISO 3166 alpha-2), for holidays and time zone


@dataclass(frozen=True, slots=True)
class RuleSet:
    rules: tuple[Rule, ...]
    region_groups: Mapping[str, frozenset[str]] = field(default_factory=dict)
    transit_days: Mapping[str, int] = field(default_factory=dict)
    return_transit_days: Mapping[str, int] = field(default_factory=dict)
    known_senders: frozenset[str] = frozenset()  # sender domains of the platforms and carriers we parse
    marketing_senders: frozenset[str] = frozenset()  # local parts (substrings) of their advertising mail
    seasons: Mapping[str, tuple[HolidaySeason, ...]] = field(default_factory=dict)  # by marketplace, oldest first
    country_tz: Mapping[str, str] = field(default_factory=dict)  # ISO country -> IANA zone (legal day)
    currency_country: Mapping[str, str] = field(default_factory=dict)  # ISO currency -> ISO country
    category_words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # category -> words (casefolded)
    # select() answers, memoised: the rules never change once loaded, subjects repeat a lot
    _selected: dict[tuple[DeadlineKind, Subject], Rule | None] = field(
        default_factory=dict, init=False, repr=False, compare=False)
    # return_window.compute()'s day counting per (rule, anchor date, ...), memoised the same way
    counted: dict[tuple[Any, ...], Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def is_known_sender(self, address: str | None) -> bool:
        """True for a transactional sender at a known domain or any of its subdomains."""
        local, _, domain = (address or "").strip().lower().strip("<>").rpartition("@")
        if any(word in local for word in self.marketing_senders):
            return False
        return any(domain == d or domain.endswith("." + d) for d in self.known_senders)

    def region_matches(self, rule_regions: frozenset[str], region: str | None) -> bool:
        if region is None:
            return False
        region = region.lower()
        return any(region == r or region in self.region_groups.get(r, ()) for r in rule_regions)

    def matches(self, rule: Rule, subject: Subject) -> bool:
        if rule.platforms and (subject.platform or "").lower() not in rule.platforms:
            return False
        if rule.regions and not self.region_matches(rule.regions, subject.region):
            return False
        if rule.merchants and (subject.merchant or "").strip().lower() not in rule.merchants:
            return False
        if rule.categories:
            cats = {c.lower() for c in subject.categories}  # "" = an item of no category
            if not cats or not cats <= rule.categories:
                return False
        return True

    def select(self, kind: DeadlineKind, subject: Subject) -> Rule | None:
        """The most specific rule of ``kind`` for ``subject`` (the last loaded among equals)."""
        key = (kind, subject)
        if key in self._selected:
            return self._selected[key]
        best: Rule | None = None
        for rule in self.rules:
            if rule.kind is kind and self.matches(rule, subject):
                if best is None or rule.specificity >= best.specificity:
                    best = rule
        self._selected[key] = best
        return best

    def season(self, marketplace: str, purchased_on: date) -> tuple[HolidaySeason, bool] | None:
        """The marketplace's holiday season that covers a purchase on ``purchased_on``, and whether it
        is in the data (False: that year is not, so the latest known season's dates are assumed)."""
        seasons = self.seasons.get(marketplace, ())
        for season in seasons:
            if season.purchased_from <= purchased_on <= season.purchased_to:
                return season, True
        if not seasons or any(s.purchased_from.year == purchased_on.year for s in seasons):
            return None
        latest = seasons[-1]
        shift = purchased_on.year - latest.purchased_from.year
        if shift <= 0:
            return None  # an earlier year we have no data for: no extension assumed

        def moved(day: date) -> date:
            return day.replace(year=day.year + shift)
        guess = replace(latest, purchased_from=moved(latest.purchased_from), purchased_to=moved(latest.purchased_to),
                        until=moved(latest.until), short_until=moved(latest.short_until) if latest.short_until else None)
        return (guess, False) if guess.purchased_from <= purchased_on <= guess.purchased_to else None

    def by_id(self, kind: DeadlineKind | str, rule_id: str) -> Rule | None:
        """The rule a stored Deadline names (for explanations: its note cites the law or policy)."""
        return next((r for r in self.rules if r.kind == kind and r.id == rule_id), None)

    def typical_days(self, table: Mapping[str, int], subject: Subject) -> int:
        for key in (subject.platform, subject.region):
            if key and key.lower() in table:
                return table[key.lower()]
        if subject.region:
            for group, members in self.region_groups.items():
                if subject.region.lower() in members and group in table:
                    return table[group]
        return table.get("default", 5)


def _names(value: Any, key: str, where: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a string or a list of strings")
    return frozenset(v.strip().lower() for v in value)


def _date(value: Any, key: str, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}: '{key}' must be a date (YYYY-MM-DD), got {value!r}") from None


SEASON_KEYS = frozenset({"marketplace", "purchased_from", "purchased_to", "until", "short_categories", "short_until",
                         "short_min_days", "source", "url", "checked"})


def parse_season(raw: Mapping[str, Any], source: str) -> HolidaySeason:
    where = f"{source}: [[holiday_season]] {raw.get('marketplace', '(no marketplace)')}"
    unknown = set(raw) - SEASON_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}")
    if not isinstance(raw.get("marketplace"), str):
        raise ConfigError(f"{where}: 'marketplace' is required")
    return HolidaySeason(
        marketplace=raw["marketplace"].lower(), purchased_from=_date(raw.get("purchased_from"), "purchased_from", where),
        purchased_to=_date(raw.get("purchased_to"), "purchased_to", where), until=_date(raw.get("until"), "until", where),
        short_categories=_names(raw.get("short_categories"), "short_categories", where),
        short_until=_date(raw["short_until"], "short_until", where) if "short_until" in raw else None,
        short_min_days=int(raw.get("short_min_days", 0)), source=str(raw.get("source", "")),
        url=str(raw.get("url", "")), checked=str(raw.get("checked", "")))


KNOWN_KEYS = frozenset({
    "id", "anchor", "days", "count", "roll_over", "returnable", "platform", "region", "merchant",
    "category", "holiday_season", "holiday_country", "withhold_until_return", "note", "source", "url", "checked",
    "tz", "basis",
})


def parse_rule(kind: DeadlineKind, raw: Mapping[str, Any], source: str) -> Rule:
    rule_id = raw.get("id")
    where = f"{source}: [[{kind}]] {rule_id or '(no id)'}"
    if not isinstance(rule_id, str) or not rule_id:
        raise ConfigError(f"{where}: every rule needs an 'id'")
    unknown = set(raw) - KNOWN_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}")
    returnable = bool(raw.get("returnable", True))
    days = raw.get("days", 0)
    if not isinstance(days, int) or days < 0 or (returnable and "days" not in raw):
        raise ConfigError(f"{where}: 'days' must be a whole number of days >= 0")
    try:
        anchor = Anchor(raw.get("anchor", "delivery"))
        count = DayCount(raw.get("count", "calendar"))
        basis = Basis(raw.get("basis", "law"))
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if raw.get("checked"):
        _date(raw["checked"], "checked", where)
    return Rule(
        id=rule_id,
        kind=kind,
        anchor=anchor,
        days=days,
        count=count,
        roll_over=bool(raw.get("roll_over", False)),
        returnable=returnable,
        platforms=_names(raw.get("platform"), "platform", where),
        regions=_names(raw.get("region"), "region", where),
        merchants=_names(raw.get("merchant"), "merchant", where),
        categories=_names(raw.get("category"), "category", where),
        holiday_season=str(raw["holiday_season"]).lower() if raw.get("holiday_season") else None,
        holiday_country=raw.get("holiday_country"),
        withhold_until_return=bool(raw.get("withhold_until_return", False)),
        note=str(raw.get("note", "")),
        source=str(raw.get("source", "")),
        url=str(raw.get("url", "")),
        checked=str(raw.get("checked", "")),
        tz=str(raw["tz"]) if raw.get("tz") else None,
        basis=basis,
        origin=source,
    )


@dataclass
class _Builder:
    rules: dict[str, Rule] = field(default_factory=dict)  # keyed by (kind, id), insertion = load order
    groups: dict[str, frozenset[str]] = field(default_factory=dict)
    transit: dict[str, int] = field(default_factory=dict)
    return_transit: dict[str, int] = field(default_factory=dict)
    senders: frozenset[str] = frozenset()
    marketing: frozenset[str] = frozenset()
    seasons: dict[str, list[HolidaySeason]] = field(default_factory=dict)
    country_tz: dict[str, str] = field(default_factory=dict)
    currency_country: dict[str, str] = field(default_factory=dict)
    category_words: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def add(self, data: Mapping[str, Any], source: str) -> None:
        for key, value in data.items():
            if key == "regions":
                for group, members in value.items():
                    self.groups[group.lower()] = _names(members, f"regions.{group}", source) | {group.lower()}
            elif key == "assumed_transit_days":
                self.transit.update({k.lower(): int(v) for k, v in value.items()})
            elif key == "assumed_return_transit_days":
                self.return_transit.update({k.lower(): int(v) for k, v in value.items()})
            elif key == "holiday_season":
                for raw in value:
                    season = parse_season(raw, source)
                    self.seasons.setdefault(season.marketplace, []).append(season)
            elif key == "item_categories":
                for category, languages in value.items():
                    words = [w for lang in languages.values() for w in (lang if isinstance(lang, list) else [lang])]
                    self.category_words[category.lower()] = tuple(dict.fromkeys(str(w).casefold() for w in words if w))
            elif key == "country_time_zones":
                self.country_tz.update({k.upper(): str(v) for k, v in value.items()})
            elif key == "currency_countries":
                self.currency_country.update({k.upper(): str(v).upper() for k, v in value.items()})
            elif key == "known_senders":
                self.senders |= _names(value.get("domains"), "known_senders.domains", source)
                self.marketing |= _names(value.get("marketing"), "known_senders.marketing", source)
            else:
                try:
                    kind = DeadlineKind(key)
                except ValueError:
                    raise ConfigError(f"{source}: unknown table [{key}]") from None
                if not isinstance(value, list):
                    raise ConfigError(f"{source}: [{key}] must be an array of tables ([[{key}]])")
                for raw in value:
                    rule = parse_rule(kind, raw, source)
                    self.rules.pop(f"{kind}:{rule.id}", None)  # a replacement counts as loaded last
                    self.rules[f"{kind}:{rule.id}"] = rule

    def build(self) -> RuleSet:
        seasons = {k: tuple(sorted(v, key=lambda s: s.purchased_from)) for k, v in self.seasons.items()}
        return RuleSet(tuple(self.rules.values()), dict(self.groups), dict(self.transit), dict(self.return_transit),
                       self.senders, self.marketing, seasons, dict(self.country_tz), dict(self.currency_country),
                       dict(self.category_words))


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"rules file {path}: {exc}") from exc


def load_rules(extra_dirs: Sequence[Path] = (), overrides: Mapping[str, Any] | None = None) -> RuleSet:
    """Shipped rules, then every ``*.toml`` of ``extra_dirs`` (sorted by name), then ``overrides``
    (the config's inline rules, same structure as a file)."""
    builder = _Builder()
    dirs: Iterable[Path] = (SHIPPED_DIR, *(Path(d).expanduser() for d in extra_dirs))
    for directory in dirs:
        if not directory.is_dir():
            raise ConfigError(f"rules directory {directory} does not exist")
        for path in sorted(directory.glob("*.toml")):
            builder.add(_read(path), str(path))
    if overrides:
        builder.add(overrides, "config [rules]")
    ruleset = builder.build()
    log.debug("loaded %d rules", len(ruleset.rules))
    return ruleset


def rules_files_state(dirs: Sequence[Path]) -> tuple[tuple[str, int, int], ...]:
    """(path, mtime, size) of every rules file: what a loaded rule set was read from."""
    found = []
    for directory in dirs:
        if directory.is_dir():
            for path in sorted(directory.glob("*.toml")):
                stat = path.stat()
                found.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(found)


_LOADED: dict[tuple[Any, ...], RuleSet] = {}  # the last rule sets loaded, by where they came from


def rules_from_settings(settings: Any) -> RuleSet:
    """The rule set the settings ask for: ``rules.extra_rules_dir`` and ``rules.overrides``.

    Loaded once and kept while its files and the overrides stay the same (a rules file edited while
    the daemon runs is read again on the next call), so a long-running process keeps the rule set's
    memos (rule selection, day counting, deadlines of unchanged orders) from one agenda to the next."""
    section = settings.rules
    extra = [section.extra_rules_dir] if section.extra_rules_dir else []
    dirs = (SHIPPED_DIR, *(Path(d).expanduser() for d in extra))
    key = (rules_files_state(dirs), repr(section.overrides or None), tuple(str(d) for d in dirs))
    ruleset = _LOADED.get(key)
    if ruleset is None:
        ruleset = load_rules(extra, section.overrides or None)
        if len(_LOADED) >= 8:
            _LOADED.clear()
        _LOADED[key] = ruleset
    return ruleset
