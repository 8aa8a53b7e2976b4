"""The pure rule: which open return a refund notice pays back."""

from decimal import Decimal

from smartreturn.rules.refund_match import OpenReturn, match_refund

CANDIDATES = [
    OpenReturn(1, Decimal("59.90"), "CNY", "taobao", "优衣库官方旗舰店"),
    OpenReturn(2, Decimal("35.50"), "CNY", "jd", "京东自营"),
    OpenReturn(3, Decimal("35.50"), "CNY", "pinduoduo", "某某家纺专营店"),
    OpenReturn(4, Decimal("35.50"), "EUR", "amazon", "Amazon.de"),
]


def test_the_shop_name_or_its_platform_decides():
    assert match_refund(Decimal("59.90"), "CNY", "优衣库 官方旗舰店", CANDIDATES) == 1
    assert match_refund(Decimal("59.90"), "CNY", "优衣库", CANDIDATES) == 1  # a shorter name the shop's contains
    assert match_refund(Decimal("35.50"), "CNY", "京东", CANDIDATES) == 2
    assert match_refund(Decimal("35.50"), "CNY", "拼多多", CANDIDATES) == 3


def test_nothing_when_ambiguous_or_nothing_fits():
    assert match_refund(Decimal("35.50"), "CNY", None, CANDIDATES) is None     # two CNY returns expect 35.50
    assert match_refund(Decimal("35.50"), "CNY", "淘宝", CANDIDATES) is None   # no taobao return of 35.50
    assert match_refund(Decimal("59.91"), "CNY", "优衣库官方旗舰店", CANDIDATES) is None
    assert match_refund(Decimal("35.50"), "CNY", "美", CANDIDATES) is None     # one character names nothing


def test_the_currency_must_agree():
    assert match_refund(Decimal("35.50"), "EUR", None, CANDIDATES) == 4
    assert match_refund(Decimal("59.90"), "USD", None, CANDIDATES) is None
