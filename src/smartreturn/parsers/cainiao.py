"""Cainiao (菜鸟) and pickup stations/lockers: 【菜鸟驿站】, 【丰巢】, 【兔喜生活】... notices with 取件码.

A station notice names the courier that brought the parcel ("您的中通包裹"): that is the carrier.

The SMS patterns and the shared extraction live in :mod:`smartreturn.parsers.courier_cn`.
"""

from __future__ import annotations

from typing import ClassVar

from smartreturn.parsers.courier_cn import CourierParser


class CainiaoParser(CourierParser):
    name: ClassVar[str] = "cainiao"
    version: ClassVar[int] = 1
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ("@cainiao.com",)
