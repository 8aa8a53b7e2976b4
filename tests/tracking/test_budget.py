"""QuotaBudget driven by an injected clock, persisted in provider_usage."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from smartreturn.store.tables import ProviderUsage
from smartreturn.tracking.budget import QuotaBudget, QuotaLimits


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock():
    return FakeClock(datetime(2026, 11, 25, 12, 0, 0, tzinfo=timezone.utc))


def test_three_per_second_sliding_window(clock):
    budget = QuotaBudget("17track", QuotaLimits(per_second=3), clock=clock)
    assert [budget.try_acquire() for _ in range(4)] == [True, True, True, False]
    assert budget.wait_time() == pytest.approx(1.0)
    clock.advance(0.4)
    assert not budget.try_acquire()
    assert budget.wait_time() == pytest.approx(0.6)
    clock.advance(0.6)
    assert budget.wait_time() == 0.0
    assert budget.try_acquire()


def test_window_slides_per_request(clock):
    budget = QuotaBudget("17track", QuotaLimits(per_second=2), clock=clock)
    assert budget.try_acquire()
    clock.advance(0.5)
    assert budget.try_acquire()
    clock.advance(0.5)  # the first one left the window, the second not yet
    assert budget.try_acquire()
    assert not budget.try_acquire()
    assert budget.wait_time() == pytest.approx(0.5)


def test_cost_above_a_limit_can_never_be_paid(clock):
    budget = QuotaBudget("17track:quota", QuotaLimits(per_month=10), clock=clock)
    assert budget.wait_time(11) == float("inf")
    assert not budget.try_acquire(11)


def test_hourly_limit_resets_at_the_next_hour(clock, sqlite_db):
    budget = QuotaBudget("aftership", QuotaLimits(per_hour=2), clock=clock, db=sqlite_db)
    assert budget.try_acquire() and budget.try_acquire()
    assert not budget.try_acquire()
    clock.advance(25 * 60)
    assert budget.wait_time() == pytest.approx(35 * 60)
    clock.advance(35 * 60)
    assert budget.try_acquire()


def test_monthly_quota_survives_a_restart(clock, sqlite_db):
    limits = QuotaLimits(per_month=5)
    first = QuotaBudget("17track:quota", limits, clock=clock, db=sqlite_db)
    assert first.try_acquire(3)
    restarted = QuotaBudget("17track:quota", limits, clock=clock, db=sqlite_db)  # a new process
    assert restarted.used() == (3, 3)
    assert restarted.remaining_this_month() == 2
    assert not restarted.try_acquire(3)   # all or nothing: nothing was charged
    assert restarted.try_acquire(2)
    with sqlite_db.session() as session:
        rows = dict(session.execute(select(ProviderUsage.period, ProviderUsage.count)
                                    .where(ProviderUsage.provider == "17track:quota")).all())
    assert rows == {"2026-11": 5, "2026-11-25T12": 5}


def test_monthly_quota_rolls_over_on_the_first(clock, sqlite_db):
    clock.now = datetime(2026, 12, 31, 23, 59, 30, tzinfo=timezone.utc)
    budget = QuotaBudget("kuaidi100:quota", QuotaLimits(per_month=1), clock=clock, db=sqlite_db)
    assert budget.try_acquire()
    assert not budget.try_acquire()
    assert budget.wait_time() == pytest.approx(30)
    clock.advance(30)
    assert budget.try_acquire()  # January 2027


def test_two_budgets_on_one_database_share_the_count(clock, sqlite_db):
    limits = QuotaLimits(per_hour=3)
    daemon = QuotaBudget("17track", limits, clock=clock, db=sqlite_db)
    cli = QuotaBudget("17track", limits, clock=clock, db=sqlite_db)
    assert daemon.try_acquire(2)
    assert not cli.try_acquire(2)
    assert cli.try_acquire(1)
    assert not daemon.try_acquire()


def test_a_refused_request_does_not_consume_the_per_second_window(clock, sqlite_db):
    budget = QuotaBudget("17track", QuotaLimits(per_second=3, per_month=1), clock=clock, db=sqlite_db)
    assert budget.try_acquire()
    assert not budget.try_acquire()  # month used up
    assert budget.used() == (1, 1)


def test_margin_widens_the_window(clock):
    budget = QuotaBudget("17track", QuotaLimits(per_second=1), clock=clock, margin=0.05)
    assert budget.try_acquire()
    clock.advance(1.0)
    assert not budget.try_acquire()
    assert budget.wait_time() == pytest.approx(0.05)
