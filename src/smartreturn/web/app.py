"""The ASGI app: pages (pages.py), REST API (api.py), intake (intake.py), calendar (calendar.py).

``create_app(settings)`` opens the database (migrating it) unless one is given, and keeps what the
routes share in ``app.state.web`` (:class:`WebState`). Every response carries the security headers
of :class:`SecurityHeaders`; a route may set a stricter Content-Security-Policy of its own (the
evidence frame does).
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from smartreturn.config import Settings
from smartreturn.store.db import Database, open_database
from smartreturn.apply.agenda_cache import AgendaCache, shared_cache
from smartreturn.web.answers import Answers
from smartreturn.web.auth import LoginLimiter
from smartreturn.web.warmup import warm_up

log = logging.getLogger(__name__)

# Pages: scripts and styles only from this origin (no inline script, no CDN), no plugins, frames
# only of our own evidence view, forms only to ourselves, never framed by others.
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


# Threads that read the store for the API's lists. Few, like datasette's ``num_sql_threads`` (3): the
# reads are short and hold the GIL most of the time, so more threads only queue for it, and each
# thread waiting to take the GIL back after a SQLite call stretches every request's latency.
STORE_THREADS = 3


@dataclass
class WebState:
    settings: Settings
    db: Database
    limiter: LoginLimiter
    agenda: AgendaCache
    secure_cookies: bool
    answers: Answers
    reads: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(STORE_THREADS, thread_name_prefix="store-read"))
    extra: dict = field(default_factory=dict)


class SecurityHeaders:
    """Pure ASGI middleware: CSP and friends on every HTTP response that has not set its own."""

    HEADERS = (
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    )

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", PAGE_CSP.encode()))
                for name, value in self.HEADERS:
                    if name not in present:
                        headers.append((name, value))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _secure_cookies(settings: Settings) -> bool:
    if settings.web.secure_cookies is not None:
        return settings.web.secure_cookies
    return settings.web.host not in ("127.0.0.1", "::1", "localhost")


def create_app(settings: Settings, db: Database | None = None) -> FastAPI:
    from smartreturn.web import api, calendar, intake, pages

    database = db or open_database(settings.database_url)
    app = FastAPI(title="SmartReturn", version="1", docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json",
                  description="Returns, refunds, parcels and deadlines from forwarded shopping mail. "
                              "Every /api/v1 call needs `Authorization: Bearer <token>` "
                              "(`smartreturn token create NAME`).")
    agenda = shared_cache(database, settings)
    app.state.web = WebState(settings=settings, db=database,
                             limiter=LoginLimiter(settings.web.login_attempts, settings.web.login_window_minutes),
                             agenda=agenda, secure_cookies=_secure_cookies(settings),
                             answers=Answers(database.change_watch(), on_change=lambda: app.state.web.agenda.invalidate()))
    static = resources.files("smartreturn.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    api.install(app)
    intake.install(app)
    calendar.install(app)
    pages.install(app)
    app.add_middleware(SecurityHeaders)
    app.router.on_startup.append(lambda: warm_up(app.state.web))
    app.router.on_shutdown.append(lambda: app.state.web.reads.shutdown(wait=False))
    app.router.on_shutdown.append(lambda: app.state.web.answers.close())
    if db is None:
        app.router.on_shutdown.append(database.dispose)
    return app
