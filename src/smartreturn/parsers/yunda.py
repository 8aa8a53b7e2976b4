"""Yunda Express (韵达快递): 【韵达快递】 SMS.

The SMS patterns and the shared extraction live in :mod:`smartreturn.parsers.courier_cn`.
"""

from __future__ import annotations

from typing import ClassVar

from smartreturn.parsers.courier_cn import CourierParser


class YundaParser(CourierParser):
    name: ClassVar[str] = "yunda"
    version: ClassVar[int] = 2
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ("@yundaex.com",)
