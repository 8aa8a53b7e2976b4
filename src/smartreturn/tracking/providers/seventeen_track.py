"""17TRACK tracking API v2.2: ``register`` once, ``gettrackinfo`` to poll, ``stoptrack`` after delivery.

Every call is ``POST {base_url}/<verb>`` with the ``17token`` header and a JSON list of up to 40
``{"number", "carrier"}`` objects. Answers are ``{"code": 0, "data": {"accepted": [...],
"rejected": [{"number", "error": {"code", "message"}}]}}``; a request-level failure has a non-zero
``code`` and ``data.errors``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, ClassVar

from smartreturn.errors import TrackingAuthError, TrackingError, TrackingRateLimited
from smartreturn.model import ShipmentStatus
from smartreturn.tracking import status as status_map
from smartreturn.tracking.providers.base import (
    NOT_REGISTERED,
    KeyHeaderProvider,
    ProviderEvent,
    RegisterResult,
    TrackQuery,
    TrackResult,
    parse_time,
    track_result,
)

log = logging.getLogger(__name__)

NAME = "17track"
BASE_URL = "https://api.17track.net/track/v2.2"
MAX_NUMBERS = 40

# Documented error codes (https://api.17track.net/en/doc?version=v2.2, "Error codes").
AUTH_CODES = frozenset({-18010001, -18010002, -18010004, -18010005})  # IP/ token / disabled / unauthorised
RATE_CODES = frozenset({-18010014, -18019907})                         # request limit / daily limit
ALREADY_REGISTERED = -18019901
NOT_REGISTERED_CODE = -18019902
QUOTA_NOT_ENOUGH = -18019908
NO_INFO_YET = -18019909
NOT_TRACKING = -18019906  # stoptrack on a number that is not tracked: already stopped


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        return f"{error.get('code')}: {error.get('message') or ''}".strip()
    return str(error)


class SeventeenTrack(KeyHeaderProvider):
    name: ClassVar[str] = NAME
    default_base_url: ClassVar[str] = BASE_URL
    key_header: ClassVar[str] = "17token"
    batch_size: ClassVar[int] = MAX_NUMBERS
    needs_registration: ClassVar[bool] = True
    stops_tracking: ClassVar[bool] = True

    # --- the three calls ---------------------------------------------------------------------------
    def register(self, queries: Sequence[TrackQuery]) -> RegisterResult:
        data = self._call("register", queries)
        registered = [str(item.get("number")) for item in data.get("accepted") or [] if isinstance(item, dict)]
        rejected: list[tuple[str, str]] = []
        quota = False
        for item in data.get("rejected") or []:
            if not isinstance(item, dict):
                continue
            number, error = str(item.get("number")), item.get("error") or {}
            code = error.get("code") if isinstance(error, dict) else None
            if code == ALREADY_REGISTERED:
                registered.append(number)
            else:
                quota = quota or code == QUOTA_NOT_ENOUGH
                rejected.append((number, _error_text(error)))
        return RegisterResult(tuple(registered), tuple(rejected), quota)

    def fetch(self, queries: Sequence[TrackQuery]) -> list[TrackResult]:
        data = self._call("gettrackinfo", queries)
        results: dict[str, TrackResult] = {}
        for item in data.get("accepted") or []:
            if isinstance(item, dict) and item.get("number"):
                results[str(item["number"])] = _track_result(item)
        for item in data.get("rejected") or []:
            if not isinstance(item, dict) or not item.get("number"):
                continue
            error = item.get("error") or {}
            code = error.get("code") if isinstance(error, dict) else None
            reason = NOT_REGISTERED if code == NOT_REGISTERED_CODE else _error_text(error)
            results[str(item["number"])] = TrackResult(number=str(item["number"]), found=False, error=reason)
        return [results.get(q.number) or TrackResult(q.number, found=False, error="missing from the answer")
                for q in queries]

    def stop(self, queries: Sequence[TrackQuery]) -> None:
        data = self._call("stoptrack", queries)
        for item in data.get("rejected") or []:
            error = item.get("error") if isinstance(item, dict) else None
            if isinstance(error, dict) and error.get("code") not in (NOT_TRACKING, NOT_REGISTERED_CODE):
                log.warning("17track: stoptrack refused %s: %s", item.get("number"), _error_text(error))

    # --- plumbing ----------------------------------------------------------------------------------
    def _call(self, verb: str, queries: Sequence[TrackQuery]) -> dict[str, Any]:
        if not 0 < len(queries) <= MAX_NUMBERS:
            raise ValueError(f"17track takes 1..{MAX_NUMBERS} numbers a call, not {len(queries)}")
        body = [_number_body(q) for q in queries]
        payload = self.request_json("POST", verb, json=body)
        if not isinstance(payload, dict):
            raise TrackingError(f"{NAME}: unexpected answer to {verb}")
        code = payload.get("code")
        data = payload.get("data")
        if code != 0:
            errors = data.get("errors") if isinstance(data, dict) else None
            codes = {code} | {e.get("code") for e in errors or [] if isinstance(e, dict)}
            detail = "; ".join(_error_text(e) for e in errors or []) or str(code)
            if codes & AUTH_CODES:
                raise TrackingAuthError(f"{NAME}: the API key was rejected ({detail})")
            if codes & RATE_CODES:
                raise TrackingRateLimited(f"{NAME}: request limit exceeded ({detail})")
            raise TrackingError(f"{NAME}: {verb} failed ({detail})")
        if not isinstance(data, dict):
            raise TrackingError(f"{NAME}: {verb} answer has no data")
        return data


def _number_body(query: TrackQuery) -> dict[str, Any]:
    body: dict[str, Any] = {"number": query.number}
    if query.provider_carrier:
        code = query.provider_carrier
        body["carrier"] = int(code) if str(code).isdigit() else code
    return body


def _track_result(item: dict[str, Any]) -> TrackResult:
    number = str(item["number"])
    info = item.get("track_info") or {}
    latest = info.get("latest_status") or {}
    main, sub = latest.get("status"), latest.get("sub_status")
    overall = status_map.from_17track(main, sub)
    events: list[ProviderEvent] = []
    for provider in (info.get("tracking") or {}).get("providers") or []:
        for event in (provider or {}).get("events") or []:
            parsed = _event(event)
            if parsed is not None:
                events.append(parsed)
    return track_result(number, overall, f"{main}/{sub}" if sub else main, events)


def _event(event: Any) -> ProviderEvent | None:
    if not isinstance(event, dict):
        return None
    when = parse_time(event.get("time_iso"), default_tz=None) or parse_time(event.get("time_utc"))
    if when is None:
        log.debug("17track: event without a usable time skipped")
        return None
    stage, sub = event.get("stage"), event.get("sub_status")
    status = status_map.from_17track(stage, sub) or ShipmentStatus.IN_TRANSIT  # an unlabelled scan
    raw = "/".join(str(x) for x in (stage, sub) if x) or None
    location = event.get("location")
    return ProviderEvent(
        occurred_at=when,
        status=status,
        description=event.get("description") or None,
        location=location if isinstance(location, str) and location else None,
        raw_code=raw,
    )


def parse_push(payload: Any) -> TrackResult | None:
    """A 17TRACK webhook push (``{"event": "TRACKING_UPDATED", "data": {"number", "carrier",
    "track_info"}}``) as the same :class:`TrackResult` a ``gettrackinfo`` answer gives; None for other
    events (``TRACKING_STOPPED``) or a body without a number. The signature is checked by the caller."""
    if not isinstance(payload, dict) or payload.get("event") != "TRACKING_UPDATED":
        return None
    data = payload.get("data")
    if not isinstance(data, dict) or not data.get("number"):
        return None
    return _track_result(data)
