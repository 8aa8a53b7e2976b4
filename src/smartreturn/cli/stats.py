"""``smartreturn stats``: reasons, merchants, platforms, categories, months and money."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from smartreturn import clock
from smartreturn.cli.context import cell, console, database_of, print_json, settings_of


def register(app: typer.Typer) -> None:
    app.command("stats")(stats)


def stats(
    ctx: typer.Context,
    since: str = typer.Option(None, "--since", help="Only returns requested since this date (YYYY-MM-DD)."),
    json_out: bool = typer.Option(False, "--json", help="All tables as JSON."),
    csv_dir: Path = typer.Option(None, "--csv", help="Write one CSV per table into this folder."),
    chart: Path = typer.Option(None, "--chart", help="Draw the charts into this PNG file."),
    html: Path = typer.Option(None, "--html", help="Write a standalone HTML report with the charts inline."),
) -> None:
    """Where returns cost you: by reason, merchant, platform, category and month; money per currency."""
    from smartreturn.cli.core import parse_when
    from smartreturn.stats.report import compute_stats

    settings = settings_of(ctx)
    with database_of(ctx).session() as session:
        result = compute_stats(session, since=parse_when(since, settings.general.tz) if since else None,
                               language=settings.general.language, settings=settings.stats)
    if csv_dir:
        from smartreturn.stats.export import write_csv

        for path in write_csv(result, csv_dir):
            console.print(f"wrote {path}")
    if chart:
        from smartreturn.stats.charts import write_png

        write_png(result, chart)
        console.print(f"wrote {chart}")
    if html:
        from smartreturn.stats.html import render_html

        html.write_text(render_html(result, now=clock.now(), language=settings.general.language), "utf-8")
        console.print(f"wrote {html}")
    if json_out:
        print_json({"since": result.since, **result.tables()})
        return
    if csv_dir or chart or html:
        return
    for name, rows in result.tables().items():
        if not rows:
            continue
        table = Table(*rows[0].keys(), title=name)
        for row in rows:
            table.add_row(*map(cell, row.values()))
        console.print(table)
