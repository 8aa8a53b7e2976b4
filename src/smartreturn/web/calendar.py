"""``/calendar.ics?token=…``: every open deadline as an all-day event with two alarms, so return
windows and refund dates show up in the phone's calendar (subscribe to the URL).

Calendar apps cannot send headers, so the token travels in the URL: give the feed a token of its own
with only the ``calendar`` scope (``smartreturn token create phone-calendar --scope calendar``);
revoking it cuts the feed off. The access log is off, so the URL is not logged.
"""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import FastAPI, Query, Request
from fastapi.responses import Response
from icalendar import Alarm, Calendar, Event
from sqlalchemy import select

from smartreturn import clock
from smartreturn.apply.deadlines import describe_rows, stored_row
from smartreturn.rules.deadlines import RuleContext
from smartreturn.rules.policies import DeadlineKind
from smartreturn.store.tables import Deadline, Merchant, Order, ReturnCase
from smartreturn.web.api import ApiError, authenticate
from smartreturn.web.i18n import translator
from smartreturn.web.lists import OPEN

PAST_DAYS = 14  # deadlines missed within this many days stay in the feed (a refund still due, say)
ALARMS = (timedelta(days=-2, hours=-15), timedelta(hours=-15))  # 09:00 three days and one day before


def open_deadlines(session, today: date) -> list[tuple[Deadline, Order, str | None, ReturnCase | None]]:
    """Deadlines still to act on: a return window of an order without a return yet, or any deadline
    of a return case that is not closed; due from ``PAST_DAYS`` ago on."""
    rows = session.execute(
        select(Deadline, Order, Merchant.name, ReturnCase)
        .join(Order, Deadline.order_id == Order.id)
        .outerjoin(Merchant, Order.merchant_id == Merchant.id)
        .outerjoin(ReturnCase, Deadline.return_case_id == ReturnCase.id)
        .where(Deadline.due_on >= today - timedelta(days=PAST_DAYS))
        .order_by(Deadline.due_on, Deadline.id)).all()
    with_case = set(session.scalars(select(ReturnCase.order_id).distinct()).all())
    out = []
    for deadline, order, merchant, case in rows:
        if case is None and deadline.kind == DeadlineKind.RETURN_WINDOW.value and order.id in with_case:
            continue  # the return was asked for: its window no longer matters
        if case is not None and case.status not in OPEN:
            continue
        out.append((deadline, order, merchant, case))
    return out


def describe_event(about: dict) -> str:
    """The event's description: rule, anchor, source (with where to read it and when it was checked)
    and the evidence, as ``smartreturn deadlines`` shows them."""
    counted = f"rule {about['rule']}"
    if about["anchor_event"]:
        counted += f", counted from {about['anchor_event'].replace('_', ' ')}"
        if about["anchor_on"]:
            counted += f" ({about['anchor_on'].isoformat()})"
    counted += {"assumed": ", date assumed", "stated": ", date stated by the shop"}.get(about["anchor"], "")
    lines = [counted]
    if about["source"]:
        basis = f"[{about['basis']}] " if about["basis"] and about["basis"] != "law" else ""
        lines.append(f"source: {basis}{about['source']}" + (f" (checked {about['checked']})" if about["checked"] else ""))
    if about["url"]:
        lines.append(about["url"])
    if about["evidence"]:
        lines.append(f"evidence: mail {about['evidence']}")
    lines.append(f"return {about['case']}" if about["case"] else f"order {about['order']}")
    return "\n".join(lines)


def build_calendar(rows, *, language: str, now, described: list[dict]) -> bytes:
    """``rows`` from :func:`open_deadlines`, ``described`` the same deadlines explained
    (apply.deadlines.describe_rows: the fields of ``smartreturn deadlines --json``)."""
    t = translator(language)
    calendar = Calendar()
    calendar.add("prodid", "-//SmartReturn//deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "SmartReturn")
    for (deadline, order, merchant, case), about in zip(rows, described, strict=True):
        key = f"dl_{deadline.kind}"
        try:
            what = t(key)
        except KeyError:
            what = deadline.kind
        ref = " ".join(part for part in (merchant or order.platform, order.order_number) if part)
        event = Event()
        event.add("uid", f"deadline-{deadline.kind}-o{order.id}-r{case.id if case else 0}@smartreturn")
        event.add("dtstamp", now)
        event.add("dtstart", deadline.due_on)
        event.add("dtend", deadline.due_on + timedelta(days=1))
        event.add("summary", f"{what}: {ref}")
        event.add("description", describe_event(about))
        if about["url"]:
            event.add("url", about["url"])
        event.add("transp", "TRANSPARENT")
        event.add("categories", ["SmartReturn"])
        for trigger in ALARMS:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"{what}: {ref}")
            alarm.add("trigger", trigger)
            event.add_component(alarm)
        calendar.add_component(event)
    return calendar.to_ical()


def calendar_feed(request: Request, token: str = Query(..., description="a token with the calendar (or read) scope")
                  ) -> Response:
    """Open deadlines as iCalendar (RFC 5545): all-day events with alarms 3 days and 1 day before."""
    info = authenticate(request, token)
    if not {"calendar", "read"} & set(info.scopes):
        raise ApiError(403, f"token {info.name!r} lacks the 'calendar' scope")
    state = request.app.state.web
    now = clock.now()
    state.agenda.get(state.db, now)  # brings the stored deadlines up to date (cached while nothing changed)
    with state.db.session() as session:
        rows = open_deadlines(session, now.astimezone(state.settings.general.tz).date())
        described = describe_rows(session, [stored_row(row[0]) for row in rows], now,
                                  RuleContext.from_settings(state.settings))
    body = build_calendar(rows, language=state.settings.general.language, now=now, described=described)
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'inline; filename="smartreturn.ics"', "Cache-Control": "no-store"})


def install(app: FastAPI) -> None:
    app.add_api_route("/calendar.ics", calendar_feed, methods=["GET"], tags=["calendar"], response_class=Response,
                      responses={200: {"content": {"text/calendar": {}}, "description": "iCalendar feed"}})
