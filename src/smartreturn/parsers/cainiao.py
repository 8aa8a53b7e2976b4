"""Cainiao (菜鸟) and pickup stations/lockers: 【菜鸟驿站】, 【丰巢】, 【兔喜生活】... notices with 取件码.

A station notice names the courier that brought the parcel ("您的中通包裹"): that is the carrier.
Small station and locker brands are many (【欢猫驿站】, 【袋鼠智柜】, 【递管家】...): an unknown signature that
reads like a station, or signs a notice giving a 取件码 at a 驿站 / 快递柜, is treated as one
(``platform`` "pickup_station"). One SMS listing several 取件码 gives one record per code.

The SMS patterns and the shared extraction live in :mod:`smartreturn.parsers.courier_cn`.
"""

from __future__ import annotations

from typing import ClassVar

from smartreturn.parsers.courier_cn import CourierParser


class CainiaoParser(CourierParser):
    name: ClassVar[str] = "cainiao"
    version: ClassVar[int] = 3
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ("@cainiao.com",)
