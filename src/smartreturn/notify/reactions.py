"""React to stored mail at once: re-evaluate the cases a batch touched, push what became urgent, save due drafts.

The hourly reminders job is the safety net; this is the fast path. Every writer of mail calls
:func:`react_to_messages` after its transaction committed (the IMAP daemon after each batch, ``ingest``
at the end of a run, the web intake after a paste). It finds the orders and return cases the messages
wrote to, builds the agenda (which recomputes the deadlines), and for the items of those cases only sends
the urgent pushes and saves the follow-up drafts that are due, each exactly once (the outbox keys), so a
later hourly run or a second call sends nothing twice. Items of other cases wait for the hourly job:
a new mail never triggers a flood of unrelated reminders.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select

from smartreturn import clock
from smartreturn.config import Settings
from smartreturn.notify.apprise import Notifier
from smartreturn.notify.jobs import JobReport, current_agenda, send_urgent_pushes, write_followup_drafts
from smartreturn.store.db import Database
from smartreturn.store.tables import CaseEvent

log = logging.getLogger(__name__)

IN_CLAUSE_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Touched:
    """The orders and return cases some messages wrote to."""

    orders: frozenset[int] = frozenset()
    cases: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.orders or self.cases)


def touched_by(db: Database, message_pks: Iterable[int]) -> Touched:
    pks = sorted(set(message_pks))
    orders: set[int] = set()
    cases: set[int] = set()
    with db.session() as session:
        for start in range(0, len(pks), IN_CLAUSE_CHUNK):
            rows = session.execute(select(CaseEvent.order_id, CaseEvent.return_case_id)
                                   .where(CaseEvent.message_id.in_(pks[start:start + IN_CLAUSE_CHUNK])))
            for order_id, case_id in rows:
                if order_id is not None:
                    orders.add(order_id)
                if case_id is not None:
                    cases.add(case_id)
    return Touched(frozenset(orders), frozenset(cases))


def react_to_messages(db: Database, settings: Settings, message_pks: Iterable[int], *, now: datetime | None = None,
                      notifier: Notifier | None = None) -> JobReport:
    """Pushes and drafts due for the cases these (committed) messages touched. Safe to call repeatedly."""
    report = JobReport()
    wants_push = settings.notify.push_urgent and bool(settings.notify.urls)
    wants_drafts = settings.drafts.enabled and bool(settings.imap.accounts)
    if not (wants_push or wants_drafts):
        return report
    touched = touched_by(db, message_pks)
    if not (touched.cases if not wants_push else touched):  # drafts are for return cases only
        return report
    now = now or clock.now()
    agenda = current_agenda(db, settings, now, fresh=True)  # the mail was stored by another thread just now
    items = tuple(item for item in agenda.items
                  if item.return_case_id in touched.cases or item.order_id in touched.orders)
    if not items:
        return report
    relevant = replace(agenda, items=items)
    pushes = send_urgent_pushes(db, settings, now, relevant, notifier=notifier)
    drafts = write_followup_drafts(db, settings, now, relevant)
    report.sent += pushes.sent + drafts.sent
    report.failed += pushes.failed + drafts.failed
    if report.sent or report.failed:
        log.info("new mail touched %d orders / %d returns: %d pushes sent, %d drafts saved, %d failed (retried hourly)",
                 len(touched.orders), len(touched.cases), len(pushes.sent), len(drafts.sent), len(report.failed))
    return report


class ReactionQueue:
    """Between "a batch was stored" (IMAP worker threads) and "react to it" (the daemon's main loop).

    Workers :meth:`put` the message keys of each committed batch; the main loop :meth:`take` s all of
    them at once, so a backfill of many batches costs one agenda per loop tick, not one per batch.
    """

    def __init__(self, wakeup: threading.Event | None = None) -> None:
        self._lock = threading.Lock()
        self._pending: set[int] = set()
        self.wakeup = wakeup or threading.Event()  # shared with the signal handlers by the daemon

    def put(self, message_pks: Iterable[int]) -> None:
        with self._lock:
            before = len(self._pending)
            self._pending.update(message_pks)
            added = len(self._pending) > before
        if added:
            self.wakeup.set()

    def take(self) -> set[int]:
        with self._lock:
            pending, self._pending = self._pending, set()
            self.wakeup.clear()
        return pending

    def give_back(self, message_pks: Iterable[int]) -> None:
        """Keys whose reaction failed (the database was down): tried again on the next tick."""
        with self._lock:
            self._pending.update(message_pks)
