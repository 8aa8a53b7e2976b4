"""Pinduoduo (拼多多): orders, shipping, delivery, after-sales (售后) and refunds.

Pinduoduo almost never mails: users paste or forward its SMS / app pushes signed 【拼多多】.
Order numbers look like ``231125-123456789012345`` (date, dash, 12-16 digits).
"""

from __future__ import annotations

import re
from typing import ClassVar

from smartreturn.parsers.common_cn import ChinesePlatformParser

__all__ = ["PinduoduoParser"]


class PinduoduoParser(ChinesePlatformParser):
    name: ClassVar[str] = "pinduoduo"
    version: ClassVar[int] = 3
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ("@service.pinduoduo.com", "@mail.pinduoduo.com")
    domains: ClassVar[tuple[str, ...]] = ("pinduoduo.com", "yangkeduo.com", "pddglobalhk.com")
    signatures: ClassVar[frozenset[str]] = frozenset({"拼多多", "拼多多商城", "拼多多平台", "多多买菜", "Pinduoduo"})
    # "231125-123456789012345"; an SMS may write it without the dash: "您的202603151234567号订单", "订单号：…"
    order_number: ClassVar[re.Pattern[str]] = re.compile(
        r"(?<![\d-])(?P<num>\d{6}-\d{12,16}|(?:(?<=订单号)|(?<=订单号:)|(?<=订单编号:))\d{15,20}|\d{15,20}(?=号订单|号的订单))(?![\d-])"
    )
    case_number: ClassVar[re.Pattern[str]] = re.compile(
        r"(?:售后单号|售后编号|售后单|退款编号|退款单号|服务单号)\s*+[:：]?\s*+(?P<num>[\d-]{8,26}\d)"
    )
