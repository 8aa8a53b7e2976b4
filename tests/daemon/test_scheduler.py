"""The in-process scheduler: intervals, daily local times across DST, persistence, failing jobs."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from smartreturn.config import Settings
from smartreturn.daemon.scheduler import JobSpec, Schedule, Scheduler, next_daily
from smartreturn.store.db import Database
from smartreturn.store.tables import JobState

BERLIN = ZoneInfo("Europe/Berlin")
UTC = timezone.utc
T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_interval_job_runs_at_start_then_every_interval(sqlite_db: Database) -> None:
    runs: list[datetime] = []
    scheduler = Scheduler(sqlite_db, BERLIN)
    scheduler.register("poll", lambda db, settings, now: runs.append(now), every=600)
    settings = Settings()
    assert scheduler.run_due(settings, T0) == T0 + timedelta(minutes=10)
    assert scheduler.run_due(settings, T0 + timedelta(minutes=9)) == T0 + timedelta(minutes=10)
    scheduler.run_due(settings, T0 + timedelta(minutes=10))
    assert runs == [T0, T0 + timedelta(minutes=10)]


def test_last_run_survives_a_restart(sqlite_db: Database) -> None:
    runs: list[datetime] = []
    first = Scheduler(sqlite_db, BERLIN)
    first.register("poll", lambda db, settings, now: runs.append(now), every=timedelta(hours=1))
    first.run_due(Settings(), T0)
    restarted = Scheduler(sqlite_db, BERLIN)  # a new process, same database
    restarted.register("poll", lambda db, settings, now: runs.append(now), every=timedelta(hours=1))
    assert restarted.run_due(Settings(), T0 + timedelta(minutes=5)) == T0 + timedelta(hours=1)
    assert runs == [T0]
    with sqlite_db.session() as session:
        state = session.get(JobState, "poll")
        assert (state.last_run_at, state.next_run_at, state.last_error) == (T0, T0 + timedelta(hours=1), None)


def test_daily_job_runs_at_local_time_and_catches_up_once_after_downtime(sqlite_db: Database) -> None:
    runs: list[datetime] = []
    scheduler = Scheduler(sqlite_db, BERLIN)
    scheduler.register("digest", lambda db, settings, now: runs.append(now), daily_at="08:00")
    morning = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # 07:00 in Berlin
    assert scheduler.run_due(Settings(), morning) == datetime(2026, 11, 25, 7, 0, tzinfo=UTC)  # 08:00 CET
    assert runs == []
    scheduler.run_due(Settings(), datetime(2026, 11, 25, 7, 0, tzinfo=UTC))
    # down for two days: one catch-up run, not two
    late = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert scheduler.run_due(Settings(), late) == datetime(2026, 11, 28, 7, 0, tzinfo=UTC)
    assert scheduler.run_due(Settings(), late + timedelta(minutes=1)) == datetime(2026, 11, 28, 7, 0, tzinfo=UTC)
    assert len(runs) == 2


@pytest.mark.parametrize(("after", "at", "expected"), [
    # spring forward 2026-03-29 in Berlin: 02:30 does not exist that day, the job runs at 03:30 CEST
    (datetime(2026, 3, 29, 0, 0, tzinfo=UTC), time(2, 30), datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
    # the day after the change 08:00 is CEST (06:00 UTC), the day before it was CET (07:00 UTC)
    (datetime(2026, 3, 28, 8, 0, tzinfo=UTC), time(8, 0), datetime(2026, 3, 29, 6, 0, tzinfo=UTC)),
    # fall back 2026-10-25: 02:30 happens twice; the first one counts
    (datetime(2026, 10, 24, 23, 0, tzinfo=UTC), time(2, 30), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    # exactly at the time: the next day
    (datetime(2026, 11, 25, 7, 0, tzinfo=UTC), time(8, 0), datetime(2026, 11, 26, 7, 0, tzinfo=UTC)),
])
def test_next_daily_is_dst_safe(after: datetime, at: time, expected: datetime) -> None:
    assert next_daily(at, after, BERLIN) == expected


def test_a_failing_job_is_recorded_and_does_not_stop_the_others(sqlite_db: Database) -> None:
    runs: list[str] = []

    def broken(db, settings, now):
        raise RuntimeError("provider down")

    scheduler = Scheduler(sqlite_db, BERLIN)
    scheduler.register("broken", broken, every=60)
    scheduler.register("fine", lambda db, settings, now: runs.append("fine"), every=60)
    scheduler.run_due(Settings(), T0)
    assert runs == ["fine"]
    with sqlite_db.session() as session:
        assert session.get(JobState, "broken").last_error == "RuntimeError: provider down"
        assert session.get(JobState, "fine").last_error is None


def test_builtin_jobs_of_areas_that_are_not_installed_are_skipped(sqlite_db: Database) -> None:
    scheduler = Scheduler(sqlite_db, BERLIN)
    specs = (
        JobSpec("missing", "smartreturn.no_such_module:run", lambda s: Schedule(every=timedelta(minutes=1))),
        JobSpec("present", "smartreturn.daemon.scheduler:next_daily", lambda s: Schedule(every=timedelta(minutes=1))),
        JobSpec("disabled", "smartreturn.daemon.scheduler:next_daily", lambda s: None),
    )
    assert scheduler.register_builtin(Settings(), specs) == ["present"]


def test_a_schedule_needs_exactly_one_kind() -> None:
    with pytest.raises(ValueError):
        Schedule()
    with pytest.raises(ValueError):
        Schedule(every=timedelta(minutes=1), daily_at=time(8))


def test_every_builtin_job_resolves_to_a_function_of_db_settings_now() -> None:
    import inspect

    from smartreturn.daemon.scheduler import BUILTIN_JOBS, resolve

    for spec in BUILTIN_JOBS:
        func = resolve(spec.target)
        assert callable(func), f"{spec.name}: {spec.target} does not exist"
        assert list(inspect.signature(func).parameters)[:3] == ["db", "settings", "now"], spec.target


def test_builtin_jobs_follow_the_settings(sqlite_db: Database) -> None:
    quiet = Settings()
    assert Scheduler(sqlite_db, BERLIN).register_builtin(quiet) == []
    busy = Settings.model_validate({"notify": {"urls": ["json://127.0.0.1:9/x"], "digest_time": "07:30"},
                                    "tracking": {"providers": ["17track"]}})
    scheduler = Scheduler(sqlite_db, BERLIN)
    assert {"tracking_poll", "reminders", "digest"} <= set(scheduler.register_builtin(busy))
    assert scheduler.jobs["digest"].schedule.daily_at == time(7, 30)
