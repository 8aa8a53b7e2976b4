"""``smartreturn agenda``: what is due, what is late, what happened, with the priority factors.

``smartreturn list --by-priority`` shows the same view (cli/core.py calls :func:`show_agenda`).
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from smartreturn import clock
from smartreturn.cli.context import cell, console, database_of, print_json, settings_of
from smartreturn.neutralise import terminal
from smartreturn.cli.core import parse_when
from smartreturn.rules.agenda import Agenda, AgendaItem, Urgency
from smartreturn.apply.agenda import build_agenda
from smartreturn.apply.agenda_cache import shared_cache, visible

URGENCY_STYLE = {Urgency.URGENT: "bold red", Urgency.SOON: "yellow", Urgency.INFO: "dim"}


def register(app: typer.Typer) -> None:
    app.command("agenda")(agenda)


def agenda(
    ctx: typer.Context,
    by_priority: bool = typer.Option(False, "--by-priority", help="One list by priority (not grouped by urgency), with the factors."),
    json_out: bool = typer.Option(False, "--json", help="The agenda as JSON."),
    at: str = typer.Option(None, "--at", help="As it will look at this time (ISO date or date-time; default: now)."),
) -> None:
    """What needs doing today: closing windows, late refunds, stuck parcels, news."""
    now = parse_when(at, settings_of(ctx).general.tz, param_hint="--at") if at else None
    show_agenda(ctx, by_priority=by_priority, json_out=json_out, now=now)


def agenda_json(agenda: Agenda) -> dict[str, Any]:
    return {
        "generated_at": agenda.generated_at,
        "items": [_item_json(item) for item in agenda.items],
        "money_outstanding": [{"amount": m.amount, "currency": m.currency} for m in agenda.money_outstanding],
        "parser_health": [{"sender": sender, "unmatched": count} for sender, count in agenda.parser_health],
    }


def _item_json(item: AgendaItem) -> dict[str, Any]:
    data = {field.name: getattr(item, field.name) for field in fields(item)}  # asdict() deep-copies: 30x slower
    data["factors"] = dict(item.factors)
    data["item_names"] = list(item.item_names)
    data["amount"] = {"amount": item.amount.amount, "currency": item.amount.currency} if item.amount else None
    return data


def _what(item: AgendaItem) -> Text:
    ref = " ".join(part for part in (item.platform, item.order_number) if part)
    names = ", ".join(item.item_names)
    text = cell(item.title)
    if ref or item.merchant:
        text.append(terminal(f"\n{ref}" + (f" · {item.merchant}" if item.merchant else ""), newlines=True), style="dim")
    if names:
        text.append("\n" + terminal(names[:120]), style="dim")
    if item.detail:
        text.append("\n" + terminal(item.detail), style="dim")
    return text


def render_table(agenda: Agenda, *, by_priority: bool) -> Table:
    items = sorted(agenda.items, key=lambda i: (-i.priority, i.key)) if by_priority else list(agenda.items)
    table = Table(title=f"agenda {agenda.generated_at.isoformat(timespec='minutes')}", show_lines=by_priority)
    table.add_column("urgency")
    table.add_column("what")  # mail-derived text: Text objects, never parsed as rich markup
    table.add_column("due")
    table.add_column("amount", justify="right")
    table.add_column("priority", justify="right")
    if by_priority:
        table.add_column("factors")
    for item in items:
        due = item.due_on.isoformat() if item.due_on else ""
        if item.days_left is not None:
            due += f" ({item.days_left:+d} d)"
        row = [Text(item.urgency.value, style=URGENCY_STYLE[item.urgency]), _what(item), Text(due),
               Text(str(item.amount) if item.amount else ""), Text(f"{item.priority:.2f}")]
        if by_priority:
            row.append(Text("\n".join(f"{name} {value:.2f}" for name, value in item.factors if value)))
        table.add_row(*row)
    return table


def show_agenda(ctx: typer.Context, *, by_priority: bool = False, json_out: bool = False,
                now: datetime | None = None) -> None:
    settings = settings_of(ctx)
    db = database_of(ctx)
    moment = now or clock.now()
    with db.session() as session:
        result = build_agenda(session, moment, settings)
    shared_cache(db, settings).put(db, moment, result)  # the web and the daemon need not build it again
    result = visible(db, settings, result, moment)
    if json_out:
        print_json(agenda_json(result))
        return
    if not result.items:
        console.print("nothing to do")
    else:
        console.print(render_table(result, by_priority=by_priority))
    if result.money_outstanding:
        console.print("outstanding refunds: " + ", ".join(str(m) for m in result.money_outstanding), highlight=False)
    for sender, count in result.parser_health:
        console.print(cell(f"parser health: {count} unmatched mail(s) from {sender}", style="yellow"))
