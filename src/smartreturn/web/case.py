"""The case page (order, items, money, deadlines, parcels, evidence), its actions, the evidence
viewer and the "add a return" form. Writes go through the same store functions as the CLI
(apply/manual.py); the follow-up draft through notify/followup.py."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from smartreturn import clock
from smartreturn.errors import NotifyError, ParseError, StoreError
from smartreturn.model import ReasonCategory, ReturnKind, ReturnStatus
from smartreturn.stats.reasons import label as reason_label
from smartreturn.store import queries
from smartreturn.apply.manual import ManualReturn, ReturnUpdate, add_manual_return, update_return
from smartreturn.store.tables import Deadline, Message, ReturnCase
from smartreturn.web.auth import SignedIn
from smartreturn.web.render import language_of, page
from smartreturn.web.session import form_of, safe_next, signed_in
from smartreturn.web.views import priorities

log = logging.getLogger(__name__)

User = Annotated[SignedIn, Depends(signed_in)]

# The mail's own HTML, shown in a sandboxed frame: no script, no plugin, no request to anywhere
# (remote images and fonts, i.e. tracking pixels, never load; inline CSS may style it), a unique
# origin (no cookies, no access to the dashboard), and only our own pages may frame it.
EVIDENCE_CSP = ("sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")


def not_found(request: Request, user: SignedIn, what: str) -> Response:
    return page(request, "not_found.html.j2", status_code=404, user=user, what=what)


# --- the case page ---------------------------------------------------------------------------------

def case_view(session, ref: str, now: datetime, settings) -> dict[str, Any] | None:
    from smartreturn.apply.parcels import timeline

    detail = queries.case_detail(session, ref, now=now, tz=settings.general.tz)
    if detail is None:
        return None
    order_id = detail["order"]["id"] if detail["order"] is not None else None  # None: a parcel no mail tied to an order
    deadlines = session.execute(select(Deadline).where(Deadline.order_id == order_id)
                                .order_by(Deadline.due_on)).scalars().all() if order_id is not None else []
    parcels = []
    for shipment in detail["shipments"]:
        events = timeline(session, shipment["id"])
        parcels.append({**shipment, "events": [{"when": e.occurred_at, "status": e.status, "description": e.description,
                                                "location": e.location, "source": e.source,
                                                "message": e.message_id} for e in reversed(events)]})
    message_ids = sorted({int(step["message"][1:]) for step in detail["timeline"] if step.get("message")}
                         | {e["message"] for p in parcels for e in p["events"] if e["message"]})
    evidence = session.execute(select(Message.id, Message.from_addr, Message.subject, Message.sent_at,
                                      Message.parser_name, Message.source_kind)
                               .where(Message.id.in_(message_ids)).order_by(Message.sent_at)).all() if message_ids else []
    notes = {c.id: c.notes for c in session.scalars(select(ReturnCase).where(ReturnCase.order_id == order_id))} \
        if order_id is not None else {}
    return {**detail, "deadlines": deadlines, "parcels": parcels, "evidence": evidence, "notes": notes}


def case_page(request: Request, user: User, ref: str) -> Response:
    state = request.app.state.web
    now = clock.now()
    with state.db.session() as session:
        view = case_view(session, ref, now, state.settings)
    if view is None:
        return not_found(request, user, ref)
    language = language_of(request)
    focus = int(ref[1:]) if ref[:1] in "rR" and ref[1:].isdigit() else None
    return page(request, "case.html.j2", user=user, view=view, focus=focus,
                agenda=priorities(state.agenda.get(state.db, now)),
                statuses=[s.value for s in ReturnStatus],
                reasons=[(c.value, reason_label(c, language)) for c in ReasonCategory],
                reason_label=lambda c: reason_label(c, language) if c else "",
                can_save_draft=bool(state.settings.imap.accounts))


# --- actions --------------------------------------------------------------------------------------

def _amount(value: Any) -> Decimal | None:
    text = str(value or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not an amount: {text[:40]!r}") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise ValueError(f"not an amount: {text[:40]!r}")
    return amount.quantize(Decimal("0.01"))


def _apply(request: Request, user: SignedIn, case_id: int, change: ReturnUpdate, next_path: str) -> Response:
    state = request.app.state.web
    try:
        with state.db.session() as session:
            update_return(session, case_id, change, now=clock.now())
    except StoreError:
        return not_found(request, user, f"r{case_id}")
    state.agenda.invalidate()
    return RedirectResponse(safe_next(next_path), status_code=303)


async def update_case(request: Request, user: User, case_id: int) -> Response:
    """Status, reason (text and/or category), note, money: whichever fields the form carries."""
    form = await form_of(request, user)
    try:
        status = ReturnStatus(form["status"]) if form.get("status") else None
        category = ReasonCategory(form["category"]) if form.get("category") else None
        change = ReturnUpdate(
            status=status, category=category,
            reason=str(form["reason"]).strip()[:2000] if form.get("reason") else None,
            note=str(form["note"]).strip()[:4000] if form.get("note") else None,
            expected_refund=_amount(form.get("expected_refund")), shipping_cost=_amount(form.get("shipping_cost")))
    except ValueError as exc:
        return HTMLResponse(f"<!doctype html><title>400</title><p>{_esc(str(exc))}</p>", status_code=400)
    return _apply(request, user, case_id, change, str(form.get("next") or f"/case/r{case_id}"))


async def record_refund(request: Request, user: User, case_id: int) -> Response:
    """A refund received: the amount given (or the expected refund with ``full``), status refunded."""
    form = await form_of(request, user)
    try:
        amount = _amount(form.get("amount"))
    except ValueError as exc:
        return HTMLResponse(f"<!doctype html><title>400</title><p>{_esc(str(exc))}</p>", status_code=400)
    state = request.app.state.web
    if amount is None:
        with state.db.session() as session:
            case = session.get(ReturnCase, case_id)
            if case is None:
                return not_found(request, user, f"r{case_id}")
            amount = case.expected_refund
    change = ReturnUpdate(status=ReturnStatus.REFUNDED, refunded=amount)
    return _apply(request, user, case_id, change, str(form.get("next") or f"/case/r{case_id}"))


def _esc(text: str) -> str:
    from html import escape

    return escape(text)


# --- adding a return by hand -------------------------------------------------------------------------

FORM_FIELDS = ("order", "platform", "merchant", "items", "reason", "category", "paid", "expected_refund",
               "shipping_cost", "currency", "requested", "tracking", "carrier", "kind")


def new_return_form(request: Request, user: User, order: str = "", platform: str = "") -> Response:
    state = request.app.state.web
    today = clock.now().astimezone(state.settings.general.tz).date()
    values = dict.fromkeys(FORM_FIELDS, "") | {
        "order": order[:128], "platform": platform[:32], "kind": "return", "requested": today.isoformat(),
        "currency": "CNY" if state.settings.general.language == "zh" else "EUR"}
    return page(request, "new_return.html.j2", user=user, values=values, errors=[],
                reasons=[(c.value, reason_label(c, language_of(request))) for c in ReasonCategory],
                kinds=[k.value for k in ReturnKind])


async def new_return(request: Request, user: User) -> Response:
    from smartreturn.cli.core import parse_when  # the CLI's date reading: a date without zone is local

    state = request.app.state.web
    form = await form_of(request, user)
    values = {key: str(form.get(key) or "").strip() for key in FORM_FIELDS}
    errors: list[str] = []
    entry = None
    try:
        if not values["order"]:
            errors.append("order_required")
        currency = values["currency"].upper() or "EUR"
        if len(currency) != 3 or not currency.isalpha():
            errors.append("currency_invalid")
        requested = clock.now()
        if values["requested"]:
            try:
                requested = parse_when(values["requested"], state.settings.general.tz)
            except Exception:  # typer.BadParameter
                errors.append("date_invalid")
        if not errors:
            entry = ManualReturn(
                order_number=values["order"][:128], platform=(values["platform"] or "manual")[:32].lower(),
                kind=ReturnKind(values["kind"] or "return"), requested_at=requested, currency=currency,
                items=tuple(line.strip()[:500] for line in values["items"].splitlines() if line.strip())[:50],
                reason=values["reason"][:2000] or None,
                category=ReasonCategory(values["category"]) if values["category"] else None,
                merchant=values["merchant"][:255] or None, paid=_amount(values["paid"]),
                expected_refund=_amount(values["expected_refund"]), shipping_cost=_amount(values["shipping_cost"]),
                tracking_number=values["tracking"][:64] or None, carrier=values["carrier"][:32] or None)
    except ValueError:
        errors.append("amount_invalid")
    if errors or entry is None:
        return page(request, "new_return.html.j2", status_code=400, user=user, values=values, errors=errors,
                    reasons=[(c.value, reason_label(c, language_of(request))) for c in ReasonCategory],
                    kinds=[k.value for k in ReturnKind])
    with state.db.session() as session:
        case_id = add_manual_return(session, entry)
    state.agenda.invalidate()
    return RedirectResponse(f"/case/r{case_id}", status_code=303)


# --- follow-up draft ------------------------------------------------------------------------------

def _followup(request: Request, case_id: int, lang: str | None, level: int | None):
    from smartreturn.notify.followup import render_followup

    state = request.app.state.web
    with state.db.session() as session:
        return render_followup(session, case_id, clock.now(), state.settings,
                               language=lang if lang in ("en", "zh", "de") else None,
                               level=level if level in (1, 2) else None)


def draft_page(request: Request, user: User, case_id: int, lang: str | None = None, level: int | None = None,
               saved: str | None = None) -> Response:
    try:
        followup = _followup(request, case_id, lang, level)
    except NotifyError:
        return not_found(request, user, f"r{case_id}")
    return page(request, "draft.html.j2", user=user, case_id=case_id, followup=followup, saved=saved,
                can_save=bool(request.app.state.web.settings.imap.accounts))


def draft_eml(request: Request, user: User, case_id: int, lang: str | None = None, level: int | None = None) -> Response:
    from smartreturn.notify.followup import to_mime

    try:
        followup = _followup(request, case_id, lang, level)
    except NotifyError:
        return not_found(request, user, f"r{case_id}")
    raw = to_mime(followup, from_address=request.app.state.web.settings.drafts.from_address, now=clock.now())
    return Response(raw, media_type="message/rfc822",
                    headers={"Content-Disposition": f'attachment; filename="followup-r{case_id}.eml"'})


async def save_draft(request: Request, user: User, case_id: int) -> Response:
    from urllib.parse import quote

    from smartreturn.notify.followup import append_draft, to_mime

    form = await form_of(request, user)
    lang = str(form.get("lang") or "") or None
    level = int(str(form.get("level"))) if str(form.get("level") or "").isdigit() else None
    state = request.app.state.web
    now = clock.now()
    try:
        followup = _followup(request, case_id, lang, level)
        folder = append_draft(state.settings, to_mime(followup, from_address=state.settings.drafts.from_address,
                                                      now=now), now)
    except NotifyError as exc:
        log.warning("web: draft for r%s not saved: %s", case_id, exc)
        return page(request, "draft.html.j2", status_code=502, user=user, case_id=case_id, followup=None,
                    saved=None, error=str(exc), can_save=True)
    return RedirectResponse(f"/returns/{case_id}/draft?lang={followup.language}&level={followup.level}"
                            f"&saved={quote(folder)}", status_code=303)


# --- evidence ---------------------------------------------------------------------------------------

def _message(request: Request, message_id: int) -> Message | None:
    with request.app.state.web.db.session() as session:
        return session.get(Message, message_id)


def message_page(request: Request, user: User, message_id: int) -> Response:
    from smartreturn.mail.decode import parse_email

    message = _message(request, message_id)
    if message is None:
        return not_found(request, user, f"m{message_id}")
    text, has_html = None, False
    try:
        email = parse_email(message.raw)
        text, has_html = email.text, bool(email.html)
    except ParseError as exc:
        text = f"(cannot decode this mail: {exc})"
    except Exception:  # noqa: BLE001 - a decoder bug must not take the page down; the raw mail stays downloadable
        log.exception("web: decoding message %s failed", message_id)
        text = "(cannot decode this mail)"
    return page(request, "message.html.j2", user=user, message=message, text=text, has_html=has_html)


def message_html(request: Request, user: User, message_id: int) -> Response:
    from smartreturn.mail.decode import parse_email

    message = _message(request, message_id)
    html = ""
    if message is not None:
        try:
            html = parse_email(message.raw).html or ""
        except Exception:  # noqa: BLE001 - shown as empty; the text view says why
            html = ""
    return Response(html, media_type="text/html; charset=utf-8", status_code=200 if message else 404,
                    headers={"Content-Security-Policy": EVIDENCE_CSP, "X-Frame-Options": "SAMEORIGIN",
                             "Cache-Control": "no-store", "Cross-Origin-Resource-Policy": "same-origin"})


def message_eml(request: Request, user: User, message_id: int) -> Response:
    message = _message(request, message_id)
    if message is None:
        return not_found(request, user, f"m{message_id}")
    return eml_response(message)


def eml_response(message: Message) -> Response:
    return Response(message.raw, media_type="message/rfc822",
                    headers={"Content-Disposition": f'attachment; filename="m{message.id}.eml"',
                             "Cache-Control": "no-store"})
