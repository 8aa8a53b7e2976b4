"""The agenda as the rules engine computed it, recomputed only when the store or the hour changed.

``build_agenda()`` takes about 0.8 s for 10,000 open cases (bench/RESULTS.md); a dashboard that
reloads the Today page must not pay that on every request. The agenda depends on the stored rows
and on "now" (days left, "arrived in the last day"), so it is cached under a fingerprint of the store
(the highest id and the latest update of each table the rules read: a handful of index lookups
and three column scans) and the local hour. Any write (mail ingested, a return updated from the
web, the CLI or the daemon, a tracking event) changes the fingerprint; the next request recomputes.
The fingerprint itself (some 20 ms on 10,000 open cases) is read at most once a second; the web's own
writes call :meth:`AgendaCache.invalidate`, so they show at once, and writes by the CLI or the daemon
within a second.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from smartreturn.rules.agenda import Agenda
from smartreturn.store.db import Database
from smartreturn.store.tables import CaseEvent, Message, Order, ReturnCase, Shipment, TrackingEvent

log = logging.getLogger(__name__)

RECHECK = 1.0  # seconds between fingerprint reads

_FINGERPRINT = select(
    select(func.max(Message.id)).scalar_subquery(),
    select(func.max(CaseEvent.id)).scalar_subquery(),
    select(func.max(TrackingEvent.id)).scalar_subquery(),
    select(func.max(Order.id)).scalar_subquery(),
    select(func.max(ReturnCase.id)).scalar_subquery(),
    select(func.max(Shipment.id)).scalar_subquery(),
    select(func.max(ReturnCase.updated_at)).scalar_subquery(),
    select(func.max(Shipment.updated_at)).scalar_subquery(),
    select(func.max(Order.updated_at)).scalar_subquery(),
)


class AgendaCache:
    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._agenda: Agenda | None = None
        self._checked_at = -1.0  # time.monotonic() of the last fingerprint read that matched
        self._memo: dict[Any, Any] = {}  # values derived from the store under self._key

    def get(self, db: Database, now: datetime) -> Agenda:
        from smartreturn.apply.agenda import build_agenda

        hour = now.astimezone(self.settings.general.tz).replace(minute=0, second=0, microsecond=0)
        agenda, key = self._agenda, self._key
        if agenda is not None and key is not None and key[1] == hour and time.monotonic() - self._checked_at < RECHECK:
            return agenda
        with db.session() as session:
            key = (tuple(session.execute(_FINGERPRINT).one()), hour)
        if key == self._key and self._agenda is not None:
            self._checked_at = time.monotonic()
            return self._agenda
        with self._lock:  # one computation at a time: build_agenda also writes the Deadline rows
            if key == self._key and self._agenda is not None:
                return self._agenda
            with db.session() as session:
                agenda = build_agenda(session, now, self.settings)  # writes Deadline rows only: not in the key
            self._key, self._agenda, self._checked_at = key, agenda, time.monotonic()
            self._memo = {}
            return agenda

    def memo(self, db: Database, now: datetime, name: Any, compute: Callable[[], Any]) -> Any:
        """A value derived from the store (filter choices, the ids a filter matches), computed once
        per store state like the agenda itself. Keep ``name`` to a handful of distinct values."""
        self.get(db, now)
        memo = self._memo
        if name not in memo:
            if len(memo) > 64:
                memo.clear()
            memo[name] = compute()
        return memo[name]

    def invalidate(self) -> None:
        self._key = None
        self._memo = {}
