"""The holiday tables (asked from a child process) are the ``holidays`` package's, day for day.

This test process imports ``holidays`` itself to compare; the daemon never does (tests/test_layers.py).
"""

from __future__ import annotations

import sys
from datetime import date, timedelta

import holidays
import pytest

from smartreturn.errors import CalendarError
from smartreturn.rules import holiday_tables
from smartreturn.rules.return_window import WorkingDays

YEARS = range(2020, 2031)
# region or country value -> the code the package is asked for (None: it has no calendar)
COUNTRIES = {"DE": "DE", "de": "DE", "FR": "FR", "GB": "GB", "uk": "GB", "CN": "CN", "US": "US",
             "GR": "GR", "el": "GR", "NL": "NL", "XX": None, "eu": None}


def _old_calendar(country: str) -> holidays.HolidayBase | None:
    """What return_window asked before the tables: one calendar per country, years filled on demand."""
    code = {"uk": "GB", "el": "GR"}.get(country.lower(), country.upper())
    try:
        return holidays.country_holidays(code)
    except NotImplementedError:
        return None


@pytest.mark.parametrize("country", sorted(COUNTRIES))
def test_tables_are_the_packages(country: str) -> None:
    code = COUNTRIES[country]
    assert holiday_tables.supported(country) is (code is not None)
    for year in YEARS:
        table = holiday_tables.public_holidays(country, year)
        expected = frozenset(holidays.country_holidays(code, years=year)) if code else frozenset()
        assert table == expected, (country, year)
        assert all(day.year == year for day in table)
    if code is not None:
        assert holiday_tables.public_holidays(country, 2026) >= {date(2026, 1, 1)}


@pytest.mark.parametrize("country", sorted(COUNTRIES))
def test_working_days_are_as_before(country: str) -> None:
    """Every day of 2020-2030, asked in order of the calendar as the deadline code asks."""
    old, new = _old_calendar(country), WorkingDays(country)
    day = date(YEARS[0], 1, 1)
    while day.year <= YEARS[-1]:
        assert new.is_working(day) is (day.weekday() < 5 and (old is None or day not in old)), day
        day += timedelta(days=1)


def test_unknown_codes_are_weekends_only() -> None:
    assert not holiday_tables.supported("JAN")  # a constant of the package, no calendar
    assert WorkingDays("XX").roll_forward(date(2027, 1, 1)) == date(2027, 1, 1)
    assert WorkingDays(None).roll_forward(date(2027, 1, 2)) == date(2027, 1, 4)
    assert WorkingDays("de").roll_forward(date(2027, 1, 1)) == date(2027, 1, 4)  # Neujahr, weekend


@pytest.fixture
def fresh_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Empty tables, so that the next question runs the child (and what is patched in)."""
    monkeypatch.setattr(holiday_tables, "_supported", None)
    monkeypatch.setattr(holiday_tables, "_tables", {})
    monkeypatch.setattr(holiday_tables, "_failed", None)


@pytest.mark.parametrize(("program", "why"), [
    ("import sys; sys.exit('no holidays here')", "exit status 1: no holidays here"),
    ("print('not json')", "not JSON"),
    ("print('[1, 2]')", "not a JSON object"),
    ("print('{\"supported\": 3}')", "unreadable answer"),
    ("import time; time.sleep(5)", "no answer within 1 s"),
])
def test_a_failed_child_raises_and_is_not_asked_again_at_once(fresh_tables: None, monkeypatch: pytest.MonkeyPatch,
                                                              program: str, why: str) -> None:
    monkeypatch.setattr(holiday_tables, "_PROGRAM", program)
    monkeypatch.setattr(holiday_tables, "TIMEOUT", 1.0)
    with pytest.raises(CalendarError, match=why):
        WorkingDays("DE")
    monkeypatch.setattr(holiday_tables, "_PROGRAM", "raise AssertionError('asked again')")
    with pytest.raises(CalendarError, match=why):
        holiday_tables.public_holidays("DE", 2026)
    monkeypatch.setattr(holiday_tables, "RETRY_AFTER", 0.0)
    monkeypatch.setattr(holiday_tables, "_PROGRAM", "from smartreturn.rules.holiday_child import main; main()")
    assert date(2026, 12, 25) in holiday_tables.public_holidays("DE", 2026)


def test_a_year_the_package_cannot_compute_is_an_error(fresh_tables: None, monkeypatch: pytest.MonkeyPatch) -> None:
    program = ("import json; print(json.dumps({'supported': ['DE'], 'holidays': {'2025': ['2025-01-01']},"
               " 'errors': {'2026': 'ValueError: out of range'}}))")
    monkeypatch.setattr(holiday_tables, "_PROGRAM", program)
    with pytest.raises(CalendarError, match="DE in 2026: ValueError: out of range"):
        holiday_tables.public_holidays("DE", 2026)
    assert holiday_tables.public_holidays("DE", 2025) == {date(2025, 1, 1)}  # kept, no child asked


def test_the_child_speaks_json(capsys: pytest.CaptureFixture[str]) -> None:
    from smartreturn.rules.holiday_child import main

    main(["GB", "2026", "2026"])
    out = capsys.readouterr().out
    assert '"2026-12-25"' in out and '"UK"' in out and '"errors": {}' in out
    assert "holidays" in sys.modules
