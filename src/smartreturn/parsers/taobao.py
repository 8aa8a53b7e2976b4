"""Taobao and Tmall (淘宝/天猫): order, shipping, delivery, refund and return mails and SMS.

Taobao sends little mail; most facts arrive as SMS or app pushes signed 【淘宝】/【天猫】 that the
user pastes or forwards. Order numbers are 15-20 digits; refunds have their own 退款编号.
Parcels handed to 菜鸟驿站 are the carrier parser's (their SMS are signed 【菜鸟驿站】), not ours.
"""

from __future__ import annotations

import re
from typing import ClassVar

from smartreturn.parsers.common_cn import ChinesePlatformParser

__all__ = ["TaobaoParser"]


class TaobaoParser(ChinesePlatformParser):
    name: ClassVar[str] = "taobao"
    version: ClassVar[int] = 2
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = (
        "@mail.taobao.com", "@service.taobao.com", "@notice.taobao.com", "@mail.tmall.com", "@service.tmall.com",
    )
    domains: ClassVar[tuple[str, ...]] = ("taobao.com", "tmall.com")
    signatures: ClassVar[frozenset[str]] = frozenset(
        {"淘宝", "淘宝网", "手机淘宝", "天猫", "天猫超市", "天猫国际", "天猫商城", "淘特", "Taobao", "TAOBAO"}
    )
    order_number: ClassVar[re.Pattern[str]] = re.compile(
        r"(?:订单(?:号|编号)?|交易(?:号|编号)|父订单号|子订单号)\s*+[:：]?\s*+(?P<num>\d{15,20})(?!\d)"
    )
    case_number: ClassVar[re.Pattern[str]] = re.compile(
        r"(?:退款编号|退款单号|退款ID|售后单号|售后编号|退货单编号|退款申请编号)\s*+[:：]?\s*+(?P<num>\d{10,24})"
    )
