"""The agenda as the rules engine computed it, recomputed only when the store or the hour changed.

``build_agenda()`` takes about 0.8 s for 10,000 open cases (bench/RESULTS.md); a dashboard that
reloads the Today page must not pay that on every request. The agenda depends on the stored rows
and on "now" (days left, "arrived in the last day"), so it is cached under a fingerprint of the store
(the highest id and the latest update of each table the rules read: a handful of index lookups
and three column scans) and the local hour. Any write (mail ingested, a return updated from the
web, the CLI or the daemon, a tracking event) changes the fingerprint; the next request recomputes.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from smartreturn.rules.agenda import Agenda
from smartreturn.store.db import Database
from smartreturn.store.tables import CaseEvent, Message, Order, ReturnCase, Shipment, TrackingEvent

log = logging.getLogger(__name__)

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

    def get(self, db: Database, now: datetime) -> Agenda:
        from smartreturn.apply.agenda import build_agenda

        hour = now.astimezone(self.settings.general.tz).replace(minute=0, second=0, microsecond=0)
        with db.session() as session:
            key = (tuple(session.execute(_FINGERPRINT).one()), hour)
        if key == self._key and self._agenda is not None:
            return self._agenda
        with self._lock:  # one computation at a time: build_agenda also writes the Deadline rows
            if key == self._key and self._agenda is not None:
                return self._agenda
            with db.session() as session:
                agenda = build_agenda(session, now, self.settings)  # writes Deadline rows only: not in the key
            self._key, self._agenda = key, agenda
            return agenda

    def invalidate(self) -> None:
        self._key = None
