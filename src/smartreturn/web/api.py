"""REST API ``/api/v1``: the store as JSON, with the CLI's shapes (schemas.py).

Every call needs ``Authorization: Bearer <token>`` (``smartreturn token create NAME``), also from
loopback. Lists (agenda included) take ``limit`` (1..500), ``offset`` and their filters
(schemas.ListQuery) and answer ``{items, limit, offset, next_offset}``, through one helper,
:func:`listing`. Errors answer ``{"error": {"status", "code", "message"}}`` whatever went wrong.

Speed (bench/bench_web.py): a list request leaves the event loop once, for one read on a bare
connection in one of a few store threads (app.STORE_THREADS) that checks the token and reads the page
(:meth:`Caller.run`); its statement was built once (store/queries.py); FastAPI validates and
serialises the page with pydantic on the event loop. The other routes check the token in a
dependency of their own.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRouter
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import TypeAdapter
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from smartreturn import clock
from smartreturn.errors import StoreError
from smartreturn.rules.agenda import AgendaItem
from smartreturn.store import queries
from smartreturn.apply.deadlines import describe_rows
from smartreturn.apply.manual import ManualReturn, ReturnUpdate, add_manual_return, update_return
from smartreturn.rules.deadlines import RuleContext
from smartreturn.store.snapshot import deadlines_with_orders
from smartreturn.store.tables import Message
from smartreturn.web import schemas
from smartreturn.web.answers import Answer
from smartreturn.web.auth import digest
from smartreturn.web.tokens import TokenInfo, check_token, touch

log = logging.getLogger(__name__)

TOUCH_EVERY = 60.0  # seconds: last_used_at is a hint, not a per-request write

ERRORS = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 409: "conflict",
          413: "too_large", 415: "unsupported_media_type", 422: "invalid", 429: "rate_limited"}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": schemas.ErrorBody, "description": code} for status, code in
    ((401, "no or unknown token"), (403, "the token lacks the scope"), (422, "invalid parameters"))}


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code or ERRORS.get(status, "error")


def error_response(status: int, code: str, message: str, details: list | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body = schemas.ErrorBody(error=schemas.Error(status=status, code=code, message=message, details=details))
    return JSONResponse(jsonable_encoder(body, exclude_none=True), status_code=status, headers=headers)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(("/api/v1", "/hooks/", "/calendar.ics"))


async def _api_error(request: Request, exc: ApiError) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="smartreturn"'} if exc.status == 401 else None
    return error_response(exc.status, exc.code, exc.message, headers=headers)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if not _is_api(request):
        return await http_exception_handler(request, exc)
    return error_response(exc.status_code, ERRORS.get(exc.status_code, "error"), str(exc.detail))


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    if not _is_api(request):
        return await request_validation_exception_handler(request, exc)
    details = [{"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
               for e in exc.errors()]
    return error_response(422, "invalid", "invalid request: " + "; ".join(f"{d['where']}: {d['problem']}" for d in details),
                          details)


# --- authentication ----------------------------------------------------------------------------------

_bearer = HTTPBearer(auto_error=False, description="`smartreturn token create NAME` prints one")
_touched: dict[int, float] = {}
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Caller:
    """A request's bearer secret and the scope its route needs (None: any live token).

    :meth:`check` looks the token up in the store on every request (a revocation by the CLI acts at
    once). List routes take a Caller unchecked (:data:`ListReader`) and check it in :meth:`run`, in the
    same worker thread and transaction as their reads: one hop off the event loop per request."""

    state: Any
    secret: str | None
    scope: str | None
    url: str = ""                      # the request's path and query: what a list answer is kept under
    if_none_match: str | None = None   # the client's copy of the answer (ETag)

    def check(self, connection: Connection) -> TokenInfo:
        token = check_token(connection, self.secret)
        if token is None:
            raise ApiError(401, "a valid bearer token is required (smartreturn token create NAME)")
        if self.scope is not None and self.scope not in token.scopes:
            raise ApiError(403, f"token {token.name!r} lacks the {self.scope!r} scope")
        if time.monotonic() - _touched.get(token.id, -TOUCH_EVERY) >= TOUCH_EVERY:
            _touched[token.id] = time.monotonic()
            with self.state.db.session() as session:  # a write of its own, once a minute at most
                touch(session, token.id, clock.now())
        return token

    async def run(self, read: Callable[[Connection], T], *, slow: bool = False) -> tuple[TokenInfo, T]:
        """``read(connection)`` in a store thread (app.STORE_THREADS), after the token passed :meth:`check`
        on that connection. A ``slow`` read (one that may compute the agenda) runs in the general
        thread pool instead, so that it never holds up the store threads the lists need."""
        def job() -> tuple[TokenInfo, T]:
            with self.state.db.reading() as connection:
                token = self.check(connection)
                return token, read(connection)
        if slow:
            return await run_in_threadpool(job)
        return await asyncio.get_running_loop().run_in_executor(self.state.reads, job)


def authenticate(request: Request, secret: str | None) -> TokenInfo:
    """The live token for ``secret`` (any scope), or 401."""
    state = request.app.state.web
    with state.db.reading() as connection:
        return Caller(state, secret, None).check(connection)


def scope(name: str):
    """Dependency: the checked token, which must have scope ``name`` (read in a worker thread of its own)."""
    def dependency(request: Request,
                   credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> TokenInfo:
        state = request.app.state.web
        with state.db.reading() as connection:
            return Caller(state, credentials.credentials if credentials else None, name).check(connection)
    return dependency


async def unchecked(request: Request,
                    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Caller:
    """Dependency of the list routes: the caller, checked by :meth:`Caller.run` with the listing's read."""
    if credentials is None:
        raise ApiError(401, "a valid bearer token is required (smartreturn token create NAME)")
    url = request.url.path + ("?" + request.url.query if request.url.query else "")
    return Caller(request.app.state.web, credentials.credentials, "read", url, request.headers.get("if-none-match"))


