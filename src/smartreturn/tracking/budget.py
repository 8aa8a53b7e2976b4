"""Per-provider request budget: per second (sliding window), per calendar hour and month (UTC).

The hourly and monthly counts live in the ``provider_usage`` table, so a restart (or the CLI running
beside the daemon) does not reset them; they are charged with a conditional UPDATE inside one
transaction, so two processes never overspend. The per-second window is kept in memory.
The clock is injected (a callable returning a tz-aware datetime) so tests can drive time.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from smartreturn import clock
from smartreturn.store.db import Database
from smartreturn.store.tables import ProviderUsage

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_clock() -> datetime:
    return clock.now()


@dataclass(frozen=True, slots=True)
class QuotaLimits:
    per_second: int | None = None
    per_hour: int | None = None
    per_month: int | None = None


def month_key(now: datetime) -> str:
    return now.astimezone(timezone.utc).strftime("%Y-%m")


def hour_key(now: datetime) -> str:
    return now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H")


def _next_hour(now: datetime) -> datetime:
    now = now.astimezone(timezone.utc)
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def _next_month(now: datetime) -> datetime:
    now = now.astimezone(timezone.utc)
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return first.replace(year=first.year + 1, month=1) if first.month == 12 else first.replace(month=first.month + 1)


class QuotaBudget:
    """``try_acquire(cost)`` charges the budget if every limit allows it; ``wait_time(cost)`` says
    how many seconds until it would. A cost is requests (or, for a registration quota, numbers)."""

    def __init__(self, provider: str, limits: QuotaLimits, *, clock: Clock = utc_clock,
                 db: Database | None = None, margin: float = 0.0) -> None:
        self.provider = provider
        self.limits = limits
        # The per-second window is ``1 s + margin``: requests leave at once but arrive with network
        # jitter, and the provider counts arrivals.
        self._second = timedelta(seconds=1 + margin)
        self._clock = clock
        self._db = db
        self._window: deque[datetime] = deque()
        self._memory: dict[str, int] = {}  # period -> count, when there is no database

    # --- public ------------------------------------------------------------------------------------
    def try_acquire(self, cost: int = 1) -> bool:
        now = self._clock()
        self._trim(now)
        if self.limits.per_second is not None and len(self._window) + cost > self.limits.per_second:
            return False
        if not self._charge_periods(now, cost):
            return False
        self._window.extend([now] * cost)
        return True

    def wait_time(self, cost: int = 1) -> float:
        """Seconds until ``try_acquire(cost)`` can succeed (0.0 = now). A cost larger than a limit
        can never be paid: ``float('inf')``."""
        limits = self.limits
        if any(limit is not None and cost > limit for limit in (limits.per_second, limits.per_hour, limits.per_month)):
            return float("inf")
        now = self._clock()
        self._trim(now)
        wait = 0.0
        if limits.per_second is not None and len(self._window) + cost > limits.per_second:
            oldest_needed = self._window[len(self._window) + cost - limits.per_second - 1]
            wait = max(wait, (oldest_needed + self._second - now).total_seconds())
        month, hour = self.used(now)
        if limits.per_hour is not None and hour + cost > limits.per_hour:
            wait = max(wait, (_next_hour(now) - now).total_seconds())
        if limits.per_month is not None and month + cost > limits.per_month:
            wait = max(wait, (_next_month(now) - now).total_seconds())
        return max(0.0, wait)

    def used(self, now: datetime | None = None) -> tuple[int, int]:
        """(this month's count, this hour's count)."""
        now = now or self._clock()
        keys = (month_key(now), hour_key(now))
        if self._db is None:
            return self._memory.get(keys[0], 0), self._memory.get(keys[1], 0)
        with self._db.session() as session:
            rows = dict(session.execute(
                select(ProviderUsage.period, ProviderUsage.count).where(
                    ProviderUsage.provider == self.provider, ProviderUsage.period.in_(keys))
            ).all())
        return rows.get(keys[0], 0), rows.get(keys[1], 0)

    def remaining_this_month(self) -> int | None:
        if self.limits.per_month is None:
            return None
        return max(0, self.limits.per_month - self.used()[0])

    # --- internals ---------------------------------------------------------------------------------
    def _trim(self, now: datetime) -> None:
        horizon = now - self._second
        while self._window and self._window[0] <= horizon:
            self._window.popleft()

    def _charge_periods(self, now: datetime, cost: int) -> bool:
        periods = ((month_key(now), self.limits.per_month), (hour_key(now), self.limits.per_hour))
        if self._db is None:
            if any(limit is not None and self._memory.get(key, 0) + cost > limit for key, limit in periods):
                return False
            for key, _ in periods:
                self._memory[key] = self._memory.get(key, 0) + cost
            return True
        try:
            self._charge_db(periods, cost)
        except _OverLimit as over:
            log.info("%s budget: period %s is used up", self.provider, over)
            return False
        return True

    def _charge_db(self, periods: tuple[tuple[str, int | None], ...], cost: int) -> None:
        assert self._db is not None
        with self._db.session() as session:  # raising _OverLimit rolls every charge back
            insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
            for key, _ in periods:
                session.execute(insert(ProviderUsage).values(provider=self.provider, period=key, count=0)
                                .on_conflict_do_nothing(index_elements=["provider", "period"]))
            for key, limit in periods:
                stmt = (update(ProviderUsage)
                        .where(ProviderUsage.provider == self.provider, ProviderUsage.period == key)
                        .values(count=ProviderUsage.count + cost))
                if limit is not None:
                    stmt = stmt.where(ProviderUsage.count + cost <= limit)
                if session.execute(stmt).rowcount != 1:
                    raise _OverLimit(key)


class _OverLimit(Exception):
    pass
