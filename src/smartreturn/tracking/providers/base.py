"""What every tracking provider adapter returns, and the HTTP error handling they share.

Adapters are synchronous httpx clients. One method call is one HTTP request, so the caller can charge
each call to the provider's :class:`~smartreturn.tracking.budget.QuotaBudget` before making it.
Errors: :class:`TrackingAuthError` (bad key), :class:`TrackingRateLimited` (429 / quota) and
:class:`TrackingError` (5xx, network, malformed answer) for the whole call; a number the provider
does not know is a per-number :class:`TrackResult` with ``found=False``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, Protocol

import httpx

from smartreturn import clock
from smartreturn.errors import TrackingAuthError, TrackingError, TrackingRateLimited
from smartreturn.model import ShipmentStatus

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 20.0


@dataclass(frozen=True, slots=True)
class TrackQuery:
    """One parcel to ask about. ``provider_carrier`` is the provider's own carrier code (or None)."""

    number: str
    carrier: str                       # our carrier code (tracking.carriers)
    provider_carrier: str | None = None
    phone_last4: str | None = None     # SF Express via Kuaidi100 needs it


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    occurred_at: datetime              # tz-aware
    status: ShipmentStatus
    description: str | None = None
    location: str | None = None
    raw_code: str | None = None        # the provider's own code, kept for debugging


NOT_REGISTERED = "not registered"  # TrackResult.error: register the number again


@dataclass(frozen=True, slots=True)
class TrackResult:
    number: str
    found: bool                        # False: the provider has no data (yet) for this number
    status: ShipmentStatus | None = None
    raw_code: str | None = None
    events: tuple[ProviderEvent, ...] = ()
    error: str | None = None           # per-number problem, for the report


@dataclass(frozen=True, slots=True)
class RegisterResult:
    registered: tuple[str, ...] = ()             # numbers the provider now tracks (incl. already tracked)
    rejected: tuple[tuple[str, str], ...] = ()   # (number, reason)
    quota_exhausted: bool = False                # the provider refused for lack of registration quota


class TrackingProvider(Protocol):
    name: ClassVar[str]                # "17track" / "aftership" / "kuaidi100" == carriers' provider key
    batch_size: ClassVar[int]          # numbers per request
    needs_registration: ClassVar[bool]  # register once before results come
    stops_tracking: ClassVar[bool]      # has a "stop tracking" call worth making after delivery

    def register(self, queries: Sequence[TrackQuery]) -> RegisterResult: ...
    def fetch(self, queries: Sequence[TrackQuery]) -> list[TrackResult]: ...
    def stop(self, queries: Sequence[TrackQuery]) -> None: ...
    def close(self) -> None: ...


def retry_after_seconds(response: httpx.Response, now: datetime | None = None) -> float | None:
    """``Retry-After`` (seconds or HTTP date) or ``X-RateLimit-Reset`` (epoch seconds), if present."""
    value = response.headers.get("retry-after")
    if value:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            return max(0.0, (when - (now or clock.now())).total_seconds())
    reset = response.headers.get("x-ratelimit-reset")
    if reset:
        try:
            return max(0.0, float(reset) - (now or clock.now()).timestamp())
        except ValueError:
            return None
    return None


def send(client: httpx.Client, provider: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request; transport failures become :class:`TrackingError` (never with the key in it)."""
    try:
        return client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise TrackingError(f"{provider}: timeout on {method} {url}") from exc
    except httpx.HTTPError as exc:
        raise TrackingError(f"{provider}: {type(exc).__name__} on {method} {url}") from exc


def check_http(response: httpx.Response, provider: str) -> None:
    """Raise for the status codes every provider shares: 401/403, 429, 5xx."""
    code = response.status_code
    if code in (401, 403):
        raise TrackingAuthError(f"{provider}: the API key was rejected (HTTP {code})")
    if code == 429:
        raise TrackingRateLimited(f"{provider}: too many requests (HTTP 429)", retry_after_seconds(response))
    if code >= 500:
        raise TrackingError(f"{provider}: server error (HTTP {code})")


def parse_json(response: httpx.Response, provider: str) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TrackingError(f"{provider}: malformed JSON answer (HTTP {response.status_code})") from exc


def parse_time(value: object, default_tz: timezone | None = timezone.utc) -> datetime | None:
    """ISO-8601 (``Z`` or offset) or ``YYYY-MM-DD HH:MM:SS``; naive times get ``default_tz``."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        if default_tz is None:
            return None
        parsed = parsed.replace(tzinfo=default_tz)
    return parsed.astimezone(timezone.utc).replace(microsecond=0)


class HttpProvider:
    """The HTTP client an adapter owns (one per adapter, closed with it)."""

    name: ClassVar[str]
    default_base_url: ClassVar[str]

    def __init__(self, *, base_url: str | None = None, timeout: float = DEFAULT_TIMEOUT,
                 headers: dict[str, str] | None = None) -> None:
        url = self.default_base_url if base_url is None else base_url
        self._client = httpx.Client(base_url=url.rstrip("/") + "/", headers=headers, timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def request_json(self, method: str, url: str, **kwargs: Any) -> Any:
        """One request whose answer must be JSON; HTTP-level failures raise as :func:`check_http` says."""
        response = send(self._client, self.name, method, url, **kwargs)
        check_http(response, self.name)
        return parse_json(response, self.name)


class KeyHeaderProvider(HttpProvider):
    """An adapter whose API key travels in one request header, with JSON bodies."""

    key_header: ClassVar[str]

    def __init__(self, api_key: str, *, base_url: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(base_url=base_url, timeout=timeout,
                         headers={self.key_header: api_key, "Content-Type": "application/json"})


def track_result(number: str, status: ShipmentStatus | None, raw_code: str | None,
                 events: Sequence[ProviderEvent], *, found: bool | None = None) -> TrackResult:
    """One number's answer, its events oldest first. ``found`` defaults to: there are events, or the
    provider states a status beyond "pending"."""
    ordered = tuple(sorted(events, key=lambda e: e.occurred_at))
    if found is None:
        found = bool(ordered) or status not in (None, ShipmentStatus.PENDING)
    return TrackResult(number=number, found=found, status=status, raw_code=raw_code, events=ordered)


def chunks(items: Sequence[TrackQuery], size: int) -> list[Sequence[TrackQuery]]:
    return [items[i:i + size] for i in range(0, len(items), size)]
