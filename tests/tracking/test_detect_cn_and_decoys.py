"""Chinese courier formats, order-number decoys, Yodel vs DHL, and random look-alikes that must never
be taken as tracking numbers (phone numbers, labelled orders, date-times, pickup codes)."""

from __future__ import annotations

import random

import pytest

from smartreturn.tracking.detect import detect


def _found(text: str) -> list[tuple[str, str | None]]:
    return [(d.number, d.carrier) for d in detect(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("【顺丰速运】您的快件SF1402345678901已签收", [("SF1402345678901", "sf")]),
        ("京东快递 运单号：JDX012345678901", [("JDX012345678901", "jd")]),
        ("【中通快递】您的快件73512345678901正在派送中", [("73512345678901", "zto")]),
        ("圆通速递 运单号 YT7512345678901 已揽收", [("YT7512345678901", "yto")]),
        ("圆通速递 运单号 YT751234567890 已揽收", [("YT751234567890", "yto")]),     # YT + 12 digits too
        ("【申通快递】您的包裹773123456789012已到达", [("773123456789012", "sto")]),
        ("【申通快递】您的快件268012345678已签收", [("268012345678", "sto")]),      # 12 digits starting 2
        ("韵达快递 快递单号 4312345678901", [("4312345678901", "yunda")]),
        ("【EMS】您的邮件1123456789012已妥投", [("1123456789012", "ems")]),
        ("中国邮政EMS 运单号 5012345678901 已揽收", [("5012345678901", "ems")]),    # 13 digits starting 5
        ("极兔速递 运单号JT3012345678901 派送中", [("JT3012345678901", "jt")]),
        ("【百世快递】您的快件557012345678已到达", [("557012345678", "best")]),
        ("【天天快递】您的快件668012345678派送中", [("668012345678", "ttk")]),
        ("菜鸟 运单号 LP00512345678901", [("LP00512345678901", "cainiao")]),
        ("Yodel: your parcel JJD0002257639032011 is on its way", [("JJD0002257639032011", "yodel")]),
        ("DHL delivers parcel JJD0002257639032011 for Yodel", [("JJD0002257639032011", "yodel")]),
    ],
)
def test_chinese_and_other_formats_are_found(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert _found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "【拼多多】您的202603151234567号订单已由中通快递发出",
        "【京东】您购买的商品（285012345678）已交中通快递配送",
        "【京东】您的订单285012345678已出库，由中通快递配送",
        "【淘宝】订单号：3392018475512068，中通快递已揽收",
        "【申通快递】商品编号 268012345678 已发货",
    ],
)
def test_order_numbers_next_to_order_words_are_never_waybills(text: str) -> None:
    assert detect(text) == []


def test_decoy_order_and_real_waybill_in_one_sms() -> None:
    text = "【拼多多】您的202603151234567号订单已由中通快递发出，运单号：73512345678901"
    assert _found(text) == [("73512345678901", "zto")]


def _phone(rng: random.Random) -> str:
    kind = rng.randrange(6)
    if kind == 0:
        return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"                   # Chinese mobile
    if kind == 1:
        return f"+44 7{rng.randrange(10**3):03d} {rng.randrange(10**6):06d}"
    if kind == 2:
        return f"+49 {rng.randrange(30, 999)} {rng.randrange(10**7, 10**8)}"
    if kind == 3:
        return f"({rng.randrange(200, 999)}) {rng.randrange(200, 999)}-{rng.randrange(10**4):04d}"
    if kind == 4:
        return f"0{rng.randrange(10, 999)}-{rng.randrange(10**7, 10**8)}"                # Chinese landline
    return f"0800 {rng.randrange(10**4):04d} {rng.randrange(10**4):04d} {rng.randrange(10**4):04d}"


_CARRIER_WORDS = ["中通快递", "顺丰速运", "韵达快递", "申通快递", "DHL Paket", "FedEx", "UPS", "USPS", "DPD", "Canada Post"]


def test_a_thousand_random_look_alikes_are_not_tracking_numbers() -> None:
    """Phone numbers, labelled order numbers, date-times and pickup codes, each beside a carrier
    name and a tracking word (the worst case): none is taken as a tracking number."""
    rng = random.Random(20261206)
    texts = []
    for _ in range(1000):
        carrier = rng.choice(_CARRIER_WORDS)
        texts.append(f"{carrier} 快递员电话 {_phone(rng)}，运单已发出")
        texts.append(f"{carrier} tracking update. Call us: Tel. {_phone(rng)}")
        texts.append(f"{carrier} 包裹已发货，订单号：{rng.randrange(10**11, 10**18)}")
        texts.append(f"{carrier} shipped your order. Order number: {rng.randrange(10**11, 10**16)}")
        stamp = f"20{rng.randrange(20, 30)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}{rng.randrange(24):02d}{rng.randrange(60):02d}{rng.randrange(60):02d}"
        texts.append(f"{carrier} 快件 签收时间 {stamp}")
        texts.append(f"【菜鸟驿站】您的{carrier}包裹已到站，取件码 {rng.randrange(1, 30)}-{rng.randrange(1, 9)}-{rng.randrange(1000, 9999)}")
        texts.append(f"{carrier} 包裹 取件码：{rng.randrange(10**7, 10**8)}")
    taken = [(t, d.number) for t in texts for d in detect(t)]
    assert taken == []


@pytest.mark.parametrize(
    "body",
    [
        "1 " * 50_000,                       # one spaced run of 50,000 single digits
        "12 AB " * 20_000,                   # upper-case chunks with digits
        "9" * 100_000,                       # one endless digit token
        "a1" * 50_000,                       # one endless mixed-case token
        "Tracking 1Z999AA10123456784 " * 2_000,
    ],
)
def test_work_grows_linearly_and_format_regexes_only_see_bounded_candidates(body: str) -> None:
    """The format regexes (the reference's included) are only full-matched against candidates of at
    most MAX_LENGTH characters, and there are at most budget + one per character of them."""
    from smartreturn.tracking import refdata
    from smartreturn.tracking.detect import SPACED_BUDGET, _scan

    count = 0
    for cand in _scan(body):
        assert len(cand.number) <= refdata.MAX_LENGTH
        count += 1
    assert count <= SPACED_BUDGET + len(body) // 2
