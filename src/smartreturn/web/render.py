"""Rendering pages: the project's one Jinja environment (user folder first, sandboxed, autoescaped
for ``*.html.j2``), with what every page needs: the translator, the CSRF token, the signed-in user."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from smartreturn.notify.render import render
from smartreturn.web.i18n import LANGUAGE_NAMES, pick_language, translator, value_translator

LANG_COOKIE = "sr_lang"

NAV = (("today", "/"), ("returns", "/returns"), ("parcels", "/parcels"), ("stats", "/stats"),
       ("parser_health", "/parsers"), ("settings", "/settings"))


def language_of(request: Request) -> str:
    state = request.app.state.web
    return pick_language(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"),
                         state.settings.general.language)


def page(request: Request, template: str, *, status_code: int = 200, user=None, **context: Any) -> HTMLResponse:
    state = request.app.state.web
    language = language_of(request)
    body = render(f"web/{template}", {
        "t": translator(language), "tv": value_translator(language), "lang": language, "languages": LANGUAGE_NAMES, "nav": NAV,
        "path": request.url.path, "user": user, "csrf": user.csrf_token if user else "",
        "htmx": request.headers.get("hx-request") == "true", **context,
    }, user_dir=state.settings.notify.template_dir)
    return HTMLResponse(body, status_code=status_code, headers={"Cache-Control": "no-store", "Vary": "Cookie"})
