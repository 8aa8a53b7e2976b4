"""Intake over HTTP: mail uploads, SMS from phone forwarder apps, and 17TRACK's push.

- ``POST /api/v1/ingest``: one .eml (raw ``message/rfc822`` body, or a multipart form field
  ``file``) through the same pipeline as IMAP, with the same forwarder allow-list (the token's name
  is recorded as the source account). Scope ``ingest``.
- ``POST /api/v1/sms``: one SMS as JSON (or a form) in the shapes the common Android forwarders
  send (see :func:`sms_fields`); stored and parsed like ``smartreturn add-text``. Scope ``ingest``.
- ``POST /hooks/17track``: 17TRACK's webhook. No token (17TRACK cannot send one): the ``sign``
  header must equal ``sha256(raw body + "/" + security key)`` in hex, as 17TRACK's API v2.2
  documents for its webhook (https://api.17track.net/en/doc?version=v2.2, "WebHook", checked
  2026-12-06); then the parcel's timeline is merged exactly like a poll's answer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import datetime, timezone
from typing import Annotated, Any

from dateutil import parser as dateparser
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRouter
from starlette.background import BackgroundTask
from sqlalchemy import select

from smartreturn import clock
from smartreturn.pipeline import IngestOutcome, Source, ingest_bytes
from smartreturn.store.tables import Shipment
from smartreturn.web import schemas
from smartreturn.web.api import ERROR_RESPONSES, ApiError, scope
from smartreturn.web.tokens import TokenInfo

log = logging.getLogger(__name__)

Ingester = Annotated[TokenInfo, Depends(scope("ingest"))]
MAX_SMS_BYTES = 64_000
MAX_HOOK_BYTES = 2_000_000

router = APIRouter(responses=ERROR_RESPONSES)


def _outcome(outcome: IngestOutcome) -> dict[str, Any]:
    return {"message": f"m{outcome.message_pk}", "status": outcome.status.value, "duplicate": outcome.duplicate,
            "records": outcome.records, "parser": outcome.parser, "reason": outcome.reason}


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 once it passes ``limit`` (never read whole first)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"body larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _after_ingest(request: Request, outcome: IngestOutcome | None = None) -> BackgroundTask | None:
    """New mail may change what is due: the web's agenda is recomputed on the next request (its
    fingerprint moved), and the returned task (run after the response is sent) pushes what became
    urgent and saves a due follow-up draft, exactly as the daemon does for mail from IMAP."""
    state = request.app.state.web
    state.agenda.invalidate()
    if outcome is None or outcome.duplicate or outcome.message_pk is None:
        return None
    return BackgroundTask(_react, state.db, state.settings, outcome.message_pk)


def _react(db, settings, message_pk: int) -> None:
    """Runs in the server's thread pool after the response; a failure is left to the hourly job."""
    from smartreturn.notify.reactions import react_to_messages

    try:
        react_to_messages(db, settings, [message_pk])
    except Exception:  # noqa: BLE001 - the mail is stored; the hourly job sends what this could not
        log.exception("web: reacting to message m%d failed; the hourly job will send what is due", message_pk)


@router.post("/api/v1/ingest", response_model=schemas.IngestOut, tags=["intake"],
             openapi_extra={"requestBody": {"required": True, "content": {
                 "message/rfc822": {"schema": {"type": "string", "format": "binary"}},
                 "multipart/form-data": {"schema": {"type": "object", "properties": {
                     "file": {"type": "string", "format": "binary"}}, "required": ["file"]}}}}})
async def ingest(request: Request, token: Ingester) -> JSONResponse:
    """Store and parse one mail (.eml), exactly as if it had arrived over IMAP."""
    state = request.app.state.web
    limit = state.settings.ingest.max_message_bytes * 2 + 65_536  # larger mail is kept as failed by the pipeline
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=5, max_part_size=limit)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ApiError(422, "multipart upload needs a 'file' field with the .eml")
        raw = await upload.read(limit + 1)
        if len(raw) > limit:
            raise ApiError(413, f"mail larger than {limit} bytes")
    else:
        raw = await _body(request, limit)
    if not raw.strip():
        raise ApiError(422, "empty mail")
    outcome = ingest_bytes(state.db, raw, Source(kind="api", account=f"token:{token.name}"), state.settings)
    return JSONResponse(_outcome(outcome), status_code=200 if outcome.duplicate else 201,
                        background=_after_ingest(request, outcome))


# --- SMS ------------------------------------------------------------------------------------------------