Reader = Annotated[TokenInfo, Depends(scope("read"))]
Writer = Annotated[TokenInfo, Depends(scope("write"))]
ListReader = Annotated[Caller, Depends(unchecked)]


def _since(value: date | None, request: Request) -> datetime | None:
    if value is None:
        return None
    return datetime.combine(value, datetime.min.time(), tzinfo=request.app.state.web.settings.general.tz)


def page_of(rows: Sequence[Any], query: schemas.ListQuery) -> dict[str, Any]:
    """``rows`` was fetched with ``limit + 1``: the extra row says whether a next page exists."""
    limit, offset = query.limit, query.offset
    return {"items": rows[:limit], "limit": limit, "offset": offset,
            "next_offset": offset + limit if len(rows) > limit else None}


@functools.cache
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


def _touch_due(token_id: int) -> bool:
    return time.monotonic() - _touched.get(token_id, -TOUCH_EVERY) >= TOUCH_EVERY


async def answer(caller: Caller, model: Any, read: Callable[[Connection], Any], *, slow: bool = False) -> Response:
    """The JSON answer of a GET list: ``read(connection)`` validated and serialised by ``model`` (as
    FastAPI does with a route's response model), or the answer kept while the store is unchanged
    (web/answers.py); 304 if the client holds it already (``If-None-Match``)."""
    state = caller.state
    version = state.answers.version()
    local = clock.now().astimezone(state.settings.general.tz)
    key = (caller.scope, digest(caller.secret or ""), caller.url, local.date(), local.hour)  # lists show days left
    kept = state.answers.get(version, key)
    if kept is None or _touch_due(kept.token_id):
        adapter = _adapter(model)
        token, body = await caller.run(
            lambda connection: adapter.dump_json(adapter.validate_python(read(connection)), by_alias=True), slow=slow)
        kept = Answer.of(body, token.id)
        state.answers.put(version, key, kept)
    headers = {"ETag": kept.etag, "Cache-Control": "private, no-cache"}
    if kept.matches(caller.if_none_match):
        return Response(status_code=304, headers=headers)
    return Response(kept.body, media_type="application/json", headers=headers)


async def listing(caller: Caller, query: schemas.ListQuery, lister: Callable[..., list[dict[str, Any]]], model: Any,
                  then: Callable[[Connection, list[dict[str, Any]]], list[dict[str, Any]]] | None = None) -> Response:
    """One page of a store listing (store/queries.py) with the query's filters; ``then`` completes
    the page's items in the same read (same thread, same connection)."""
    filters = query.filters(caller.state.settings.general.tz)

    def read(connection: Connection) -> dict[str, Any]:
        page = page_of(lister(connection, **filters, limit=query.limit + 1, offset=query.offset), query)
        if then is not None:
            page["items"] = then(connection, page["items"])
        return page

    return await answer(caller, model, read)


# --- routes -----------------------------------------------------------------------------------------

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)


@router.get("/orders", response_model=schemas.Page[schemas.OrderOut], tags=["orders"])
async def list_orders(caller: ListReader, query: Annotated[schemas.OrdersQuery, Query()]) -> Response:
    """Orders, newest first (``smartreturn list orders --json``)."""
    return await listing(caller, query, queries.list_orders, schemas.Page[schemas.OrderOut])


