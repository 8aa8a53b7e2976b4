"""Everyday commands: init, ingest, parse, reparse, list, show, return add/update."""

from __future__ import annotations

import sys
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
import logging

import typer
from dateutil import parser as dateparser
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from rich.text import Text

from smartreturn import clock
from smartreturn.cli.context import (cell, console, database_of, err_console, print_json, print_rows, settings_of,
                                     shown_of)
from smartreturn.config import default_config_path
from smartreturn.errors import ConfigError, ParseError
from smartreturn.model import MessageStatus, ReasonCategory, ReturnKind, ReturnStatus
from smartreturn.daemon.sources import LocalError
from smartreturn.pipeline import ingest_bytes, reparse
from smartreturn.store import queries

log = logging.getLogger(__name__)

return_app = typer.Typer(help="Enter or correct a return, exchange or refund by hand.", no_args_is_help=True)
order_app = typer.Typer(help="Correct what the mails said about an order.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("ingest")(ingest)
    app.command("parse")(parse)
    app.command("reparse")(reparse_command)
    app.command("list")(list_command)
    app.command("show")(show)
    app.add_typer(return_app, name="return")
    app.add_typer(order_app, name="order")


def init(
    path: Path = typer.Argument(None, help="Where to write the config (default: the XDG config dir)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
    country: str = typer.Option(None, "--country", help="Your country (ISO code, e.g. DE): public holidays for "
                                "deadlines when a shop's country is unknown (asked when run in a terminal)."),
) -> None:
    """Write a fully commented config file."""
    import sys

    target = path or default_config_path()
    if target.exists() and not force:
        raise ConfigError(f"{target} exists; use --force to overwrite it")
    if country is None and sys.stdin.isatty():
        country = typer.prompt("Your country (ISO code such as DE, GB, CN; empty to skip)", default="",
                               show_default=False)
    text = resources.files("smartreturn").joinpath("templates/config.toml").read_text("utf-8")
    if country and country.strip():
        code = country.strip().upper()
        if len(code) != 2 or not code.isalpha():
            raise typer.BadParameter(f"not an ISO country code: {country!r}", param_hint="--country")
        text = text.replace('# holiday_country = "DE"', f'holiday_country = "{code}"', 1)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, "utf-8")
    target.chmod(0o600)  # it may hold secrets
    console.print(f"wrote {target}")


def ingest(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(..., help=".eml files, folders of them, Maildir folders or mbox files."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Store and parse local mail (backfill).

    Never stops at a bad mail or an unreadable file: every mail is stored (a bad one as 'failed' with
    the reason) and the run goes on. Failures are listed at the end; the exit code is 0 when none
    failed, 1 when some mails failed or could not be read or stored.
    """
    from smartreturn.daemon.sources import count_messages, iter_local

    settings = settings_of(ctx)
    db = database_of(ctx)
    summary = {"new": 0, "duplicate": 0, "parsed": 0, "ignored": 0, "unmatched": 0, "failed": 0, "records": 0,
               "not_stored": 0}
    failures: list[tuple[str, str]] = []
    stored: list[int] = []
    total = count_messages(paths)
    with Progress(TextColumn("ingesting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err_console, transient=True, disable=total < 50 or json_out) as progress:
        task = progress.add_task("ingest", total=total)
        for item in iter_local(paths):
            progress.advance(task)
            if isinstance(item, LocalError):
                summary["not_stored"] += 1
                failures.append((item.path, item.reason))
                continue
            try:
                outcome = ingest_bytes(db, item.raw, item.source, settings)
            except Exception as exc:  # noqa: BLE001 - the store refused it: count it, go on with the rest
                log.exception("storing %s failed", item.source.path)
                summary["not_stored"] += 1
                failures.append((item.source.path or "?", f"not stored: {exc}"))
                continue
            if outcome.duplicate:
                summary["duplicate"] += 1
                continue
            summary["new"] += 1
            stored.append(outcome.message_pk)
            summary[outcome.status.value] = summary.get(outcome.status.value, 0) + 1
            summary["records"] += outcome.records
            if outcome.status == MessageStatus.FAILED:
                failures.append((item.source.path or "?", outcome.reason or ""))
    react(db, settings, stored)
    if json_out:
        print_json({**summary, "failures": [{"path": p, "reason": r} for p, r in failures]})
        raise typer.Exit(1 if failures else 0)
    columns = ("new", "duplicate", "parsed", "ignored", "unmatched", "failed", "records", "not_stored")
    table = Table(title="ingest summary")
    for key in columns:
        table.add_column(key.replace("_", " "), justify="right")
    table.add_row(*(str(summary[k]) for k in columns))
    console.print(table)
    for status, meaning in STATUS_MEANING.items():
        if summary[status]:
            console.print(f"  {status:<9} {meaning}", highlight=False, markup=False)
    for path, reason in failures:
        console.print(Text("failed ", style="red"), cell(f"{path}: {reason}"))
    if failures:
        raise typer.Exit(1)


STATUS_MEANING = {
    "duplicate": "already stored (same bytes): nothing changed",
    "parsed": "orders, parcels, returns or refunds were read from it",
    "ignored": "not shopping mail, or not from an allowed forwarder; kept with the reason "
               "(smartreturn list messages --status ignored)",
    "unmatched": "from a known shop or carrier, but no parser understood it: kept for `smartreturn reparse` "
                 "after a parser update (smartreturn list messages --status unmatched)",
    "failed": "could not be read (cut off, too large, undecodable, parse timeout); kept with the reason below",
    "not_stored": "could not be read from disk or the database refused it; listed below, run ingest again",
}


def react(db, settings, message_pks: list[int]) -> None:
    """Urgent pushes and due drafts for what this run stored, like the daemon does after each batch."""
    from smartreturn.errors import SmartReturnError
    from smartreturn.notify.reactions import react_to_messages

    if not message_pks:
        return
    try:
        react_to_messages(db, settings, message_pks)
    except SmartReturnError as exc:  # the mail is stored; the hourly job of the daemon retries
        err_console.print(f"reminders for the new mail not sent now: {exc}", highlight=False, markup=False)


def parse(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="One .eml file."),
    json_out: bool = typer.Option(False, "--json", help="Print the records as JSON (the fixture format)."),
) -> None:
    """Print what the parsers extract from one mail, without storing anything.

    JSON format (stable): {"parser": name|null, "parser_version": int|null, "records": [...]},
    each record an Event with None/empty fields left out, keys sorted, Decimal as string,
    times ISO-8601 with offset.
    """
    from smartreturn.mail.decode import parse_email
    from smartreturn.parsers.fixtures import dump_records
    from smartreturn.parsers.registry import extract

    try:
        email = parse_email(file.read_bytes())
        result = extract(email)
    except ParseError as exc:
        raise ParseError(f"{file}: {exc}") from None
    except Exception as exc:  # a decoder or parser bug on hostile input: one line, never a traceback
        log.debug("parsing %s failed", file, exc_info=True)
        raise ParseError(f"{file}: cannot parse: {type(exc).__name__}: {exc}") from None
    parser = result.parser if result.events else None  # as in the fixture files: no records, no parser
    name, version = (parser.name, parser.version) if parser else (None, None)
    if json_out:
        typer.echo(dump_records(name, version, result.events), nl=False)
        return
    console.print(cell(f"from {email.from_addr}  subject {email.subject!r}  parser {name or '-'}"), highlight=False)
    if email.forwarded_by:
        console.print(cell(f"forwarded by {email.forwarded_by}; note: {email.user_note or '-'}"), highlight=False)
    table = Table("kind", "platform", "order", "tracking", "amount", "when")
    for event in result.events:
        amount = event.refund_amount or event.total
        table.add_row(*map(cell, (event.kind.value, event.platform, event.order_number,
                      ", ".join(f"{t.carrier or '?'} {t.number} ({t.direction.value}"
                                f"{'' if t.verified else ', unverified'})" for t in event.tracking),
                      amount, event.occurred_at.isoformat() if event.occurred_at else None)))
    console.print(table)


def reparse_command(
    ctx: typer.Context,
    status: list[str] = typer.Option(None, "--status", help="Only messages with this status (repeatable)."),
    parser: str = typer.Option(None, "--parser", help="Only messages a given parser handled."),
) -> None:
    """Re-run the parsers over stored mail (after a parser fix)."""
    counts = reparse(database_of(ctx), settings_of(ctx), statuses=tuple(status or ()), parser=parser)
    console.print(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "no messages")


LISTINGS = ("orders", "returns", "shipments", "pickups", "messages")
# a parcel whose number only a carrier's mail labels (``verified`` False; None: stored before 0006)
UNVERIFIED_NOTE = ", unverified: no carrier format or check digit confirms the number"


def list_command(
    ctx: typer.Context,
    what: str = typer.Argument("orders", help="orders, returns, shipments, pickups (取件码) or messages."),
    platform: str = typer.Option(None, "--platform", help="Only this platform (amazon, jd, ...)."),
    status: str = typer.Option(None, "--status", help="Only this status."),
    since: str = typer.Option(None, "--since", help="Only since this date (YYYY-MM-DD)."),
    limit: int = typer.Option(200, "--limit", help="At most this many rows (newest first); 0 for all."),
    by_priority: bool = typer.Option(False, "--by-priority", help="Returns and orders that need action, most urgent first, with the factors."),
    json_out: bool = typer.Option(False, "--json", help="JSON instead of a table."),
    fmt: str = typer.Option("table", "--format", help="table or tsv (tab-separated, for scripts)."),
) -> None:
    """List orders, returns, shipments or stored messages."""
    if what not in LISTINGS:
        raise typer.BadParameter(f"choose one of {', '.join(LISTINGS)}", param_hint="WHAT")
    db = database_of(ctx)
    if by_priority:
        from smartreturn.cli.agenda import show_agenda  # the rules engine's view

        show_agenda(ctx, by_priority=True, json_out=json_out)
        return
    if fmt not in ("table", "tsv"):
        raise typer.BadParameter("choose table or tsv", param_hint="--format")
    since_dt = parse_when(since, settings_of(ctx).general.tz) if since else None
    filters = {"platform": platform, "status": status, "since": since_dt}
    with db.session() as session:
        rows = queries.LISTERS[what](session, **filters, limit=limit or None)
        total = queries.count_rows(session, what, **filters) if limit and len(rows) >= limit else len(rows)
    note = shown_of(len(rows), total, limit)
    if json_out:
        print_json(rows)
    elif not rows:
        console.print(f"no {what}")
    else:
        print_rows(rows, title=what, fmt=fmt)
    if note:  # on stderr: stdout stays exactly the rows (JSON, TSV), the reader still learns they are cut
        sys.stdout.flush()
        err_console.print(note, highlight=False)


def show(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Order number or id (o12), return case (r3), parcel (s9) or tracking number, "
                                        "stored mail (m4) or its Message-ID."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """The timeline of an order or return case, with the mail each step came from."""
    db = database_of(ctx)
    from smartreturn.apply.deadlines import list_deadlines
    from smartreturn.rules.deadlines import RuleContext

    settings = settings_of(ctx)
    with db.session() as session:
        detail = queries.case_detail(session, ref, now=clock.now(), tz=settings.general.tz)
        if detail is not None:  # a parcel or a mail without an order has no deadlines
            detail["deadlines"] = [] if detail["order"] is None else list_deadlines(
                session, clock.now(), RuleContext.from_settings(settings), order_id=detail["order"]["id"])
    if detail is None:
        err_console.print(f"nothing found for {ref!r}", markup=False)
        raise typer.Exit(1)
    if json_out:
        print_json(detail)
        return
    order, message = detail["order"], detail.get("message")
    if message is not None:
        console.print(cell(f"mail m{message['id']} [{message['status']}] from {message['from'] or '?'}: "
                           f"{message['subject'] or ''}"), cell(f" {message['reason'] or ''}"))
    if order is not None:
        console.print(cell(f"{order['platform']} order {order['order_number']}", style="bold"),
                      cell(f" {order['merchant'] or ''}  {order['total'] or ''} {order['currency'] or ''}  status {order['status']}"))
    elif detail["shipments"]:
        console.print(cell("parcel without a known order", style="bold"))
    for item in detail["items"]:
        console.print(cell(f"  • {item['quantity']} × {item['name']}  {item['unit_price'] or ''} {item['currency'] or ''}"),
                      highlight=False)
    for case in detail["returns"]:
        console.print(cell(f"  return r{case['id']} {case['kind']} [{case['status']}] reason: {case['reason_category'] or '-'} "
                           f"{case['reason_text'] or ''}  refunded {case['refunded_amount'] or 0} of {case['expected_refund'] or '?'} "
                           f"{case['currency'] or ''}"), highlight=False)
    for shipment in detail["shipments"]:
        predicted = f"  expected {shipment['prediction']['text']}" if shipment["prediction"] else ""
        console.print(cell(f"  parcel {shipment['carrier']} {shipment['tracking_number']} ({shipment['direction']}"
                           f"{UNVERIFIED_NOTE if shipment['verified'] is False else ''}) "
                           f"{shipment['status']}{predicted}"), highlight=False)
    if detail["deadlines"]:
        from smartreturn.cli.deadlines import deadline_table

        console.print(deadline_table(detail["deadlines"], title="deadlines"))
    table = Table("when", "what", "detail", "evidence", title="timeline")
    for step in detail["timeline"]:
        table.add_row(*map(cell, (step["when"], step["what"], step["detail"], step["evidence"])))
    console.print(table)


def parse_when(value: str, tz: tzinfo, *, param_hint: str | None = None) -> datetime:
    """A date or time typed by the user; without a zone it is local time (general.timezone)."""
    try:
        parsed = dateparser.parse(value)
    except (ValueError, OverflowError) as exc:
        raise typer.BadParameter(f"not a date: {value!r}", param_hint=param_hint) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def _money(value: str | None, name: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise typer.BadParameter(f"not an amount: {value!r}", param_hint=name) from None


@return_app.command("add")
def return_add(
    ctx: typer.Context,
    order: str = typer.Argument(..., help="Order number (created if unknown)."),
    platform: str = typer.Option("manual", "--platform", help="Platform of the order (amazon, jd, taobao ...)."),
    kind: ReturnKind = typer.Option(ReturnKind.RETURN, "--kind"),
    item: list[str] = typer.Option(None, "--item", help="Returned item (repeatable)."),
    reason: str = typer.Option(None, "--reason", help="Why (free text, any language)."),
    category: str = typer.Option(None, "--category", help="Reason category (size_fit, defective ...; else classified "
                                 "from --reason) or goods category (custom_made, fresh, digital_download, newspaper ...: "
                                 "statutory exclusions)."),
    merchant: str = typer.Option(None, "--merchant"),
    paid: str = typer.Option(None, "--paid", help="What the order cost."),
    expected_refund: str = typer.Option(None, "--expected-refund"),
    shipping_cost: str = typer.Option(None, "--shipping-cost", help="What the return shipping cost you."),
    currency: str = typer.Option("EUR", "--currency"),
    requested: str = typer.Option(None, "--requested", help="When the return was requested (default: now)."),
    tracking: str = typer.Option(None, "--tracking", help="Return parcel tracking number."),
    carrier: str = typer.Option(None, "--carrier"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Enter a return or exchange by hand (输入退换货信息)."""
    from smartreturn.apply.manual import GOODS_CATEGORIES, ManualReturn, add_manual_return

    reason_category, goods_category = _categories(category, GOODS_CATEGORIES)
    entry = ManualReturn(
        order_number=order, platform=platform, kind=kind, items=tuple(item or ()), reason=reason,
        category=reason_category, goods_category=goods_category, merchant=merchant, paid=_money(paid, "--paid"),
        expected_refund=_money(expected_refund, "--expected-refund"),
        shipping_cost=_money(shipping_cost, "--shipping-cost"), currency=currency.upper(),
        requested_at=parse_when(requested, settings_of(ctx).general.tz) if requested else clock.now(),
        tracking_number=tracking, carrier=carrier)
    with database_of(ctx).session() as session:
        case_id = add_manual_return(session, entry)
    if json_out:
        print_json({"return_case_id": case_id})
    else:
        console.print(f"return r{case_id} recorded for {platform} order {order}", highlight=False, markup=False)


def _categories(value: str | None, goods: tuple[str, ...]) -> tuple[ReasonCategory | None, str | None]:
    """``--category`` takes a reason category or a goods category (the two lists do not overlap)."""
    if value is None:
        return None, None
    if value in goods:
        return None, value
    try:
        return ReasonCategory(value), None
    except ValueError:
        choices = ", ".join([*(c.value for c in ReasonCategory), *goods])
        raise typer.BadParameter(f"{value!r} is no category; choose one of {choices}", param_hint="--category") from None


@order_app.command("update")
def order_update(
    ctx: typer.Context,
    order: str = typer.Argument(..., help="Order id (o12), order number, return case (r3) or tracking number."),
    category: str = typer.Option(None, "--category", help="Goods category: custom_made, fresh, digital_download, "
                                 "newspaper, ... ('' clears it). Wins over the word lists; the statutory exclusions follow it."),
    country: str = typer.Option(None, "--country", help="The shop's country (ISO code, e.g. DE): its holidays and legal day."),
) -> None:
    """Correct an order's goods category (statutory exclusions) or its shop's country."""
    from smartreturn.apply.manual import GOODS_CATEGORIES, set_order_category

    if category and category not in GOODS_CATEGORIES:
        raise typer.BadParameter(f"choose one of {', '.join(GOODS_CATEGORIES)}", param_hint="--category")
    with database_of(ctx).session() as session:
        found = queries.find_order(session, order)
        if found is None:
            err_console.print(f"nothing found for {order!r}", markup=False)
            raise typer.Exit(1)
        set_order_category(session, found.id, category, now=clock.now(), country=country)
        order_id = found.id
    console.print(f"order o{order_id} updated", highlight=False, markup=False)


@return_app.command("update")
def return_update(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="Return case id (r3 or 3)."),
    status: ReturnStatus = typer.Option(None, "--status"),
    reason: str = typer.Option(None, "--reason", help="Correct the reason text (your correction wins)."),
    category: ReasonCategory = typer.Option(None, "--category", help="Correct the reason category."),
    refunded: str = typer.Option(None, "--refunded", help="Amount refunded so far."),
    expected_refund: str = typer.Option(None, "--expected-refund"),
    shipping_cost: str = typer.Option(None, "--shipping-cost"),
    restocking_fee: str = typer.Option(None, "--restocking-fee"),
    note: str = typer.Option(None, "--note"),
) -> None:
    """Correct a return case; what you set here is never overwritten by later mail."""
    from smartreturn.apply.manual import ReturnUpdate, update_return

    change = ReturnUpdate(
        status=status, reason=reason, category=category, refunded=_money(refunded, "--refunded"),
        expected_refund=_money(expected_refund, "--expected-refund"),
        shipping_cost=_money(shipping_cost, "--shipping-cost"),
        restocking_fee=_money(restocking_fee, "--restocking-fee"), note=note)
    with database_of(ctx).session() as session:
        update_return(session, int(case.lstrip("rR")), change, now=clock.now())
    console.print(f"return r{case.lstrip('rR')} updated")