def _stamp(value: Any) -> datetime | None:
    """Epoch seconds or milliseconds (number or digits), or an ISO/RFC date; None if unreadable."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        try:
            parsed = dateparser.parse(text)
        except (ValueError, OverflowError):
            return None
        return parsed
    if number > 1e11:  # milliseconds
        number /= 1000
    try:
        return datetime.fromtimestamp(number, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def sms_fields(data: dict[str, Any]) -> tuple[str | None, str, datetime | None]:
    """(sender, text, time) from the JSON shapes of the common Android SMS forwarders:

    - plain: ``{"from", "text", "time"}``
    - "Incoming SMS to URL forwarder" (bogkonstantin/android_income_sms_gateway_webhook):
      ``{"from", "text", "sentStamp", "receivedStamp", "sim"}`` (stamps in ms)
    - SmsForwarder (pppscn/SmsForwarder) webhook: ``{"from", "content", "timestamp", "receive_time", ...}``
      (also sent as a form)
    - SMS Gateway for Android (capcom6/android-sms-gateway) webhook:
      ``{"event": "sms:received", "payload": {"phoneNumber", "message", "receivedAt"}}``
    - android-sms-hooks / sms2webhook style: ``{"from" or "address", "body", "timestamp" or "date"}``
    """
    payload = data.get("payload") if isinstance(data.get("payload"), dict) else None
    if payload is not None:  # SMS Gateway for Android
        sender = payload.get("phoneNumber") or payload.get("sender")
        text = payload.get("message") or payload.get("text") or ""
        when = _stamp(payload.get("receivedAt"))
    else:
        sender = data.get("from") or data.get("sender") or data.get("address") or data.get("phoneNumber")
        text = data.get("text") or data.get("content") or data.get("body") or data.get("message") or data.get("msg") or ""
        when = None
        for key in ("time", "receivedStamp", "receive_time", "receivedAt", "timestamp", "date", "sentStamp"):
            when = _stamp(data.get(key))
            if when is not None:
                break
    return (str(sender)[:64] if sender else None), str(text), when


@router.post("/api/v1/sms", response_model=schemas.IngestOut, tags=["intake"],
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
                 "type": "object", "properties": {"from": {"type": "string"}, "text": {"type": "string"},
                                                  "time": {"type": "string", "description": "ISO-8601 or epoch s/ms"}},
                 "description": "also the shapes of the common Android SMS forwarders (see the README)"}}}}})
async def sms(request: Request, token: Ingester) -> JSONResponse:
    """One SMS (取件码, 顺丰, 京东 ...) from a phone: stored and parsed like ``smartreturn add-text``."""
    from smartreturn.cli.add_text import MAX_TEXT_CHARS, text_message

    state = request.app.state.web
    raw = await _body(request, MAX_SMS_BYTES)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type == "application/x-www-form-urlencoded":
            from urllib.parse import parse_qsl

            data: Any = dict(parse_qsl(raw.decode("utf-8", errors="replace"), max_num_fields=30))
        else:
            data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(422, "the body is not JSON (or a form)") from None
    if not isinstance(data, dict):
        raise ApiError(422, 'expected a JSON object such as {"from": "...", "text": "...", "time": "..."}')
    sender, text, when = sms_fields(data)
    if not text.strip():
        raise ApiError(422, "no SMS text found (fields text, content, body or message)")
    if len(text) > MAX_TEXT_CHARS:
        raise ApiError(413, f"SMS text longer than {MAX_TEXT_CHARS} characters")
    tz = state.settings.general.tz
    when = when or clock.now()
    when = when.astimezone(tz) if when.tzinfo else when.replace(tzinfo=tz)  # a forwarder's local time
    mail = text_message(text, when.replace(microsecond=0))
    source = Source(kind="text", account=f"token:{token.name}", path=f"sms from {sender}" if sender else "sms")
    outcome = ingest_bytes(state.db, mail, source, state.settings)
    return JSONResponse(_outcome(outcome), status_code=200 if outcome.duplicate else 201,
                        background=_after_ingest(request, outcome))


# --- 17TRACK push ----------------------------------------------------------------------------------------

def seventeen_track_key(settings) -> str | None:
    key = settings.web.seventeen_track_webhook_key or settings.tracking.seventeen_track.api_key
    return key.get_secret_value() if key else None


def valid_17track_sign(body: bytes, key: str, sign: str | None) -> bool:
    expected = hashlib.sha256(body + b"/" + key.encode()).hexdigest()
    return bool(sign) and hmac.compare_digest(expected, sign.strip().lower())


@router.post("/hooks/17track", tags=["intake"], include_in_schema=True)
async def seventeen_track(request: Request) -> JSONResponse:
    """17TRACK's webhook push: verified by its ``sign`` header, then merged into the parcel's timeline."""
    from smartreturn.tracking.providers.seventeen_track import parse_push
    from smartreturn.apply.parcels import merge_events

    state = request.app.state.web
    key = seventeen_track_key(state.settings)
    if key is None:
        raise ApiError(404, "17TRACK push is not configured ([web] seventeen_track_webhook_key)")
    body = await _body(request, MAX_HOOK_BYTES)
    if not valid_17track_sign(body, key, request.headers.get("sign")):
        log.warning("web: 17TRACK push with a bad signature refused")
        raise ApiError(401, "bad or missing sign header")
    try:
        result = parse_push(json.loads(body))
    except ValueError:
        raise ApiError(422, "the body is not JSON") from None
    if result is None:
        return JSONResponse({"status": "ignored"})
    with state.db.session() as session:
        shipments = session.scalars(select(Shipment).where(Shipment.tracking_number == result.number.strip().upper())
                                    ).all()
        for shipment in shipments:
            shipment.provider = "17track"
            if result.found:
                merge_events(session, shipment, result.events, source="17track", current=result.status)
    if not shipments:
        log.info("web: 17TRACK push for a number SmartReturn does not track")
        return JSONResponse({"status": "unknown_number"})
    _after_ingest(request)
    return JSONResponse({"status": "updated", "shipments": len(shipments)})


def install(app: FastAPI) -> None:
    app.include_router(router)