@router.get("/orders/{ref}", response_model=schemas.CaseDetailOut, tags=["orders"])
def get_order(request: Request, token: Reader, ref: str) -> dict[str, Any]:
    """One order with items, returns, parcels (with predicted delivery) and its evidence timeline
    (``smartreturn show REF --json``). ``ref``: o12, r3, an order number or a tracking number."""
    state = request.app.state.web
    with state.db.session() as session:
        detail = queries.case_detail(session, ref, now=clock.now(), tz=state.settings.general.tz)
    if detail is None:
        raise ApiError(404, f"no order for {ref!r}")
    return detail


@router.get("/returns", response_model=schemas.Page[schemas.ReturnOut], tags=["returns"])
async def list_returns(caller: ListReader, query: Annotated[schemas.ReturnsQuery, Query()]) -> Response:
    """Return cases, newest first (``smartreturn list returns --json``); filter by platform, status,
    merchant, reason category, requested since."""
    return await listing(caller, query, queries.list_returns, schemas.Page[schemas.ReturnOut])


def _return_row(request: Request, case_id: int) -> dict[str, Any]:
    with request.app.state.web.db.session() as session:
        rows = queries.list_returns(session, case_ids=[case_id], limit=1)
    if not rows:
        raise ApiError(404, f"no return case r{case_id}")
    return rows[0]


def _ref_id(ref: str, letter: str, what: str) -> int:
    """The id in ``r3`` / ``3`` (``letter`` is the kind's: r, m), or 404."""
    digits = ref[1:] if ref[:1].lower() == letter else ref
    if not digits.isdigit():
        raise ApiError(404, f"no {what} {ref!r} (use {letter}3 or 3)")
    return int(digits)


def _case_id(ref: str) -> int:
    return _ref_id(ref, "r", "return case")


@router.get("/returns/{ref}", response_model=schemas.ReturnOut, tags=["returns"])
def get_return(request: Request, token: Reader, ref: str) -> dict[str, Any]:
    return _return_row(request, _case_id(ref))


@router.post("/returns", response_model=schemas.ReturnOut, status_code=201, tags=["returns"])
def create_return(request: Request, token: Writer, body: schemas.ReturnCreate) -> dict[str, Any]:
    """Enter a return by hand, like ``smartreturn return add``."""
    tz = request.app.state.web.settings.general.tz
    requested = body.requested_at or clock.now()
    entry = ManualReturn(
        order_number=body.order_number.strip(), platform=body.platform.strip().lower(), kind=body.kind,
        requested_at=requested if requested.tzinfo else requested.replace(tzinfo=tz), currency=body.currency.upper(),
        items=tuple(i.strip()[:500] for i in body.items if i.strip()), reason=body.reason, category=body.category,
        merchant=body.merchant, paid=body.paid, expected_refund=body.expected_refund, shipping_cost=body.shipping_cost,
        tracking_number=body.tracking_number, carrier=body.carrier)
    with request.app.state.web.db.session() as session:
        case_id = add_manual_return(session, entry)
    request.app.state.web.agenda.invalidate()
    return _return_row(request, case_id)


@router.patch("/returns/{ref}", response_model=schemas.ReturnOut, tags=["returns"])
def patch_return(request: Request, token: Writer, ref: str, body: schemas.ReturnPatch) -> dict[str, Any]:
    """Correct a return, like ``smartreturn return update``: status, reason, refund, money, a note."""
    case_id = _case_id(ref)
    change = ReturnUpdate(status=body.status, reason=body.reason, category=body.category, refunded=body.refunded,
                          expected_refund=body.expected_refund, shipping_cost=body.shipping_cost,
                          restocking_fee=body.restocking_fee, note=body.note)
    try:
        with request.app.state.web.db.session() as session:
            update_return(session, case_id, change, now=clock.now())
    except StoreError:
        raise ApiError(404, f"no return case r{case_id}") from None
    request.app.state.web.agenda.invalidate()
    return _return_row(request, case_id)


@router.get("/shipments", response_model=schemas.Page[schemas.ShipmentOut], tags=["shipments"])
async def list_shipments(caller: ListReader, query: Annotated[schemas.ShipmentsQuery, Query()]) -> Response:
    """Parcels, latest movement first (``smartreturn list shipments --json``)."""
    return await listing(caller, query, queries.list_shipments, schemas.Page[schemas.ShipmentOut])


@router.get("/deadlines", response_model=schemas.Page[schemas.DeadlineOut], tags=["deadlines"])
async def list_deadlines(caller: ListReader, query: Annotated[schemas.DeadlinesQuery, Query()]) -> Response:
    """Deadlines as the rules stored them, soonest first, each with its rule, anchor (known / assumed /
    stated by the merchant), source and evidence: the rows of ``smartreturn deadlines --json``."""
    settings = caller.state.settings
    return await listing(caller, query, queries.list_deadlines, schemas.Page[schemas.DeadlineOut],
                         lambda connection, items: _explained(connection, settings, items))


