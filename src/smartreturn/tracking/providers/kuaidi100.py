"""Kuaidi100 real-time query (``poll/query.do``).

Form fields ``customer``, ``sign`` = upper(MD5(param + key + customer)) and ``param`` (JSON
``{"com", "num", "phone", "resultv2"}``; SF Express needs the last 4 digits of a phone number).
Success: ``{"message": "ok", "status": "200", "state": "0", "data": [{"time", "ftime", "context",
"location", "status", "statusCode"}]}``. Failure: ``{"result": false, "returnCode": "500",
"message": ...}``. Times are China Standard Time without an offset.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from datetime import timedelta, timezone
from typing import Any, ClassVar

from smartreturn.errors import TrackingAuthError, TrackingError, TrackingRateLimited
from smartreturn.model import ShipmentStatus
from smartreturn.tracking import status as status_map
from smartreturn.tracking.providers.base import (
    DEFAULT_TIMEOUT,
    HttpProvider,
    ProviderEvent,
    RegisterResult,
    TrackQuery,
    TrackResult,
    parse_time,
    track_result,
)

log = logging.getLogger(__name__)

NAME = "kuaidi100"
BASE_URL = "https://poll.kuaidi100.com"
CHINA_TIME = timezone(timedelta(hours=8), "CST")

# returnCode values (api.kuaidi100.com, 实时快递查询接口 返回码)
NO_RESULT = "500"          # 查询无结果，请隔段时间再查
BAD_SIGNATURE = "503"      # 验证签名失败
QUOTA = "601"              # POLL:KEY已过期 / 余额不足
SERVER = ("501", "502")    # 服务器错误 / 服务器繁忙

STATE_NAMES = {"在途": "0", "揽收": "1", "疑难": "2", "签收": "3", "退签": "4", "派件": "5", "退回": "6",
               "转投": "7", "清关": "8", "待清关": "10", "清关中": "11", "已清关": "12", "清关异常": "13",
               "拒签": "14"}


def sign(param: str, key: str, customer: str) -> str:
    return hashlib.md5((param + key + customer).encode("utf-8")).hexdigest().upper()


class Kuaidi100(HttpProvider):
    name: ClassVar[str] = NAME
    default_base_url: ClassVar[str] = BASE_URL
    batch_size: ClassVar[int] = 1
    needs_registration: ClassVar[bool] = False
    stops_tracking: ClassVar[bool] = False

    def __init__(self, api_key: str, customer: str, *, base_url: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(base_url=base_url, timeout=timeout)
        self._key = api_key
        self._customer = customer

    def register(self, queries: Sequence[TrackQuery]) -> RegisterResult:  # real-time query: nothing to register
        return RegisterResult(registered=tuple(q.number for q in queries))

    def stop(self, queries: Sequence[TrackQuery]) -> None:
        return None

    def fetch(self, queries: Sequence[TrackQuery]) -> list[TrackResult]:
        (query,) = queries
        if not query.provider_carrier:
            return [TrackResult(query.number, found=False, error=f"carrier {query.carrier} unknown to Kuaidi100")]
        param_obj: dict[str, str] = {"com": query.provider_carrier, "num": query.number}
        if query.phone_last4:
            param_obj["phone"] = query.phone_last4
        param_obj["resultv2"] = "1"
        param = json.dumps(param_obj, ensure_ascii=False, separators=(",", ":"))
        form = {"customer": self._customer, "sign": sign(param, self._key, self._customer), "param": param}
        payload = self.request_json("POST", "poll/query.do", data=form)
        if not isinstance(payload, dict):
            raise TrackingError(f"{NAME}: unexpected answer")
        if str(payload.get("status")) == "200" and payload.get("message") == "ok":
            return [_track_result(query.number, payload)]
        code = str(payload.get("returnCode") or payload.get("status") or "")
        message = str(payload.get("message") or "")
        if code == BAD_SIGNATURE:
            raise TrackingAuthError(f"{NAME}: signature rejected (returnCode {code}); check key and customer")
        if code == QUOTA:
            raise TrackingRateLimited(f"{NAME}: query quota used up or key expired (returnCode {code})")
        if "频繁" in message:  # 查询过于频繁
            raise TrackingRateLimited(f"{NAME}: querying too often (returnCode {code})")
        if code in SERVER or not code:
            raise TrackingError(f"{NAME}: server error (returnCode {code or '?'})")
        if code == NO_RESULT:
            return [TrackResult(query.number, found=False, error=f"no result yet ({code})")]
        return [TrackResult(query.number, found=False, error=f"{code}: {message}")]


def _track_result(number: str, payload: dict[str, Any]) -> TrackResult:
    state = payload.get("state")
    overall = status_map.from_kuaidi100(state)
    rows = [row for row in payload.get("data") or [] if isinstance(row, dict)]
    events: list[ProviderEvent] = []
    for index, row in enumerate(rows):  # newest first, as Kuaidi100 sends them
        when = parse_time(row.get("ftime") or row.get("time"), default_tz=CHINA_TIME)
        if when is None:
            continue
        code = row.get("statusCode") or STATE_NAMES.get(str(row.get("status") or ""))
        status = status_map.from_kuaidi100(code) if code else None
        if status is None:
            status = overall if index == 0 and overall else ShipmentStatus.IN_TRANSIT
            code = str(state) if index == 0 else code
        events.append(ProviderEvent(
            occurred_at=when,
            status=status,
            description=row.get("context") or None,
            location=row.get("location") or row.get("areaName") or None,
            raw_code=str(code) if code else None,
        ))
    return track_result(number, overall, str(state) if state is not None else None, events, found=bool(events))
