"""Douyin e-commerce (抖音商城/抖音电商): orders, shipping, after-sales (售后) and refunds.

Like Pinduoduo, Douyin notifies by SMS and app push (signed 【抖音商城】, 【抖音电商】, sometimes
【抖音】, which also signs social and login messages: those name no order status and are ignored).
Order numbers are 16-20 digits; 售后单号 identifies an after-sales case.
"""

from __future__ import annotations

import re
from typing import ClassVar

from smartreturn.parsers.common_cn import ChinesePlatformParser

__all__ = ["DouyinParser"]


class DouyinParser(ChinesePlatformParser):
    name: ClassVar[str] = "douyin"
    version: ClassVar[int] = 2
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ("@service.douyin.com", "@mail.douyin.com")
    domains: ClassVar[tuple[str, ...]] = ("douyin.com", "jinritemai.com")
    signatures: ClassVar[frozenset[str]] = frozenset({"抖音商城", "抖音电商", "抖音", "抖音小店", "抖音超市"})
    order_number: ClassVar[re.Pattern[str]] = re.compile(
        r"(?:订单(?:号|编号)?)\s*+[:：]?\s*+(?P<num>\d{16,20})(?!\d)"
    )
    case_number: ClassVar[re.Pattern[str]] = re.compile(
        r"(?:售后单号|售后编号|售后单|退款单号|退款编号)\s*+[:：]?\s*+(?P<num>\d{10,22})(?!\d)"
    )
