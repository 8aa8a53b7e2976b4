"""``smartreturn parsers list|health``: the registered parsers, and the drift alarm."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import typer
from rich.table import Table

from smartreturn import clock
from smartreturn.cli.context import cell, console, database_of, print_json

parsers_app = typer.Typer(help="The parsers: what is registered, and which senders stopped being understood.",
                          no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(parsers_app, name="parsers")


@parsers_app.command("list")
def list_parsers(
    root: Path = typer.Option(None, "--fixtures", help="Fixture folder (default: ./fixtures if present)."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Each parser with its version, kind and fixture count."""
    from smartreturn.parsers import fixtures
    from smartreturn.parsers.registry import load_parsers

    if root is None:
        try:
            root = fixtures.find_root()
        except FileNotFoundError:
            root = None
    rows = []
    for parser in load_parsers():
        folder = root / parser.name if root else None
        emls = sorted(folder.glob("*.eml")) if folder and folder.is_dir() else []
        rows.append({"name": parser.name, "version": parser.version,
                     "kind": "fallback" if getattr(parser, "fallback", False) else "specific",
                     "fixtures": len(emls), "negative": sum(1 for e in emls if not fixtures.expected_path(e).exists()),
                     "senders": len(getattr(parser, "senders", ()))})
    if json_out:
        print_json(rows)
        return
    table = Table("parser", "version", "kind", "fixtures", "of which negative", "senders", title="parsers")
    for row in rows:
        table.add_row(row["name"], str(row["version"]), row["kind"], str(row["fixtures"]), str(row["negative"]),
                      str(row["senders"]))
    console.print(table)


@parsers_app.command("health")
def health(
    ctx: typer.Context,
    days: int = typer.Option(7, "--days", min=1, help="Look back this many days."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Mail from known platform/carrier senders that produced no record (a template may have changed).

    Exits 1 when there is any, so that a cron job or monitoring can alert.
    """
    from smartreturn.store.queries import parser_health

    with database_of(ctx).session() as session:
        rows = parser_health(session, clock.now() - timedelta(days=days))
    if json_out:
        print_json(rows)
    elif not rows:
        console.print(f"all mail from known senders in the last {days} days was understood")
    else:
        table = Table("sender", "unmatched", "last seen", "example subject", title="parser health (drift alarm)")
        for row in rows:
            table.add_row(*map(cell, (row["sender"] or "?", row["unmatched"], row["last_seen"], row["example_subject"])))
        console.print(table)
        console.print("Re-run after a parser fix: smartreturn reparse --status unmatched")
    raise typer.Exit(1 if rows else 0)
