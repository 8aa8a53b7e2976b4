"""CSV and JSON export of the statistics tables (one CSV file per table)."""

from __future__ import annotations

import csv
from pathlib import Path

from smartreturn.neutralise import csv_row
from smartreturn.stats.report import Stats


def write_csv(stats: Stats, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in stats.tables().items():
        path = directory / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            if rows:
                # csv_row: a cell a spreadsheet would run as a formula (=HYPERLINK(...) from a mail) is prefixed '
                writer = csv.DictWriter(handle, fieldnames=list(csv_row(rows[0]).keys()))
                writer.writeheader()
                writer.writerows(csv_row({k: ("" if v is None else v) for k, v in row.items()}) for row in rows)
        written.append(path)
    return written


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
