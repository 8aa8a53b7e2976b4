"""Tracking commands: ``track`` (refresh now), ``track add``, ``shipments``."""

from __future__ import annotations

from dataclasses import asdict

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text
from sqlalchemy import select

from smartreturn import clock
from smartreturn.cli.context import cell, console, database_of, err_console, print_json, settings_of
from smartreturn.errors import SmartReturnError
from smartreturn.model import Direction, ShipmentStatus
from smartreturn.store.tables import ReturnCase, Shipment, TrackingEvent

track_app = typer.Typer(help="Refresh parcel tracking now, or add a parcel by hand.", invoke_without_command=True)


def register(app: typer.Typer) -> None:
    app.add_typer(track_app, name="track")
    app.command("shipments")(shipments)


@track_app.callback()
def track(
    ctx: typer.Context,
    all_active: bool = typer.Option(False, "--all", help="Poll every active parcel, not only those due."),
    json_out: bool = typer.Option(False, "--json", help="Print the run's report as JSON."),
) -> None:
    """Ask the configured tracking APIs about due parcels now (within each provider's budget)."""
    if ctx.invoked_subcommand is not None:
        return
    from smartreturn.tracking.poller import build_providers, poll_due_shipments

    settings = settings_of(ctx)
    db = database_of(ctx)
    providers = build_providers(settings)
    if not providers:
        err_console.print("no tracking provider configured (tracking.providers); only stuck parcels are checked")
    try:
        with Progress(TextColumn("tracking"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=err_console, transient=True, disable=json_out) as progress:
            task = progress.add_task("track", total=None)
            report = poll_due_shipments(db, settings, clock.now(), providers, force=all_active,
                                        progress=lambda done, total: progress.update(task, completed=done, total=total))
    finally:
        for provider in providers.values():
            provider.close()
    if json_out:
        data = asdict(report)
        data["requests"] = dict(report.requests)
        data["problems"] = list(report.problems)
        print_json(data)
        return
    requests = ", ".join(f"{name} {count}" for name, count in report.requests) or "none"
    console.print(f"{report.due} due: {report.polled} polled, {report.updated} changed, {report.delivered} delivered, "
                  f"{report.not_found} without data yet, {report.deferred} deferred, {report.newly_stuck} newly stuck; "
                  f"requests: {requests}", highlight=False)
    if report.no_provider:
        console.print(f"{report.no_provider} parcel(s) have no provider that knows their carrier", highlight=False)
    for problem in report.problems:
        err_console.print(f"[yellow]{escape(problem)}[/yellow]")


@track_app.command("add")
def track_add(
    ctx: typer.Context,
    carrier: str = typer.Argument(..., help="Carrier code (ups, dhl, sf, cainiao ...)."),
    number: str = typer.Argument(..., help="Tracking number."),
    return_for: str = typer.Option(None, "--return-for", help="The return case this parcel carries back (r3, 3 or its RMA number)."),
    phone: str = typer.Option(None, "--phone", help="Last 4 digits of the recipient's phone (SF Express via Kuaidi100)."),
) -> None:
    """Track a parcel that no mail announced (e.g. the return parcel you just sent)."""
    from smartreturn.apply.parcels import note_verified
    from smartreturn.store.repo import upsert_shipment
    from smartreturn.tracking import carriers
    from smartreturn.tracking.detect import confirmed

    known = carriers.get(carrier.strip().lower())  # UnknownCarrier names the valid codes
    normalised = carriers.normalise_number(number)
    if not normalised:
        raise typer.BadParameter("empty tracking number", param_hint="NUMBER")
    if phone is not None and not (len(phone) == 4 and phone.isdigit()):
        raise typer.BadParameter("give the last 4 digits", param_hint="--phone")
    with database_of(ctx).session() as session:
        case = _find_case(session, return_for) if return_for else None
        shipment = upsert_shipment(session, normalised, known.code)
        note_verified(shipment, confirmed(normalised, known.code))
        if case is not None:
            shipment.direction = Direction.RETURN.value
            shipment.return_case_id = case.id
            shipment.order_id = shipment.order_id or case.order_id
        if phone:
            shipment.phone_last4 = phone
        shipment.next_poll_at = None  # due at the next run
        session.flush()
        sid, direction, verified = shipment.id, shipment.direction, shipment.verified
    what = f"return parcel for r{case.id}" if case is not None else f"{direction} parcel"
    if verified is False:
        what += f", unverified: no {known.name_en} format or check digit confirms the number"
    console.print(f"tracking s{sid}: {known.name_en} {normalised} ({what}); run 'smartreturn track' to refresh now",
                  highlight=False)


def _find_case(session, ref: str) -> ReturnCase:
    text = ref.strip()
    digits = text[1:] if text[:1] in "rR" and text[1:].isdigit() else text if text.isdigit() else None
    case = session.get(ReturnCase, int(digits)) if digits else None
    if case is None:
        matches = session.scalars(select(ReturnCase).where(ReturnCase.case_number == text)).all()
        if len(matches) > 1:
            raise SmartReturnError(f"return case number {text!r} is ambiguous; use the id (r<id>)")
        case = matches[0] if matches else None
    if case is None:
        raise SmartReturnError(f"no return case {text!r} (see 'smartreturn list returns')")
    return case


def shipments(
    ctx: typer.Context,
    show_all: bool = typer.Option(False, "--all", help="Include delivered and returned parcels."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Parcels with status, last event and predicted delivery."""
    from smartreturn.tracking.prediction import predict_shipment

    settings = settings_of(ctx)
    now = clock.now()
    tz = settings.general.tz
    rows = []
    with database_of(ctx).session() as session:
        query = select(Shipment).order_by(Shipment.last_event_at.desc().nulls_last(), Shipment.id.desc())
        if not show_all:
            query = query.where(Shipment.status.not_in([s.value for s in ShipmentStatus if s.is_final]))
        for shipment in session.scalars(query):
            last = session.scalars(select(TrackingEvent).where(TrackingEvent.shipment_id == shipment.id)
                                   .order_by(TrackingEvent.occurred_at.desc(), TrackingEvent.id.desc()).limit(1)).first()
            prediction = predict_shipment(session, shipment, now, tz)
            rows.append({
                "id": shipment.id, "carrier": shipment.carrier, "tracking_number": shipment.tracking_number,
                "verified": shipment.verified, "direction": shipment.direction, "status": shipment.status, "stuck": shipment.stuck,
                "last_event_at": last.occurred_at if last else shipment.last_event_at,
                "last_event": (last.description or last.status) if last else None,
                "last_location": last.location if last else None,
                "delivered_at": shipment.delivered_at,
                "predicted": None if prediction is None else {
                    "expected_on": prediction.expected_on, "earliest": prediction.earliest,
                    "latest": prediction.latest, "late": prediction.late, "basis": prediction.estimate.basis,
                    "samples": prediction.estimate.samples, "text": prediction.describe()},
            })
    if json_out:
        print_json(rows)
        return
    if not rows:
        console.print("no parcels" if show_all else "no parcels under way (--all shows delivered ones)")
        return
    table = Table("id", "carrier", "number", "", "status", "last event", "delivery")
    for row in rows:
        when = row["last_event_at"].astimezone(tz).strftime("%m-%d %H:%M") if row["last_event_at"] else ""
        event = " ".join(filter(None, [when, row["last_event"], f"({row['last_location']})" if row["last_location"] else None]))
        status = cell(row["status"]) + (Text(" stuck", style="red") if row["stuck"] else Text())
        if row["delivered_at"]:
            delivery = "delivered " + row["delivered_at"].astimezone(tz).strftime("%Y-%m-%d")
        elif row["predicted"]:
            delivery = row["predicted"]["text"]
        else:
            delivery = ""
        number = cell(row["tracking_number"]) + (Text(" unverified", style="yellow") if row["verified"] is False else Text())
        table.add_row(f"s{row['id']}", cell(row["carrier"]), number,
                      "↩" if row["direction"] == Direction.RETURN.value else "", status,
                      cell(event[:80]), cell(delivery))
    console.print(table)
