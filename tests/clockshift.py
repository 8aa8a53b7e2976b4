"""``--clock-shift=DATE``: run the tests with the process clock moved to DATE (time-machine).

Every wall-clock read in this process (``datetime.now``, ``date.today``, ``time.time``) starts at DATE
and ticks on from there; monotonic clocks and the servers the tests start are untouched. A test that
only passes on the day it was written fails under a shifted clock: ``tests/test_clock_independence.py``
runs the date-sensitive suites this way, far ahead and far back.

    ./scripts/test.sh tests/rules --clock-shift=2027-06-15
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--clock-shift", default=None, metavar="DATE",
                     help="Move the process clock to this ISO date or date-time (UTC) for the whole run.")


def pytest_configure(config: pytest.Config) -> None:
    value = config.getoption("--clock-shift")
    if not value:
        return
    import time_machine

    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(hour=moment.hour or 10, tzinfo=timezone.utc)
    traveller = time_machine.travel(moment, tick=True)
    traveller.start()
    config.add_cleanup(traveller.stop)
    if datetime.now(timezone.utc).date() != moment.date():  # the shift must really be in force
        raise pytest.UsageError(f"--clock-shift={value} did not move the clock")


def pytest_report_header(config: pytest.Config) -> str | None:
    value = config.getoption("--clock-shift")
    return f"clock shifted to {value} (time-machine)" if value else None
