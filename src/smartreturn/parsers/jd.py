"""JD.com (京东): 订单提交, 出库/发货, 配送/签收, 售后服务单 (退货/换货/维修), 退款.

JD mails come from customer_service@jd.com and friends, often GBK-encoded HTML tables; JD also
sends SMS signed 【京东】. SMS signed 【京东物流】/【京东快递】 are JD Logistics carrier messages and
belong to the carrier parser. Order numbers are 9-14 digits; 服务单号 identifies an after-sales case.
"""

from __future__ import annotations

import re
from typing import ClassVar

from smartreturn.model import EventKind
from smartreturn.parsers.common_cn import COMMON_RULES, ChinesePlatformParser, Rule, rule

__all__ = ["JdParser"]

_JD_RULES: tuple[Rule, ...] = (
    # "订单已完成" is JD's wording once the parcel is signed for; it must not beat refunds/returns.
    *COMMON_RULES[: [kind for kind, _ in COMMON_RULES].index(EventKind.DELIVERED)],
    rule(EventKind.DELIVERED, r"订单(已)?完成|订单(已)?妥投"),
    *COMMON_RULES[[kind for kind, _ in COMMON_RULES].index(EventKind.DELIVERED):],
)


class JdParser(ChinesePlatformParser):
    name: ClassVar[str] = "jd"
    version: ClassVar[int] = 3
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ("customer_service@jd.com", "@service.jd.com", "@order.jd.com")
    domains: ClassVar[tuple[str, ...]] = ("jd.com", "jd.hk")
    # Not 京东物流 / 京东快递: those are JD Logistics, the carrier parser's.
    signatures: ClassVar[frozenset[str]] = frozenset({"京东", "京东商城", "京东JD.COM", "京东JD", "京东国际", "京东自营"})
    order_number: ClassVar[re.Pattern[str]] = re.compile(
        # "订单号：301234567890"; an SMS names it as the goods' number: "您购买的商品（285012345678）已交中通快递配送"
        r"(?:(?:订单(?:号|编号)?|订单号码)\s*+[:：]?\s*|商品\s*+[（(]\s*)(?P<num>\d{9,14})(?!\d)"
    )
    case_number: ClassVar[re.Pattern[str]] = re.compile(
        r"(?:服务单号|服务单编号|服务单|售后单号|退款单号|退款编号|返修单号)\s*+[:：]?\s*+(?P<num>\d{6,14})(?!\d)"
    )
    rules: ClassVar[tuple[Rule, ...]] = _JD_RULES
