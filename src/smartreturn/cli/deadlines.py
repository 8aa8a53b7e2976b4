"""``smartreturn deadlines [--all]``: every open deadline with its rule, anchor and source."""

from __future__ import annotations

import typer
from rich.table import Table

from smartreturn import clock
from smartreturn.cli.context import cell, console, database_of, print_json, settings_of


def register(app: typer.Typer) -> None:
    app.command("deadlines")(deadlines)


def deadlines(
    ctx: typer.Context,
    all_: bool = typer.Option(False, "--all", help="Also past deadlines and those of closed cases."),
    json_out: bool = typer.Option(False, "--json", help="JSON instead of a table."),
) -> None:
    """Every open deadline (return windows, ship-by dates, refunds, platform timers), soonest first,
    with the rule, its anchor (known / assumed / stated by the merchant) and its source."""
    from smartreturn.apply.deadlines import list_deadlines
    from smartreturn.rules.deadlines import RuleContext

    settings = settings_of(ctx)
    now = clock.now()
    with database_of(ctx).session() as session:
        rows = list_deadlines(session, now, RuleContext.from_settings(settings), include_past=all_)
    if json_out:
        print_json(rows)
        return
    if not rows:
        console.print("no open deadlines")
        return
    console.print(deadline_table(rows, title=f"deadlines {now.astimezone(settings.general.tz).date().isoformat()}"))


def deadline_table(rows: list[dict], *, title: str | None = None) -> Table:
    table = Table(title=title)
    for name in ("due", "left", "what", "order", "rule", "anchor", "source"):
        table.add_column(name, overflow="fold")
    for row in rows:
        left = row["days_left"]
        when = "today" if left == 0 else f"{left} d" if left > 0 else f"overdue {-left} d"
        order = " ".join(p for p in (row["shop"] or row["platform"], row["order_number"], row["case"]) if p)
        source = row["source"] or ""
        if row["basis"] and row["basis"] != "law":
            source = f"[{row['basis']}] {source}"
        if row["checked"]:
            source += f" (checked {row['checked']})"
        table.add_row(*map(cell, (row["due_on"].isoformat(), when, row["kind"].replace("_", " "), order, row["rule"],
                                  row["anchor"] + (f" ({row['evidence']})" if row["evidence"] else ""), source)))
    return table
