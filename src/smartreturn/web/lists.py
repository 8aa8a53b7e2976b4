"""List pages: Returns (filters, priority order with its factors), Parcels, Stats, Parser health,
Settings (read-only, secrets never shown)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from smartreturn import clock
from smartreturn.model import ReasonCategory, ReturnStatus
from smartreturn.stats.reasons import label as reason_label
from smartreturn.store import queries
from smartreturn.store.tables import Merchant, Order, ReturnCase
from smartreturn.web.auth import SignedIn
from smartreturn.web.render import language_of, page
from smartreturn.web.session import signed_in
from smartreturn.web.views import priorities

User = Annotated[SignedIn, Depends(signed_in)]

PAGE_SIZE = 50
CLOSED = (ReturnStatus.REFUNDED, ReturnStatus.REJECTED, ReturnStatus.CANCELLED, ReturnStatus.EXCHANGE_DELIVERED)
OPEN = tuple(s.value for s in ReturnStatus if s not in CLOSED)


def returns_page_rows(state: Any, now, *, status: str, platform: str | None, merchant: str | None,
                      reason: str | None, sort: str, page_no: int) -> tuple[list[dict], int]:
    """One page of the return cases matching the filters, most urgent first (the agenda's priority
    and factors), and how many match. Only the ids of all matches are read; rows only for the page."""
    statuses = OPEN if status == "open" else None if status == "all" else status
    cache = state.agenda
    best = cache.memo(state.db, now, "priorities", lambda: priorities(cache.get(state.db, now)))

    def matching() -> list[int]:
        with state.db.session() as session:
            ids = queries.return_case_ids(session, platform=platform or None, status=statuses,
                                          merchant=merchant or None, reason=reason or None)
        if sort == "priority":  # stable: newest first among equals (the query's order)
            ids.sort(key=lambda case_id: -(best[case_id].priority if case_id in best else 0.0))
        return ids

    ids = cache.memo(state.db, now, ("returns", status, platform, merchant, reason, sort), matching)
    start = (page_no - 1) * PAGE_SIZE
    shown = ids[start:start + PAGE_SIZE]
    with state.db.session() as session:
        rows = {row["id"]: row for row in queries.list_returns(session, case_ids=shown, limit=None)} if shown else {}
    page_rows = [rows[f"r{case_id}"] | {"agenda": best.get(case_id)} for case_id in shown]
    return page_rows, len(ids)


def returns_page(request: Request, user: User, status: str = "open", platform: str | None = None,
                 merchant: str | None = None, reason: str | None = None, sort: str = "priority",
                 page_no: Annotated[int, Query(alias="page", ge=1)] = 1) -> Response:
    state = request.app.state.web
    if status not in ("open", "all") and status not in {s.value for s in ReturnStatus}:
        status = "open"
    sort = sort if sort in ("priority", "requested") else "priority"
    rows, total = returns_page_rows(state, clock.now(), status=status, platform=platform, merchant=merchant,
                                    reason=reason, sort=sort, page_no=page_no)
    platforms, merchants = filter_choices(state, clock.now())
    language = language_of(request)
    return page(request, "returns.html.j2", user=user, rows=rows, total=total,
                page_no=page_no, pages=max(1, -(-total // PAGE_SIZE)),
                filters={"status": status, "platform": platform or "", "merchant": merchant or "",
                         "reason": reason or "", "sort": sort},
                statuses=[s.value for s in ReturnStatus], platforms=platforms, merchants=merchants,
                reasons=[(c.value, reason_label(c, language)) for c in ReasonCategory],
                reason_label=lambda c: reason_label(c, language) if c else "")


def filter_choices(state: Any, now) -> tuple[list[str], list[str]]:
    """The filter menus' platforms and merchants, read once per store state."""
    return state.agenda.memo(state.db, now, "filter_choices", lambda: _choices(state.db))


def _choices(db) -> tuple[list[str], list[str]]:
    """The platforms and merchants that have return cases (for the filter menus)."""
    with db.session() as session:
        platforms = session.scalars(select(Order.platform).distinct().join(ReturnCase, ReturnCase.order_id == Order.id)
                                    .order_by(Order.platform)).all()
        merchants = session.scalars(select(Merchant.name).distinct().join(Order, Order.merchant_id == Merchant.id)
                                    .join(ReturnCase, ReturnCase.order_id == Order.id).order_by(Merchant.name)
                                    .limit(500)).all()
    return list(platforms), list(merchants)


def parcels_page(request: Request, user: User) -> Response:
    from smartreturn.tracking.prediction import parcels_on_the_way

    state = request.app.state.web
    now = clock.now()
    with state.db.session() as session:
        on_the_way = parcels_on_the_way(session, now, state.settings.general.tz, limit=200)
        delivered = queries.list_shipments(session, status="delivered", limit=30)
        pickups = queries.list_pickups(session, status="waiting", limit=30)
    return page(request, "parcels.html.j2", user=user, on_the_way=on_the_way, delivered=delivered, pickups=pickups)


def _stats(request: Request):
    from smartreturn.stats.report import compute_stats

    state = request.app.state.web
    with state.db.session() as session:
        return compute_stats(session, language=language_of(request), settings=state.settings.stats)


def stats_page(request: Request, user: User) -> Response:
    return page(request, "stats.html.j2", user=user, stats=_stats(request))


def stats_chart(request: Request, user: User) -> Response:
    from smartreturn.stats.charts import render_svg

    return Response(render_svg(_stats(request)), media_type="image/svg+xml",
                    headers={"Cache-Control": "no-store", "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})


def parsers_page(request: Request, user: User, days: Annotated[int, Query(ge=1, le=365)] = 7) -> Response:
    state = request.app.state.web
    with state.db.session() as session:
        rows = queries.parser_health(session, clock.now() - timedelta(days=days))
        failed = queries.list_messages(session, status="failed", limit=50)
    return page(request, "parsers.html.j2", user=user, rows=rows, days=days, failed=failed)


def settings_page(request: Request, user: User) -> Response:
    state = request.app.state.web
    return page(request, "settings.html.j2", user=user, sections=settings_overview(state.settings),
                database=_database_label(state.settings.database_url))


SECRET_KEYS = frozenset({"password", "api_key", "password_hash", "urls", "digest_urls", "seventeen_track_webhook_key"})


def settings_overview(settings) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every section and key as text; secrets are reduced to "set" / "not set" (never shown)."""
    data = settings.model_dump(mode="python", exclude={"source"})
    sections = []
    for section, values in data.items():
        if section == "database":
            continue  # shown separately, with the password taken out of the URL
        rows = []
        for key, value in _flatten(values):
            leaf = key.rsplit(".", 1)[-1].split("[", 1)[0]
            rows.append((key, _secret_text(value) if leaf in SECRET_KEYS else _text(value)))
        sections.append((section, rows))
    return sections


def _flatten(values: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(values, dict):
        out = []
        for key, value in values.items():
            out.extend(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(values, list) and values and all(isinstance(v, dict) for v in values):
        out = []
        for index, value in enumerate(values):
            out.extend(_flatten(value, f"{prefix}[{index}]"))
        return out
    return [(prefix, values)]


def _secret_text(value: Any) -> str:
    if isinstance(value, list):
        return f"{len(value)} set" if value else "not set"
    return "set" if value else "not set"


def _text(value: Any) -> str:
    if hasattr(value, "get_secret_value"):  # any other SecretStr the settings may grow
        return "set"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "–"
    return "–" if value is None else str(value)


def _database_label(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
