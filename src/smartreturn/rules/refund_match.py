"""Which open return a refund notice without an order number pays back: by amount and merchant.

A Chinese user's proof that a refund arrived is often a payment app's or bank's notice (微信支付
退款到账, 【招商银行】…财付通-美团退款35.50元): it names an amount and, usually, a merchant or
platform, never the shop's order number. Such a refund belongs to an open return when exactly one
open return expects that amount (same currency) from a merchant the notice names: the shop's own
name (优衣库官方旗舰店), or the platform it sells on (淘宝 for a taobao order). A notice that names
no merchant links only when a single open return in the whole store expects that amount. Anything
ambiguous links to nothing: a wrong link would close the wrong case. Pure: plain data in, an id out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["OpenReturn", "match_refund", "PLATFORM_NAMES"]

# How notices name platforms (支付宝-淘宝, 财付通-拼多多, 京东白条...) -> the platform of the order.
PLATFORM_NAMES: dict[str, str] = {
    "淘宝": "taobao", "天猫": "taobao", "淘特": "taobao", "taobao": "taobao", "tmall": "taobao",
    "京东": "jd", "jd": "jd",
    "拼多多": "pinduoduo", "多多": "pinduoduo", "pinduoduo": "pinduoduo",
    "抖音": "douyin", "抖店": "douyin", "douyin": "douyin",
    "速卖通": "aliexpress", "aliexpress": "aliexpress",
    "亚马逊": "amazon", "amazon": "amazon",
}


@dataclass(frozen=True, slots=True)
class OpenReturn:
    """What the match needs to know of one open return case."""

    case_id: int
    expected: Decimal | None       # the refund the case expects (else the order total)
    currency: str | None
    platform: str                  # the order's platform
    merchant: str | None           # the order's merchant name, as stored


def _norm(name: str) -> str:
    return re.sub(r"[\s·•()（）\-—_]+", "", unicodedata.normalize("NFKC", name)).lower()


def _names_merchant(notice_merchant: str, candidate: OpenReturn) -> bool:
    said = _norm(notice_merchant)
    if not said:
        return False
    platform = next((p for name, p in PLATFORM_NAMES.items() if _norm(name) == said), None)
    if platform is not None:
        return platform == candidate.platform
    shop = _norm(candidate.merchant or "")
    return bool(shop) and len(min(said, shop, key=len)) >= 2 and (said in shop or shop in said)


def match_refund(amount: Decimal, currency: str, merchant: str | None,
                 candidates: Iterable[OpenReturn]) -> int | None:
    """The id of the one open return this refund pays back, or None when none or several fit."""
    same_amount = [c for c in candidates
                   if c.expected is not None and c.expected == amount and (c.currency or currency) == currency]
    if merchant:
        fitting = [c for c in same_amount if _names_merchant(merchant, c)]
    else:
        fitting = same_amount
    return fitting[0].case_id if len(fitting) == 1 else None
