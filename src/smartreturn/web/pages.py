"""The HTML pages: sign-in, Today, Returns, Parcels, Stats, Parser health, Settings.

The case page, its actions and the evidence viewer are in case.py. Every page needs a signed-in
user (:func:`~smartreturn.web.session.signed_in`); every POST checks the session's CSRF token.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartreturn import clock
from smartreturn.web import case, lists
from smartreturn.web.auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SignedIn,
    csrf_ok,
    end_session,
    proxy_user,
    start_session,
    verify_password,
)
from smartreturn.web.render import LANG_COOKIE, page
from smartreturn.web.session import CsrfFailed, LoginRequired, form_of, login_url, safe_next, signed_in
from smartreturn.web.i18n import LANGUAGES
from smartreturn.web.views import today

log = logging.getLogger(__name__)

User = Annotated[SignedIn, Depends(signed_in)]


def install(app: FastAPI) -> None:
    app.add_exception_handler(LoginRequired, _to_login)
    app.add_exception_handler(CsrfFailed, _csrf_failed)
    for method, path, endpoint in routes():
        app.add_api_route(path, endpoint, methods=[method], include_in_schema=False)


def routes() -> tuple[tuple[str, str, Callable[..., Any]], ...]:
    """The dashboard's one route table: every page and form (method, path, endpoint). The pages are
    not part of the API's OpenAPI document."""
    return (
        ("GET", "/login", login_form), ("POST", "/login", login), ("POST", "/logout", logout),
        ("GET", "/language/{code}", set_language), ("GET", "/favicon.ico", _no_icon),
        ("GET", "/", today_page), ("POST", "/snooze", snooze_item),
        # lists.py: Returns, Parcels, Stats, Parser health, Settings
        ("GET", "/returns", lists.returns_page), ("GET", "/parcels", lists.parcels_page),
        ("GET", "/stats", lists.stats_page), ("GET", "/stats/chart.svg", lists.stats_chart),
        ("GET", "/parsers", lists.parsers_page), ("GET", "/settings", lists.settings_page),
        # case.py: the case page, its actions, the evidence viewer, the "add a return" form
        ("GET", "/case/{ref}", case.case_page),
        ("GET", "/returns/new", case.new_return_form), ("POST", "/returns/new", case.new_return),
        ("POST", "/returns/{case_id}/update", case.update_case), ("POST", "/returns/{case_id}/refund", case.record_refund),
        ("GET", "/returns/{case_id}/draft", case.draft_page), ("GET", "/returns/{case_id}/draft.eml", case.draft_eml),
        ("POST", "/returns/{case_id}/draft", case.save_draft),
        ("GET", "/messages/{message_id}", case.message_page), ("GET", "/messages/{message_id}/html", case.message_html),
        ("GET", "/messages/{message_id}/raw.eml", case.message_eml),
    )


def _no_icon() -> Response:
    return Response(status_code=204)


def _to_login(request: Request, exc: LoginRequired) -> Response:
    if request.headers.get("hx-request") == "true":  # htmx: reload the whole page onto the sign-in form
        return Response(status_code=204, headers={"HX-Redirect": login_url(exc.next_path)})
    return RedirectResponse(login_url(exc.next_path), status_code=303)


def _csrf_failed(request: Request, exc: CsrfFailed) -> Response:
    return HTMLResponse("<!doctype html><title>403</title><p>The form was stale or not from this site. "
                        "Go back, reload and try again.</p>", status_code=403)


def _set_session_cookie(state, response: Response, cookie: str) -> None:
    response.set_cookie(SESSION_COOKIE, cookie, max_age=state.settings.web.session_hours * 3600, httponly=True,
                        samesite="lax", secure=state.secure_cookies, path="/")


def login_form(request: Request, next: str | None = None) -> Response:
    state = request.app.state.web
    proxied = proxy_user(state.settings.web, request.client.host if request.client else None, request.headers)
    if proxied:  # the reverse proxy signed the user in: open a session (it carries the CSRF token)
        with state.db.session() as session:
            cookie, _ = start_session(session, proxied, clock.now(), state.settings.web.session_hours)
        response = RedirectResponse(safe_next(next), status_code=303)
        _set_session_cookie(state, response, cookie)
        return response
    return _login_page(request, next, error=None, status_code=200)


def _login_page(request: Request, next_path: str | None, *, error: str | None, status_code: int) -> Response:
    state = request.app.state.web
    token = secrets.token_urlsafe(24)
    response = page(request, "login.html.j2", status_code=status_code, next=safe_next(next_path), login_csrf=token,
                    error=error, configured=state.settings.web.password_hash is not None)
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
                        secure=state.secure_cookies, path="/login")
    return response


async def login(request: Request) -> Response:
    state = request.app.state.web
    client = request.client.host if request.client else "?"
    form = await request.form()
    next_path = safe_next(str(form.get("next") or "/"))
    if not state.limiter.allowed(client):
        log.warning("web: sign-in refused for %s: too many failed attempts", client)
        return _login_page(request, next_path, error="too_many_attempts", status_code=429)
    if not csrf_ok(request.cookies.get(LOGIN_COOKIE), str(form.get("login_csrf") or "")):
        return _login_page(request, next_path, error="stale_form", status_code=403)
    username, password = str(form.get("username") or ""), str(form.get("password") or "")
    if not verify_password(state.settings.web, username, password):
        state.limiter.failed(client)
        log.warning("web: failed sign-in from %s", client)
        return _login_page(request, next_path, error="wrong_password", status_code=401)
    state.limiter.reset(client)
    with state.db.session() as session:
        cookie, _ = start_session(session, username, clock.now(), state.settings.web.session_hours)
    response = RedirectResponse(next_path, status_code=303)
    _set_session_cookie(state, response, cookie)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


async def logout(request: Request, user: User) -> Response:
    await form_of(request, user)
    with request.app.state.web.db.session() as session:
        end_session(session, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def set_language(request: Request, code: str, next: str | None = None) -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax", path="/",
                            secure=request.app.state.web.secure_cookies)
    return response


def today_page(request: Request, user: User) -> Response:
    state = request.app.state.web
    view = today(state, clock.now())
    return page(request, "today.html.j2", user=user, view=view)


async def snooze_item(request: Request, user: User) -> Response:
    from datetime import timedelta

    from smartreturn.apply.snooze import snooze

    form = await form_of(request, user)
    key = str(form.get("key") or "")[:255]
    try:
        days = max(1, min(90, int(str(form.get("days") or "1"))))
    except ValueError:
        days = 1
    state = request.app.state.web
    now = clock.now()
    if key:
        with state.db.session() as session:
            snooze(session, key, now.astimezone(state.settings.general.tz).date() + timedelta(days=days), now)
    return RedirectResponse(safe_next(str(form.get("next") or "/")), status_code=303)
