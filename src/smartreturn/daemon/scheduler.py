"""A tiny in-process job scheduler, ticked by the daemon's main loop.

Jobs are ``func(db, settings, now)`` run every N seconds or daily at a local wall-clock time
(``general.timezone``). The last run is kept in the ``job_state`` table, so a restart neither repeats
a job that just ran nor skips one that was due while the daemon was down (it runs once, at start).
A failing job is logged with its error stored in ``job_state.last_error``; it never stops the loop.

Other areas plug in through :data:`BUILTIN_JOBS` (dotted names, imported lazily; a missing module
is skipped with a log line, so the daemon runs whichever features exist).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from smartreturn import clock
from smartreturn.config import Settings
from smartreturn.store.db import Database
from smartreturn.store.tables import JobState

log = logging.getLogger(__name__)

JobFunc = Callable[[Database, Settings, datetime], object]


@dataclass(frozen=True, slots=True)
class Schedule:
    every: timedelta | None = None
    daily_at: time | None = None  # wall-clock time in the user's zone

    def __post_init__(self) -> None:
        if (self.every is None) == (self.daily_at is None):
            raise ValueError("a schedule needs exactly one of every= or daily_at=")
        if self.every is not None and self.every <= timedelta(0):
            raise ValueError("every= must be positive")

    def next_run(self, last_run: datetime | None, now: datetime, tz: ZoneInfo) -> datetime:
        """When the job is due: never run -> now (interval) or the next occurrence (daily)."""
        if self.every is not None:
            return now if last_run is None else last_run + self.every
        assert self.daily_at is not None
        return next_daily(self.daily_at, last_run or now, tz)


def next_daily(at: time, after: datetime, tz: ZoneInfo) -> datetime:
    """The first instant after ``after`` whose local time in ``tz`` is ``at`` (DST-safe), in UTC."""
    local_day: date = after.astimezone(tz).date()
    for offset in range(0, 3):
        candidate = datetime.combine(local_day + timedelta(days=offset), at, tzinfo=tz)
        # a time in a spring-forward gap does not exist: fold it onto the real instant after the gap
        candidate = candidate.astimezone(timezone.utc)
        if candidate > after:
            return candidate
    raise AssertionError("unreachable: a daily time always occurs within two days")


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    schedule: Schedule
    func: JobFunc


@dataclass(frozen=True, slots=True)
class JobSpec:
    """A job another area provides, resolved lazily: ``target`` is ``"module:function"``."""

    name: str
    target: str
    schedule: Callable[[Settings], Schedule | None]  # None: disabled by the settings


def _digest_schedule(settings: Settings) -> Schedule | None:
    if not (settings.notify.urls or settings.notify.digest_urls):
        return None
    hour, _, minute = settings.notify.digest_time.partition(":")
    return Schedule(daily_at=time(int(hour), int(minute)))


BUILTIN_JOBS: tuple[JobSpec, ...] = (
    JobSpec("tracking_poll", "smartreturn.tracking.poller:run_tracking_job",
            lambda s: Schedule(every=timedelta(minutes=10)) if s.tracking.providers else None),
    JobSpec("reminders", "smartreturn.notify.jobs:run_reminders_job",
            lambda s: Schedule(every=timedelta(hours=1)) if s.notify.urls else None),
    JobSpec("digest", "smartreturn.notify.jobs:run_digest_job", _digest_schedule),
    JobSpec("weekly_stats", "smartreturn.notify.weekly:run_weekly_stats_job",
            lambda s: _digest_schedule(s) if s.notify.weekly_stats else None),
)


def resolve(target: str) -> JobFunc | None:
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            log.info("job %s is not available in this build (%s missing)", target, exc.name)
            return None
        raise
    func = getattr(module, attr, None)
    if func is None:
        log.warning("job %s: %s has no %s", target, module_name, attr)
    return func


class Scheduler:
    def __init__(self, db: Database, tz: ZoneInfo) -> None:
        self.db = db
        self.tz = tz
        self.jobs: dict[str, Job] = {}

    def register(self, name: str, func: JobFunc, *, every: timedelta | float | None = None,
                 daily_at: time | str | None = None) -> Job:
        """Add a job: ``every`` (timedelta or seconds) or ``daily_at`` ("HH:MM" or time, local)."""
        if isinstance(every, (int, float)):
            every = timedelta(seconds=every)
        if isinstance(daily_at, str):
            daily_at = time.fromisoformat(daily_at)
        job = Job(name, Schedule(every=every, daily_at=daily_at), func)
        self.jobs[name] = job
        return job

    def register_builtin(self, settings: Settings, specs: tuple[JobSpec, ...] = BUILTIN_JOBS) -> list[str]:
        names = []
        for spec in specs:
            schedule = spec.schedule(settings)
            if schedule is None:
                continue
            func = resolve(spec.target)
            if func is not None:
                self.jobs[spec.name] = Job(spec.name, schedule, func)
                names.append(spec.name)
        return names

    def run_due(self, settings: Settings, now: datetime | None = None, hold: Collection[str] = ()) -> datetime | None:
        """Run every job that is due, except those named in ``hold`` (they wait, e.g. for the first
        sync after start-up); returns when the next one is due (None without jobs)."""
        now = now or clock.now()
        upcoming: list[datetime] = []
        for job in list(self.jobs.values()):
            if job.name in hold:
                continue
            with self.db.session() as session:
                state = session.get(JobState, job.name) or JobState(name=job.name)
                session.add(state)
                if state.last_run_at is None and state.next_run_at is not None:
                    due = state.next_run_at  # never ran: keep the first due time once chosen
                else:
                    due = job.schedule.next_run(state.last_run_at, now, self.tz)
                if due > now:
                    state.next_run_at = due
                    upcoming.append(due)
                    continue
            upcoming.append(self._run(job, settings, now))
        return min(upcoming, default=None)

    def _run(self, job: Job, settings: Settings, now: datetime) -> datetime:
        log.info("running job %s", job.name)
        error: str | None = None
        try:
            job.func(self.db, settings, now)
        except Exception as exc:  # noqa: BLE001 - one failing job must not stop the daemon
            log.exception("job %s failed", job.name)
            error = f"{type(exc).__name__}: {exc}"[:2000]
        following = job.schedule.next_run(now, now, self.tz)
        with self.db.session() as session:
            state = session.get(JobState, job.name) or JobState(name=job.name)
            session.add(state)
            state.last_run_at = now
            state.next_run_at = following
            state.last_error = error
        return following

    def states(self) -> list[JobState]:
        with self.db.session() as session:
            return list(session.scalars(select(JobState).order_by(JobState.name)))
