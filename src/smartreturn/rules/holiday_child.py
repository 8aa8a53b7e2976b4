"""The program of the short-lived child process that asks the ``holidays`` package (holiday_tables.py).

This is the only module that imports ``holidays``; the daemon never imports this module, it runs it
in a fresh interpreter: ``python -c "from smartreturn.rules.holiday_child import main; main()" [CODE
FIRST LAST]``. Its protocol is one JSON object on stdout:

``{"supported": [codes], "holidays": {"2026": ["2026-01-01", ...], ...}, "errors": {"1800": "..."}}``

``supported`` lists every code ``holidays.country_holidays`` accepts (countries, their alpha-3 codes
and aliases, financial markets); ``holidays`` (and ``errors``) only when a code and years are given:
each year is computed on its own, as a calendar asked for one day of that year computes that year,
and a year the package cannot compute is named in ``errors`` without spoiling the others.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence


def supported_codes() -> list[str]:
    """The names ``holidays.country_holidays`` resolves to a holiday calendar (its lazy entity loaders)."""
    import holidays
    from holidays.registry import EntityLoader

    return sorted(name for name, value in vars(holidays).items()
                  if name.isupper() and isinstance(value, EntityLoader))


def holiday_dates(code: str, first: int, last: int) -> tuple[dict[str, list[str]], dict[str, str]]:
    """The public holidays of ``code`` per year from ``first`` to ``last`` (ISO dates), and the years
    that could not be computed with the error's text."""
    import holidays

    found: dict[str, list[str]] = {}
    errors: dict[str, str] = {}
    for year in range(first, last + 1):
        try:
            calendar = holidays.country_holidays(code, years=year)
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises its own error
            errors[str(year)] = f"{type(exc).__name__}: {exc}"
            continue
        found[str(year)] = sorted(day.isoformat() for day in calendar if day.year == year)
    return found, errors


def main(argv: Sequence[str] | None = None) -> None:
    """Answer on stdout (the protocol above); arguments: none, or CODE FIRST_YEAR LAST_YEAR."""
    args = list(sys.argv[1:] if argv is None else argv)
    answer: dict[str, object] = {"supported": supported_codes()}
    if args:
        code, first, last = args[0], int(args[1]), int(args[2])
        answer["holidays"], answer["errors"] = holiday_dates(code, first, last)
    json.dump(answer, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
