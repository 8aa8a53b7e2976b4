"""YTO Express (圆通速递): 【圆通速递】 SMS.

The SMS patterns and the shared extraction live in :mod:`smartreturn.parsers.courier_cn`.
"""

from __future__ import annotations

from typing import ClassVar

from smartreturn.parsers.courier_cn import CourierParser


class YtoParser(CourierParser):
    name: ClassVar[str] = "yto"
    version: ClassVar[int] = 2
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ("@yto.net.cn",)
