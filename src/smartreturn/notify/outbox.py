"""Exactly-once delivery keyed by an idempotency key recorded in the store.

1. The key is recorded (status ``sending``) and committed *before* sending.
2. After a successful send it becomes ``sent``; after a failure ``failed`` with a retry time.
A key that is ``sent`` is never sent again. A crash between sending and recording leaves ``sending``:
the next run sends it again (at-least-once in that one window: it is never lost).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from smartreturn.errors import NotifyError
from smartreturn.store.db import Database
from smartreturn.store.tables import Notification

log = logging.getLogger(__name__)

RETRY_BASE = timedelta(minutes=5)
RETRY_MAX = timedelta(hours=6)


class Delivery(StrEnum):
    SENT = "sent"
    ALREADY_SENT = "already_sent"
    DEFERRED = "deferred"      # failed before; its retry time has not come
    FAILED = "failed"


def retry_delay(attempts: int) -> timedelta:
    return min(RETRY_MAX, RETRY_BASE * (2 ** max(0, attempts - 1)))


def deliver_once(db: Database, key: str, channel: str, subject: str, send: Callable[[], None], now: datetime) -> Delivery:
    if not _claim(db, key, channel, subject, now):
        with db.session() as session:
            row = session.scalar(select(Notification).where(Notification.idempotency_key == key))
            return Delivery.ALREADY_SENT if row is not None and row.status == "sent" else Delivery.DEFERRED
    try:
        send()
    except NotifyError as exc:
        with db.session() as session:
            row = session.scalar(select(Notification).where(Notification.idempotency_key == key))
            row.status = "failed"
            row.last_error = str(exc)[:2000]
            row.next_attempt_at = now + retry_delay(row.attempts)
        log.warning("notification %s (%s) failed, will retry: %s", key, channel, exc)
        return Delivery.FAILED
    with db.session() as session:
        row = session.scalar(select(Notification).where(Notification.idempotency_key == key))
        row.status, row.sent_at, row.last_error, row.next_attempt_at = "sent", now, None, None
    log.info("%s %s: %s (%s)", channel, "saved to Drafts" if channel == "draft" else "sent", key, _safe(subject))
    return Delivery.SENT


def _safe(text: str) -> str:
    """A subject for the log: one line, printable, short (subjects quote mail content)."""
    return "".join(ch if ch.isprintable() else " " for ch in text)[:120]


def _claim(db: Database, key: str, channel: str, subject: str, now: datetime) -> bool:
    """Record the key as 'sending' (committed) if it may be sent now."""
    try:
        with db.session() as session:
            row = session.scalar(select(Notification).where(Notification.idempotency_key == key))
            if row is None:
                row = Notification(idempotency_key=key, channel=channel, subject=subject[:500], status="pending",
                                   attempts=0, created_at=now)
                session.add(row)
            elif row.status == "sent" or (row.status == "failed" and row.next_attempt_at and row.next_attempt_at > now):
                return False
            row.status = "sending"
            row.attempts += 1
    except IntegrityError:  # another process claimed the same key at the same moment
        return False
    return True
