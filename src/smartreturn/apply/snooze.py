"""Snoozed agenda items: put off until a local date, then they come back by themselves."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from smartreturn.rules.agenda import Agenda
from smartreturn.store.tables import Snooze


def snooze(session: Session, item_key: str, until: date, now: datetime) -> None:
    session.execute(delete(Snooze).where(Snooze.until < now.date()))  # long over: forget them
    row = session.scalars(select(Snooze).where(Snooze.item_key == item_key)).first()
    if row is None:
        session.add(Snooze(item_key=item_key[:255], until=until, created_at=now))
    else:
        row.until = until


def active_snoozes(session: Session, today: date) -> dict[str, date]:
    return {key: until for key, until in session.execute(select(Snooze.item_key, Snooze.until).where(Snooze.until >= today))}


def without_snoozed(agenda: Agenda, snoozed: dict[str, date]) -> Agenda:
    if not snoozed:
        return agenda
    return replace(agenda, items=tuple(item for item in agenda.items if item.key not in snoozed))
