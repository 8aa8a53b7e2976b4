"""A real HTTP server on 127.0.0.1 that answers like 17TRACK v2.2, AfterShip v4 and Kuaidi100.

Tests (and bench/bench_tracking_refresh.py) point the adapters' ``base_url`` at it. It records every
request (method, path, headers, raw body) so tests can assert exactly what an adapter sent, checks
keys and the Kuaidi100 signature like the real services, enforces an optional per-second rate (HTTP
429 with Retry-After, counting violations), and can be told to fail the next requests
(``fail_next``: any status/headers/body, e.g. 5xx or malformed JSON).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

SEVENTEEN_KEY = "17-secret-token-abc123"
AFTERSHIP_KEY = "as-secret-key-def456"
KUAIDI100_KEY = "kd100-secret-key-ghi789"
KUAIDI100_CUSTOMER = "CUSTOMER0001"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8"), keep_blank_values=True).items()}


@dataclass
class Canned:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeProviders:
    """State behind the server. Parcel data is given in each provider's own answer shape."""

    seventeen: dict[str, dict[str, Any]] = field(default_factory=dict)   # number -> accepted item (track_info)
    aftership: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (slug, number) -> tracking
    kuaidi100: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (com, num) -> answer
    registered_17: set[str] = field(default_factory=set)
    stopped_17: set[str] = field(default_factory=set)
    registered_as: set[tuple[str, str]] = field(default_factory=set)
    kuaidi100_phone: dict[str, str] = field(default_factory=dict)        # num -> required phone (SF)
    seventeen_quota: int | None = None                                   # registrations left
    rate_per_second: dict[str, int] = field(default_factory=dict)        # provider -> max req/s
    requests: list[Recorded] = field(default_factory=list)
    violations: dict[str, int] = field(default_factory=dict)
    _canned: deque[Canned] = field(default_factory=deque)
    _windows: dict[str, deque[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, status: int, body: bytes | str | dict[str, Any] = b"", headers: dict[str, str] | None = None,
                  times: int = 1) -> None:
        raw = json.dumps(body).encode() if isinstance(body, dict) else body.encode() if isinstance(body, str) else body
        for _ in range(times):
            self._canned.append(Canned(status, raw, headers or {}))

    def over_rate(self, provider: str) -> bool:
        limit = self.rate_per_second.get(provider)
        if limit is None:
            return False
        now = time.monotonic()
        window = self._windows.setdefault(provider, deque())
        while window and window[0] <= now - 1.0:
            window.popleft()
        window.append(now)
        if len(window) > limit:
            self.violations[provider] = self.violations.get(provider, 0) + 1
            return True
        return False


# --- answer shapes (documented) ---------------------------------------------------------------------
def seventeen_event(time_iso: str, description: str, stage: str | None = None, sub_status: str | None = None,
                    location: str | None = None) -> dict[str, Any]:
    return {"time_iso": time_iso, "time_utc": None, "time_raw": {"date": time_iso[:10], "time": time_iso[11:19],
            "timezone": time_iso[19:]}, "description": description, "location": location, "stage": stage,
            "sub_status": sub_status, "address": {"country": None, "state": None, "city": None}}


def seventeen_item(number: str, carrier: int, main: str, sub: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    """An ``accepted`` item of gettrackinfo; events newest first, as 17TRACK sends them."""
    return {
        "number": number, "carrier": carrier, "param": None, "tag": None,
        "track_info": {
            "shipping_info": {"shipper_address": {"country": "CN"}, "recipient_address": {"country": "DE"}},
            "latest_status": {"status": main, "sub_status": sub, "sub_status_descr": None},
            "latest_event": events[0] if events else None,
            "time_metrics": {"days_after_order": 3, "days_of_transit": 3, "days_after_last_update": 0},
            "milestone": [],
            "misc_info": {},
            "tracking": {"providers_hash": 1, "providers": [{
                "provider": {"key": carrier, "name": "Carrier", "alias": "Carrier", "tel": None, "homepage": None,
                             "country": "CN"},
                "service_type": None, "latest_sync_status": "Success", "latest_sync_time": None,
                "events_hash": 1, "events": events,
            }]},
        },
    }


def aftership_tracking(slug: str, number: str, tag: str, subtag: str, checkpoints: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": f"id-{number}", "slug": slug, "tracking_number": number, "active": tag != "Delivered",
            "tag": tag, "subtag": subtag, "subtag_message": subtag, "expected_delivery": None,
            "checkpoints": checkpoints}


def aftership_checkpoint(when: str, message: str, tag: str, subtag: str, location: str | None = None) -> dict[str, Any]:
    return {"slug": "x", "checkpoint_time": when, "created_at": when, "message": message, "tag": tag,
            "subtag": subtag, "location": location, "city": None, "country_name": None, "country_iso3": None}


def kuaidi100_answer(com: str, num: str, state: str, rows: list[dict[str, str]]) -> dict[str, Any]:
    """rows newest first: {"time", "context", "status", "statusCode"?, "location"?}"""
    data = [{"time": r["time"], "ftime": r["time"], "context": r["context"], "location": r.get("location", ""),
             "status": r.get("status", ""), **({"statusCode": r["statusCode"]} if "statusCode" in r else {})}
            for r in rows]
    return {"message": "ok", "nu": num, "ischeck": "1" if state == "3" else "0", "com": com, "status": "200",
            "condition": "F00", "state": state, "data": data}


# --- the server ----------------------------------------------------------------------------------------
class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        return

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        state = self.server.state
        with state.lock:
            state.requests.append(Recorded(method, self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            provider = _provider_of(self.path)
            if state.over_rate(provider):
                self._send(429, {"code": 429, "message": "Too Many Requests"} if provider != "kuaidi100" else
                           {"result": False, "returnCode": "429", "message": "查询过于频繁"}, {"Retry-After": "1"})
                return
            if state._canned:
                canned = state._canned.popleft()
                self._send_raw(canned.status, canned.body, canned.headers)
                return
            try:
                status, payload = ROUTES[provider](state, method, self.path, self.headers, body)
            except Exception as exc:  # a bug in the fake must be visible, not a hang
                status, payload = 500, {"fake_error": repr(exc)}
        self._send(status, payload)

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send_raw(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), headers or {})

    def _send_raw(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)


def _provider_of(path: str) -> str:
    if path.startswith("/track/v2.2/"):
        return "17track"
    if path.startswith("/v4/"):
        return "aftership"
    return "kuaidi100"


def _seventeen(state: FakeProviders, method: str, path: str, headers: Any, body: bytes) -> tuple[int, Any]:
    if headers.get("17token") != SEVENTEEN_KEY:
        return 401, {"code": -18010002, "data": {"errors": [{"code": -18010002, "message": "Access token is invalid."}]}}
    try:
        numbers = json.loads(body)
    except ValueError:
        return 400, {"code": -18010013, "data": {"errors": [{"code": -18010013, "message": "Submitted data is invalid."}]}}
    if not isinstance(numbers, list) or len(numbers) > 40:
        return 200, {"code": -18010013, "data": {"errors": [{"code": -18010013, "message": "Submitted data is invalid."}]}}
    verb = path.rsplit("/", 1)[-1]
    accepted, rejected = [], []
    for entry in numbers:
        number = entry["number"]
        carrier = entry.get("carrier", 0)
        if verb == "register":
            if number in state.registered_17:
                rejected.append(_rej(number, -18019901, f"The tracking number '{number}' has been registered, don't need to repeat registration."))
            elif state.seventeen_quota is not None and state.seventeen_quota <= 0:
                rejected.append(_rej(number, -18019908, "Quota is not enough for use."))
            else:
                if state.seventeen_quota is not None:
                    state.seventeen_quota -= 1
                state.registered_17.add(number)
                accepted.append({"origin": 1, "number": number, "carrier": carrier})
        elif verb == "gettrackinfo":
            if number not in state.registered_17:
                rejected.append(_rej(number, -18019902, f"The tracking number '{number}' does not register, please register first."))
            elif number not in state.seventeen:
                rejected.append(_rej(number, -18019909, "No tracking information at this time."))
            else:
                accepted.append(state.seventeen[number])
        elif verb == "stoptrack":
            if number not in state.registered_17 or number in state.stopped_17:
                rejected.append(_rej(number, -18019906, "Stop tracking is not allowed."))
            else:
                state.stopped_17.add(number)
                accepted.append({"number": number, "carrier": carrier})
        else:
            return 404, {"code": -1, "data": {"errors": [{"code": -1, "message": "not found"}]}}
    return 200, {"code": 0, "data": {"accepted": accepted, "rejected": rejected}}


def _rej(number: str, code: int, message: str) -> dict[str, Any]:
    return {"number": number, "error": {"code": code, "message": message}}


def _aftership(state: FakeProviders, method: str, path: str, headers: Any, body: bytes) -> tuple[int, Any]:
    if headers.get("as-api-key") != AFTERSHIP_KEY:
        return 401, {"meta": {"code": 401, "message": "Invalid API key.", "type": "Unauthorized"}, "data": {}}
    parts = [unquote(p) for p in path.split("?")[0].strip("/").split("/")]  # v4 trackings [slug number]
    if method == "POST" and parts == ["v4", "trackings"]:
        tracking = json.loads(body)["tracking"]
        key = (tracking["slug"], tracking["tracking_number"])
        if key in state.registered_as:
            return 400, {"meta": {"code": 4003, "message": "Tracking already exists.", "type": "BadRequest"},
                         "data": {"tracking": {"slug": key[0], "tracking_number": key[1]}}}
        state.registered_as.add(key)
        return 201, {"meta": {"code": 201}, "data": {"tracking": {"slug": key[0], "tracking_number": key[1],
                                                                   "tag": "Pending", "checkpoints": []}}}
    if method == "GET" and len(parts) == 4 and parts[:2] == ["v4", "trackings"]:
        key = (parts[2], parts[3])
        if key not in state.registered_as:
            return 404, {"meta": {"code": 4004, "message": "Tracking does not exist.", "type": "NotFound"}, "data": {}}
        tracking = state.aftership.get(key) or aftership_tracking(key[0], key[1], "Pending", "Pending_001", [])
        return 200, {"meta": {"code": 200}, "data": {"tracking": tracking}}
    return 404, {"meta": {"code": 404, "message": "not found", "type": "NotFound"}, "data": {}}


def _kuaidi100(state: FakeProviders, method: str, path: str, headers: Any, body: bytes) -> tuple[int, Any]:
    if path != "/poll/query.do" or method != "POST":
        return 404, {"result": False, "returnCode": "404", "message": "not found"}
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8")).items()}
    param = form.get("param", "")
    expected = hashlib.md5((param + KUAIDI100_KEY + KUAIDI100_CUSTOMER).encode("utf-8")).hexdigest().upper()
    if form.get("customer") != KUAIDI100_CUSTOMER or form.get("sign") != expected:
        return 200, {"result": False, "returnCode": "503", "message": "验证签名失败"}
    query = json.loads(param)
    com, num = query.get("com"), query.get("num")
    if not com or not num:
        return 200, {"result": False, "returnCode": "400", "message": "找不到对应公司"}
    required = state.kuaidi100_phone.get(num)
    if required and query.get("phone") != required:
        return 200, {"result": False, "returnCode": "408", "message": "手机号码校验失败"}
    answer = state.kuaidi100.get((com, num))
    if answer is None:
        return 200, {"result": False, "returnCode": "500", "message": "查询无结果，请隔段时间再查"}
    return 200, answer


ROUTES = {"17track": _seventeen, "aftership": _aftership, "kuaidi100": _kuaidi100}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: FakeProviders) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


class FakeProviderServer:
    """``with FakeProviderServer() as server:`` — ``server.url("17track")`` is a base_url."""

    def __init__(self, state: FakeProviders | None = None) -> None:
        self.state = state or FakeProviders()
        self._server = _Server(self.state)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), name="fake-providers", daemon=True)

    def __enter__(self) -> "FakeProviderServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def root(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, provider: str) -> str:
        return {"17track": f"{self.root}/track/v2.2", "aftership": f"{self.root}/v4",
                "kuaidi100": self.root}[provider]
