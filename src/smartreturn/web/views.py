"""What each page shows, assembled from the domain code (rules, queries, tracking, stats): no rule
is evaluated here, only looked up and arranged."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smartreturn.rules.agenda import Agenda, AgendaItem, AgendaKind, Urgency
from smartreturn.store.db import Database
from smartreturn.apply.agenda_cache import visible

SECTION_LIMIT = 50  # items shown per urgency on Today; the rest are counted and listed on Returns


@dataclass(frozen=True, slots=True)
class Section:
    urgency: Urgency
    items: tuple[AgendaItem, ...]
    more: int


@dataclass(frozen=True, slots=True)
class Today:
    agenda: Agenda
    sections: tuple[Section, ...]
    counts: dict[str, int]
    snoozed: int


def today(state: Any, now: datetime) -> Today:
    agenda = state.agenda.get(state.db, now)
    shown = visible(state.db, state.settings, agenda, now)
    grouped: dict[Urgency, list[AgendaItem]] = defaultdict(list)
    for item in shown.items:
        grouped[item.urgency].append(item)
    sections = tuple(Section(u, tuple(grouped[u][:SECTION_LIMIT]), max(0, len(grouped[u]) - SECTION_LIMIT))
                     for u in (Urgency.URGENT, Urgency.SOON, Urgency.INFO) if grouped[u])
    counts = {u.value: len(grouped[u]) for u in Urgency}
    return Today(shown, sections, counts, len(agenda.items) - len(shown.items))


def priorities(agenda: Agenda) -> dict[int, AgendaItem]:
    """The most pressing agenda item of each return case (its priority and factors)."""
    best: dict[int, AgendaItem] = {}
    for item in agenda.items:
        if item.return_case_id is not None and item.kind != AgendaKind.PARSER_HEALTH:
            current = best.get(item.return_case_id)
            if current is None or item.priority > current.priority:
                best[item.return_case_id] = item
    return best


def database_kind(db: Database) -> str:
    return db.dialect
