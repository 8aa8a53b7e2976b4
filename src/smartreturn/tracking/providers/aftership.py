"""AfterShip tracking API (v4): ``POST /trackings`` once, ``GET /trackings/{slug}/{number}`` to poll.

Header ``as-api-key``. Answers are ``{"meta": {"code", "message", "type"}, "data": {"tracking": {...}}}``;
``meta.code`` 4003 means the tracking exists already, 4004 that it does not exist. AfterShip stops
tracking delivered parcels by itself, so there is no stop call.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, ClassVar
from urllib.parse import quote

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
    check_http,
    parse_json,
    parse_time,
    retry_after_seconds,
    send,
    track_result,
)

log = logging.getLogger(__name__)

NAME = "aftership"
BASE_URL = "https://api.aftership.com/v4"
EXISTS = 4003
DOES_NOT_EXIST = 4004


class AfterShip(KeyHeaderProvider):
    name: ClassVar[str] = NAME
    default_base_url: ClassVar[str] = BASE_URL
    key_header: ClassVar[str] = "as-api-key"
    batch_size: ClassVar[int] = 1
    needs_registration: ClassVar[bool] = True
    stops_tracking: ClassVar[bool] = False

    def register(self, queries: Sequence[TrackQuery]) -> RegisterResult:
        (query,) = queries
        if not query.provider_carrier:
            return RegisterResult(rejected=((query.number, f"carrier {query.carrier} unknown to AfterShip"),))
        body = {"tracking": {"slug": query.provider_carrier, "tracking_number": query.number}}
        meta, _ = self._call("POST", "trackings", json=body)
        if meta["code"] in (200, 201, EXISTS):
            return RegisterResult(registered=(query.number,))
        return RegisterResult(rejected=((query.number, f"{meta['code']}: {meta.get('message') or ''}"),))

    def fetch(self, queries: Sequence[TrackQuery]) -> list[TrackResult]:
        (query,) = queries
        if not query.provider_carrier:
            return [TrackResult(query.number, found=False, error=f"carrier {query.carrier} unknown to AfterShip")]
        path = f"trackings/{quote(query.provider_carrier, safe='')}/{quote(query.number, safe='')}"
        meta, data = self._call("GET", path)
        if meta["code"] == DOES_NOT_EXIST:
            return [TrackResult(query.number, found=False, error=NOT_REGISTERED)]
        if meta["code"] != 200:
            return [TrackResult(query.number, found=False, error=f"{meta['code']}: {meta.get('message') or ''}")]
        tracking = data.get("tracking") if isinstance(data, dict) else None
        if not isinstance(tracking, dict):
            raise TrackingError(f"{NAME}: answer without data.tracking")
        return [_track_result(query.number, tracking)]

    def stop(self, queries: Sequence[TrackQuery]) -> None:  # AfterShip stops by itself
        return None

    def _call(self, method: str, path: str, **kwargs: Any) -> tuple[dict[str, Any], Any]:
        response = send(self._client, NAME, method, path, **kwargs)
        payload: Any = None
        if response.status_code < 500:
            try:
                payload = response.json()
            except ValueError:
                payload = None
        meta = payload.get("meta") if isinstance(payload, dict) else None
        meta_code = meta.get("code") if isinstance(meta, dict) else None
        if response.status_code in (401, 403) or meta_code == 401:
            raise TrackingAuthError(f"{NAME}: the API key was rejected (HTTP {response.status_code})")
        if response.status_code == 429 or meta_code == 429:
            raise TrackingRateLimited(f"{NAME}: too many requests", retry_after_seconds(response))
        check_http(response, NAME)
        if not isinstance(meta, dict) or not isinstance(meta_code, int):
            parse_json(response, NAME)  # raises for non-JSON
            raise TrackingError(f"{NAME}: answer without meta.code (HTTP {response.status_code})")
        return meta, payload.get("data")


def _track_result(number: str, tracking: dict[str, Any]) -> TrackResult:
    tag, subtag = tracking.get("tag"), tracking.get("subtag")
    overall = status_map.from_aftership(tag, subtag)
    events: list[ProviderEvent] = []
    for checkpoint in tracking.get("checkpoints") or []:
        if not isinstance(checkpoint, dict):
            continue
        when = parse_time(checkpoint.get("checkpoint_time"))  # local time without offset: read as UTC
        if when is None:
            continue
        status = status_map.from_aftership(checkpoint.get("tag"), checkpoint.get("subtag")) or ShipmentStatus.IN_TRANSIT
        place = checkpoint.get("location") or ", ".join(
            str(p) for p in (checkpoint.get("city"), checkpoint.get("country_name") or checkpoint.get("country_iso3")) if p
        )
        events.append(ProviderEvent(
            occurred_at=when,
            status=status,
            description=checkpoint.get("message") or None,
            location=place or None,
            raw_code="/".join(str(x) for x in (checkpoint.get("tag"), checkpoint.get("subtag")) if x) or None,
        ))
    return track_result(number, overall, f"{tag}/{subtag}" if subtag else tag, events)
