"""What every command needs: the settings and the database, opened once per invocation."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from datetime import date, datetime
from enum import Enum
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from smartreturn import logsafe
from smartreturn.config import Settings, load_settings
from smartreturn.neutralise import term_text
from smartreturn.store.db import Database, open_database

console = Console()
err_console = Console(stderr=True)

PIPE_WIDTH = 10_000  # piped output (files, journald, CI logs): tables as wide as their content, never cut


def fit_output() -> None:
    """In a terminal tables fit its width; when stdout is not a terminal they are printed untruncated."""
    if not console.is_terminal:
        console.width = PIPE_WIDTH


def print_rows(rows: list[dict[str, Any]], *, title: str | None = None, fmt: str = "table") -> None:
    """A listing as a table, or as TSV (header line, tab-separated, tabs/newlines in cells as spaces)."""
    if fmt == "tsv":
        if rows:
            keys = list(rows[0])
            lines = ["\t".join(keys)] + ["\t".join(_tsv(row.get(k)) for k in keys) for row in rows]
            sys.stdout.write("\n".join(lines) + "\n")
        return
    table = Table(*rows[0].keys(), title=title) if rows else None
    if table is None:
        return
    for row in rows:
        table.add_row(*map(cell, row.values()))
    console.print(table)


def _tsv(value: Any) -> str:
    text = "" if value is None else str(value)
    return " ".join(text.replace("\t", " ").splitlines())


def shown_of(shown: int, total: int, limit: int) -> str | None:
    """'200 of 6,051 shown; --limit 0 for all' when a listing was cut by --limit, else None."""
    if limit and shown >= limit and total > shown:
        return f"{shown:,} of {total:,} shown; --limit 0 for all"
    return None


def settings_of(ctx: typer.Context) -> Settings:
    root = ctx.find_root()
    obj = root.obj if isinstance(root.obj, dict) else {}
    if "settings" not in obj:
        obj["settings"] = load_settings(obj.get("config_path"))
        logsafe.remember(obj["settings"])
        root.obj = obj
    return obj["settings"]


def database_of(ctx: typer.Context) -> Database:
    root = ctx.find_root()
    settings = settings_of(ctx)
    obj = root.obj
    if "database" not in obj:
        obj["database"] = open_database(settings.database_url)
        ctx.call_on_close(obj["database"].dispose)
    return obj["database"]


def cell(value: Any, style: str = "") -> Text:
    """A table cell or line shown literally: mail-derived text is never rich markup and never drives the
    terminal (escape sequences and controls removed, bidi/zero-width characters shown: neutralise.py)."""
    return term_text(value, style)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(data: Any) -> None:
    """Stable JSON on stdout: sorted keys, UTF-8, Decimal as string, ISO-8601 times."""
    sys.stdout.write(json.dumps(data, default=_default, ensure_ascii=False, sort_keys=True, indent=2) + "\n")
