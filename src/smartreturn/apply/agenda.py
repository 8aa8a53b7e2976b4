"""The deadlines and the agenda of a moment: load the snapshot, let the rules decide, store their answer.

``recompute_deadlines`` writes Deadline rows (an idempotent upsert); ``build_agenda`` does that, then
finds the anomalies and assembles the agenda from the same snapshot. Everything else is read.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from smartreturn.rules.agenda import Agenda
from smartreturn.rules.anomalies import find_anomalies, merchant_history
from smartreturn.rules.build import assemble_agenda, collector_paused
from smartreturn.rules.deadlines import RuleContext, compute_deadlines
from smartreturn.snapshot import Snapshot
from smartreturn.store.deadlines import sync_deadlines
from smartreturn.store.snapshot import load_snapshot

log = logging.getLogger(__name__)


def refresh_deadlines(session: Session, snap: Snapshot, now: datetime, ctx: RuleContext) -> tuple[Snapshot, int]:
    """The snapshot with its deadlines recomputed and stored; and how many rows changed."""
    stored, changed = sync_deadlines(session, snap.deadlines, compute_deadlines(snap, now, ctx), now)
    log.info("deadlines recomputed: %d changed", changed)
    return replace(snap, deadlines=stored), changed


def recompute_deadlines(session: Session, now: datetime, ctx: RuleContext | None = None,
                        snapshot: Snapshot | None = None) -> int:
    """Upsert the deadlines of open orders and open return cases; returns the rows changed."""
    snap = snapshot or load_snapshot(session, now, history=False)
    return refresh_deadlines(session, snap, now, ctx or RuleContext.default())[1]


def build_agenda(session: Session, now: datetime, settings: Any, ctx: RuleContext | None = None) -> Agenda:
    """The agenda for ``now`` (tz-aware). ``ctx`` defaults to the rules and time zone of ``settings``."""
    with collector_paused():
        # the snapshot and everything derived from it are freed (by reference counting) when _build
        # returns, before the collector runs again: it then has only the agenda itself to look at
        return _build(session, now, settings, ctx or RuleContext.from_settings(settings))


def _build(session: Session, now: datetime, settings: Any, ctx: RuleContext) -> Agenda:
    snap = load_snapshot(session, now, unmatched_days=settings.rules.parser_health_days)
    snap, _ = refresh_deadlines(session, snap, now, ctx)
    history = merchant_history(snap, now, ctx)
    anomalies = find_anomalies(
        snap, now, ctx, stuck_days=settings.tracking.stuck_days, received_days=settings.rules.received_no_refund_days,
        min_history=settings.rules.anomaly_min_history, history=history,
        archive_after=timedelta(days=settings.tracking.archive_after_days))
    return assemble_agenda(snap, now, settings, ctx, anomalies, history)
