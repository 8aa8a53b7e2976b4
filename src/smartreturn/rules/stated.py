"""Dates a merchant states in a mail ("Return window closes on Jan 15, 2027", "bitte bis zum
31. Dezember zurücksenden", "请在7天内寄回"): they beat the rules' computed dates. Pure.

Each pattern is anchored on a fixed phrase and reads a bounded date after it; no nested quantifiers,
so every scan is linear in the mail's length (mail text is hostile). A date without a year is the
next such day on or after the mail's date; a relative one ("within 7 days") counts from the mail's
date in the given zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from smartreturn.rules.policies import DeadlineKind

MONTHS = {name: n for n, names in enumerate((
    ("jan", "january", "januar", "jänner"), ("feb", "february", "februar"), ("mar", "march", "märz", "maerz"),
    ("apr", "april"), ("may", "mai"), ("jun", "june", "juni"), ("jul", "july", "juli"), ("aug", "august"),
    ("sep", "sept", "september"), ("oct", "october", "okt", "oktober"), ("nov", "november"),
    ("dec", "december", "dez", "dezember")), start=1) for name in names}

_MONTH = r"([A-Za-zäÄ]{3,9})\.?"
_EN_DATE = _MONTH + r" (\d{1,2}),? (\d{4})"            # Jan 15, 2027
_DE_DATE = r"(\d{1,2})\. ?" + _MONTH + r"(?: (\d{4}))?"  # 31. Dezember [2026]
_ISO_DATE = r"(\d{4})-(\d{2})-(\d{2})"
_ZH_DATE = r"(\d{4})年(\d{1,2})月(\d{1,2})日"

W, S = DeadlineKind.RETURN_WINDOW, DeadlineKind.SHIP_BY

# (kind, compiled pattern, how to read the groups)
PATTERNS: tuple[tuple[DeadlineKind, re.Pattern[str], str], ...] = (
    (W, re.compile(r"return window (?:closes|ends) on " + _EN_DATE, re.I), "en"),
    (W, re.compile(r"(?:eligible for )?return(?:able)? (?:until|through) " + _EN_DATE, re.I), "en"),
    (S, re.compile(r"(?:ship|drop (?:it )?off|send (?:it |the item |the parcel )?back|return (?:it|the item|your item)) by " + _EN_DATE, re.I), "en"),
    (W, re.compile(r"(?:Rückgabefrist|Rücksendefrist|Widerrufsfrist) (?:endet|läuft) am " + _DE_DATE, re.I), "de"),
    (W, re.compile(r"(?:zurückgeben|Rückgabe) bis (?:zum )?" + _DE_DATE, re.I), "de"),
    (S, re.compile(r"bis (?:zum |spätestens )?" + _DE_DATE + r" (?:an uns )?zurück(?:senden|schicken)", re.I), "de"),
    (S, re.compile(r"(?:zurücksenden|zurückschicken|abgeben) bis (?:zum |spätestens )?" + _DE_DATE, re.I), "de"),
    (S, re.compile(r"请(?:于|在)" + _ZH_DATE + r"(?:前|之前)(?:寄回|退回|发回|寄出)"), "zh"),
    (S, re.compile(r"请在(\d{1,2})[天日]内(?:将商品)?(?:寄回|退回|发回|寄出|退货)"), "zh_days"),
    (W, re.compile(r"(?:退货|退换货)(?:截止|期限)(?:日期|时间)?[:：为是至]? ?" + _ZH_DATE), "zh"),
    (S, re.compile(r"please (?:return|ship|send) (?:it |the item |the parcel )?within (\d{1,2}) days", re.I), "days"),
    (S, re.compile(r"innerhalb (?:von )?(\d{1,2}) Tagen (?:an uns )?zurück(?:senden|schicken)", re.I), "days"),
    (W, re.compile(r"return_by=" + _ISO_DATE), "iso"),
)


@dataclass(frozen=True, slots=True)
class Statement:
    kind: DeadlineKind
    due_on: date
    quote: str


def _next(month: int, day: int, year: int | None, sent: date) -> date | None:
    try:
        if year is not None:
            return date(year, month, day)
        found = date(sent.year, month, day)
        return found if found >= sent else date(sent.year + 1, month, day)
    except ValueError:
        return None


def _read(style: str, groups: tuple[str | None, ...], sent: date) -> date | None:
    if style == "en":
        month = MONTHS.get(groups[0].lower())  # type: ignore[union-attr]
        return _next(month, int(groups[1]), int(groups[2]), sent) if month else None  # type: ignore[arg-type]
    if style == "de":
        month = MONTHS.get(groups[1].lower())  # type: ignore[union-attr]
        return _next(month, int(groups[0]), int(groups[2]) if groups[2] else None, sent) if month else None  # type: ignore[arg-type]
    if style in ("zh", "iso"):
        return _next(int(groups[1]), int(groups[2]), int(groups[0]), sent)  # type: ignore[arg-type]
    days = int(groups[0])  # type: ignore[arg-type]
    return sent + timedelta(days=days) if 0 < days <= 90 else None


def _quote(text: str, start: int, end: int) -> str:
    """The sentence around the match, trimmed: the evidence shown to the user."""
    left = max(text.rfind(".", 0, max(0, start - 1)), text.rfind("\n", 0, start), text.rfind("。", 0, start))
    right_candidates = [i for i in (text.find("\n", end), text.find("。", end)) if i != -1]
    right = min(right_candidates) if right_candidates else len(text)
    return " ".join(text[left + 1:right + 1].split())[:300]


def find_statements(text: str, sent_at: datetime, tz: ZoneInfo, limit: int = 200_000) -> list[Statement]:
    """The due dates a mail states, at most one per kind (the first statement of each kind)."""
    text = text[:limit]
    sent = sent_at.astimezone(tz).date()
    found: dict[DeadlineKind, Statement] = {}
    for kind, pattern, style in PATTERNS:
        if kind in found:
            continue
        match = pattern.search(text)
        if match is None:
            continue
        due = _read(style, match.groups(), sent)
        if due is not None and sent - timedelta(days=31) <= due <= sent + timedelta(days=400):
            found[kind] = Statement(kind, due, _quote(text, match.start(), match.end()))
    return list(found.values())
