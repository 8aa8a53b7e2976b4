"""``smartreturn add-text``: paste an SMS (or several) and have it parsed like a forwarded mail.

Chinese couriers and shops notify by SMS (【菜鸟驿站】…取件码, 【顺丰速运】…). The text is wrapped in
a minimal plain-text UTF-8 mail and goes through the normal ingest pipeline, so it is stored, parsed
and applied exactly like mail. Text the user types is trusted (no forwarder allow-list).
"""

from __future__ import annotations

import hashlib
import sys
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from smartreturn import clock
from smartreturn.cli.context import cell, console, database_of, err_console, print_json, settings_of
from smartreturn.cli.core import parse_when
from smartreturn.errors import ParseError
from smartreturn.model import PASTED_TEXT_SENDER, Event, MessageStatus
from smartreturn.pipeline import Source, ingest_bytes

SENDER = PASTED_TEXT_SENDER
MAX_TEXT_CHARS = 100_000


def register(app: typer.Typer) -> None:
    app.command("add-text")(add_text)


def text_message(text: str, when: datetime) -> bytes:
    """The raw RFC 822 mail that carries pasted ``text`` (UTF-8, plain text, dated ``when``)."""
    digest = hashlib.sha256(f"{when.isoformat()}\n{text}".encode()).hexdigest()[:24]
    msg = EmailMessage()
    msg["From"] = f"SmartReturn add-text <{SENDER}>"
    msg["To"] = SENDER
    msg["Subject"] = "add-text"
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<{digest}@add-text.smartreturn.invalid>"
    msg.set_content(text if text.endswith("\n") else text + "\n", charset="utf-8")
    return msg.as_bytes()


def _read_stdin() -> str:
    data = sys.stdin.buffer.read(MAX_TEXT_CHARS * 4 + 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")  # a GBK terminal or file


def _when(value: str | None, zone: str) -> datetime:
    if not value:
        return clock.now().astimezone(ZoneInfo(zone)).replace(microsecond=0)
    return parse_when(value, ZoneInfo(zone), param_hint="--date")


def add_text(
    ctx: typer.Context,
    text: str = typer.Argument(None, metavar="[TEXT | -]", help="The SMS text; '-' or nothing reads standard input."),
    date: str = typer.Option(None, "--date", help="When the SMS arrived (default: now); dates times in the SMS that lack a year."),
    json_out: bool = typer.Option(False, "--json", help="Print the outcome and the records as JSON."),
) -> None:
    """Parse pasted SMS text (one or several messages) and store what it says."""
    if text is None or text == "-":
        text = _read_stdin()
    if not text.strip():
        raise typer.BadParameter("no text given", param_hint="TEXT")
    if len(text) > MAX_TEXT_CHARS:
        raise typer.BadParameter(f"text longer than {MAX_TEXT_CHARS} characters", param_hint="TEXT")
    settings = settings_of(ctx)
    raw = text_message(text, _when(date, settings.general.timezone))
    outcome = ingest_bytes(database_of(ctx), raw, Source(kind="text"), settings)
    if not outcome.duplicate:
        from smartreturn.cli.core import react  # urgent pushes and due drafts at once, as after any stored mail

        react(database_of(ctx), settings, [outcome.message_pk])
    # the parsers, imported here only: `smartreturn run` shares this module list and must not load them
    from smartreturn.mail.decode import parse_email
    from smartreturn.parsers.fixtures import event_to_dict
    from smartreturn.parsers.registry import extract

    events: list[Event] = []
    if outcome.status is MessageStatus.PARSED:
        try:
            events = extract(parse_email(raw)).events  # parsers are pure: this is what was just applied
        except ParseError:
            events = []
    if json_out:
        print_json({"status": outcome.status.value, "duplicate": outcome.duplicate, "parser": outcome.parser,
                    "reason": outcome.reason, "records": [event_to_dict(e) for e in events]})
        if not events:
            raise typer.Exit(1)
        return
    if outcome.duplicate:
        console.print("already added earlier (same text and date): nothing changed", highlight=False)
    if not events:
        err_console.print(cell(f"nothing recognised in this text ({outcome.status.value}"
                               f"{': ' + outcome.reason if outcome.reason else ''})"), highlight=False)
        raise typer.Exit(1)
    console.print(f"{outcome.status.value} by {outcome.parser}: {len(events)} record(s)", highlight=False, markup=False)
    console.print(_table(events))


def _table(events: list[Event]) -> Table:
    table = Table("kind", "platform", "tracking", "取件码", "when", "detail")
    for event in events:
        tracking = ", ".join(f"{t.carrier or '?'} {t.number}" + (" (return)" if t.direction.value == "return" else "")
                             for t in event.tracking)
        extra = dict(event.extra)
        detail = " ".join(v for v in (event.detail, extra.get("pickup_location"), event.order_number and f"order {event.order_number}") if v)
        cells = (event.kind.value, event.platform, tracking or extra.get("carrier", ""), event.pickup_code or "",
                 event.occurred_at.strftime("%Y-%m-%d %H:%M") if event.occurred_at else "", detail)
        table.add_row(*map(cell, cells))  # mail-derived strings: never rich markup, never terminal escapes
    return table