def _explained(connection: Connection, settings: Any, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The listed deadlines with what ``describe`` says of each (apply/deadlines.py): one for CLI and API."""
    if not items:
        return items
    rows, orders = deadlines_with_orders(connection, [item["id"] for item in items])
    listed = [rows[item["id"]] for item in items]
    described = describe_rows(connection, listed, clock.now(), RuleContext.from_settings(settings), orders)
    return [{**about, **item} for item, about in zip(items, described)]


@router.get("/agenda", response_model=schemas.AgendaOut, tags=["agenda"])
async def get_agenda(caller: ListReader, query: Annotated[schemas.AgendaQuery, Query()]) -> Response:
    """Today's agenda, most urgent first, with each item's priority factors (``smartreturn agenda --json``),
    paged like the other lists; ``money_outstanding`` and ``parser_health`` are the whole agenda's."""
    from smartreturn.cli.agenda import agenda_json

    state = caller.state
    wanted = {name: value for name, value in query.filters(state.settings.general.tz).items() if value is not None}

    def read(connection: Connection) -> dict[str, Any]:
        from smartreturn.apply.agenda_cache import visible

        now = clock.now()
        agenda = visible(state.db, state.settings, state.agenda.get(state.db, now), now)  # as `agenda --json`
        matching: Sequence[AgendaItem] = agenda.items
        if wanted:
            matching = [item for item in agenda.items if all(getattr(item, name) == value for name, value in wanted.items())]
        page = page_of(matching[query.offset:query.offset + query.limit + 1], query)
        shown = agenda_json(replace(agenda, items=tuple(page["items"])))
        return {**shown, **page, "items": shown["items"]}

    return await answer(caller, schemas.AgendaOut, read, slow=True)


@router.get("/stats", response_model=schemas.StatsOut, tags=["stats"])
def get_stats(request: Request, token: Reader, since: date | None = None) -> dict[str, Any]:
    """Returns by reason, merchant, platform, category and month; money per currency (``smartreturn stats --json``)."""
    from smartreturn.stats.report import compute_stats

    state = request.app.state.web
    with state.db.session() as session:
        result = compute_stats(session, since=_since(since, request), language=state.settings.general.language,
                               settings=state.settings.stats)
    return {"since": result.since, **result.tables()}


@router.get("/messages", response_model=schemas.Page[schemas.MessageOut], tags=["messages"])
async def list_messages(caller: ListReader, query: Annotated[schemas.MessagesQuery, Query()]) -> Response:
    """Stored mail (metadata only), newest first (``smartreturn list messages --json``)."""
    return await listing(caller, query, queries.list_messages, schemas.Page[schemas.MessageOut])


def _message_id(ref: str) -> int:
    return _ref_id(ref, "m", "message")


@router.get("/messages/{ref}", response_model=schemas.MessageOut, tags=["messages"])
def get_message(request: Request, token: Reader, ref: str) -> dict[str, Any]:
    message_id = _message_id(ref)
    with request.app.state.web.db.session() as session:
        message = session.get(Message, message_id)
        if message is None:
            raise ApiError(404, f"no message m{message_id}")
        return {"id": f"m{message.id}", "status": message.status, "from": message.from_addr, "subject": message.subject,
                "parser": message.parser_name, "reason": message.status_reason,
                "received_at": queries._iso(message.received_at), "source": message.source_kind}


@router.get("/messages/{ref}/raw", tags=["messages"], response_class=Response,
            responses={200: {"content": {"message/rfc822": {}}, "description": "the mail exactly as received"}})
def get_message_raw(request: Request, token: Reader, ref: str) -> Response:
    """The stored mail as received (.eml), as an attachment: never rendered."""
    from smartreturn.web.case import eml_response

    message_id = _message_id(ref)
    with request.app.state.web.db.session() as session:
        message = session.get(Message, message_id)
    if message is None:
        raise ApiError(404, f"no message m{message_id}")
    return eml_response(message)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.include_router(router)
    _install_docs(app)


def _install_docs(app: FastAPI) -> None:
    """Swagger UI 5 from the files the fastapi-offline package ships (no CDN, no inline script: our
    CSP holds; FastAPI's own /docs loads it from a CDN with an inline script)."""
    from importlib import resources

    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles

    assets = resources.files("fastapi_offline").joinpath("static")
    app.mount("/api/docs/assets", StaticFiles(directory=str(assets)), name="swagger-ui")

    def docs() -> HTMLResponse:
        return HTMLResponse(
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SmartReturn API</title>'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head><body><div id="swagger-ui"></div>'
            '<script src="/api/docs/assets/swagger-ui-bundle.js"></script>'
            '<script src="/static/swagger-init.js"></script></body></html>')

    app.add_api_route("/api/docs", docs, methods=["GET"], include_in_schema=False)
