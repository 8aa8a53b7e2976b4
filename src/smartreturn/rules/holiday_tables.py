"""Public holidays per country and year, from the ``holidays`` package without importing it here.

``import holidays`` costs ~11 MB of resident memory (its package init pulls dateutil,
importlib.metadata, email, ...), and the first country asked for ~8 MB more (``holidays.countries``
imports all its country modules); a process keeps both for its whole life. The daemon's memory
(all its processes together) is to stay within 120 MB, and it needs a few dozen dates a year of a few
countries. So a short-lived child process (``python -c ...holiday_child.main()``, the only module that
imports ``holidays``) is asked, and its answer kept here: the codes the package supports once, and a
country's holidays for the years around the one asked (``year - SPAN`` to ``year + SPAN``) in one
call. The package stays the source of truth; no holiday is written down in this project.

A failed child (exit status, timeout, unreadable answer, a year the package cannot compute) raises
:class:`~smartreturn.errors.CalendarError`: a deadline is never counted on weekends only because the
holidays could not be had. The failure is remembered for :data:`RETRY_AFTER` seconds, so that a run
that computes many deadlines does not start (and wait for) a child per deadline; then it is retried.

The tables are shared by the daemon's threads: one lock guards them, and a thread that needs a
country not asked yet waits for the one child that is asked for it (~0.15 s).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import date

from smartreturn.child import run_json
from smartreturn.errors import CalendarError

log = logging.getLogger(__name__)

__all__ = ["SPAN", "TIMEOUT", "calendar_code", "public_holidays", "supported"]

# Order.region values that are not codes of the holidays package
_ALIASES = {"uk": "GB", "el": "GR"}
SPAN = 2            # years asked for on either side of the one needed
TIMEOUT = 30.0      # seconds for the child to answer
RETRY_AFTER = 60.0  # seconds during which a failure is raised again without asking another child
_PROGRAM = "from smartreturn.rules.holiday_child import main; main()"

_lock = threading.Lock()
_supported: frozenset[str] | None = None
_tables: dict[tuple[str, int], frozenset[date]] = {}
_failed: tuple[float, str] | None = None  # (monotonic time, message) of the last failed child


def calendar_code(country: str) -> str:
    """The ``holidays`` code of a country or region value (``uk`` -> ``GB``, ``el`` -> ``GR``, ``de`` -> ``DE``)."""
    return _ALIASES.get(country.lower(), country.upper())


def supported(country: str) -> bool:
    """Whether the ``holidays`` package has a calendar for ``country`` (a code or an alias)."""
    code = calendar_code(country)
    with _lock:
        if _supported is None:
            _ask()
        assert _supported is not None
        return code in _supported


def public_holidays(country: str, year: int) -> frozenset[date]:
    """The public holidays of ``country`` in ``year`` as ``holidays.country_holidays(code)`` has them
    (observed days included); empty when the package has no calendar for the country."""
    code = calendar_code(country)
    with _lock:
        table = _tables.get((code, year))
        if table is not None:
            return table
        if _supported is None or code in _supported:
            _ask(code, year)
        assert _supported is not None
        if code not in _supported:
            return frozenset()
        return _tables[(code, year)]


def _ask(code: str | None = None, year: int = 0) -> None:
    """Run the child (under ``_lock``): the supported codes, and ``code``'s years around ``year``."""
    global _supported, _failed
    if _failed is not None:
        if time.monotonic() - _failed[0] < RETRY_AFTER:
            raise CalendarError(f"{_failed[1]} (at most every {RETRY_AFTER:.0f} s the child is asked again)")
        _failed = None
    args = [] if code is None else [code, str(max(year - SPAN, 1)), str(min(year + SPAN, 9999))]
    try:
        answer = _run(args)
        supported_codes = frozenset(str(c) for c in answer["supported"])
        tables: dict[tuple[str, int], frozenset[date]] = {}
        errors: dict[str, str] = {}
        if code is not None:
            tables = {(code, int(y)): frozenset(date.fromisoformat(d) for d in days)
                      for y, days in answer["holidays"].items()}
            errors = {str(y): str(why) for y, why in answer["errors"].items()}
    except CalendarError as exc:
        _failed = (time.monotonic(), str(exc))
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        _failed = (time.monotonic(), f"the holidays child process gave an unreadable answer: {exc!r}")
        raise CalendarError(_failed[1]) from exc
    _supported = supported_codes
    _tables.update(tables)
    if code is not None and code in supported_codes and (code, year) not in tables:
        # not remembered as a failure: the package cannot compute this year, other years are fine
        raise CalendarError(f"the holidays package cannot compute the public holidays of {code} in {year}: "
                            f"{errors.get(str(year), 'no answer for the year')}")


def _run(args: list[str]) -> dict[str, object]:
    """The child's JSON answer; CalendarError naming why when there is none."""
    what = f"holidays child process ({' '.join(args) or 'supported codes'})"
    return run_json(["-c", _PROGRAM, *args], what=what, error=CalendarError, timeout=TIMEOUT)[0]
