"""Request-level sign-in: the ``signed_in`` dependency for pages and the CSRF check for their forms."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request

from smartreturn import clock
from smartreturn.web.auth import SESSION_COOKIE, SignedIn, csrf_ok, find_session


class LoginRequired(Exception):
    """Raised by :func:`signed_in`; answered with a redirect to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class CsrfFailed(Exception):
    """A form without the session's CSRF token: answered with 403."""


def signed_in(request: Request) -> SignedIn:
    state = request.app.state.web
    with state.db.session() as session:
        user = find_session(session, request.cookies.get(SESSION_COOKIE), clock.now())
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return user


async def form_of(request: Request, user: SignedIn):
    """The submitted form, after checking its CSRF token (hidden field ``csrf``, or the
    ``X-CSRF-Token`` header that htmx requests send)."""
    form = await request.form()
    given = form.get("csrf") or request.headers.get("x-csrf-token")
    if not csrf_ok(user.csrf_token, given if isinstance(given, str) else None):
        raise CsrfFailed()
    return form


def login_url(next_path: str) -> str:
    return "/login?next=" + quote(next_path, safe="")


def safe_next(value: str | None) -> str:
    """Only local paths: ``next`` must not send the user to another site after signing in."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value
