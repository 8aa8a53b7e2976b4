"""The shared Chinese helpers: dates, money, tracking numbers, signatures."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from smartreturn.model import Direction, Money
from smartreturn.parsers.common_cn import (
    carrier_code,
    find_tracking,
    first_signature,
    note_reason,
    parse_cn_date,
    parse_cn_datetime,
    parse_money,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("下单时间：2026年11月20日 14:03", datetime(2026, 11, 20, 14, 3, tzinfo=SHANGHAI)),
        ("2026-11-20 14:03:11", datetime(2026, 11, 20, 14, 3, 11, tzinfo=SHANGHAI)),
        ("２０２６／１１／２０　１４：０３", datetime(2026, 11, 20, 14, 3, tzinfo=SHANGHAI)),
        ("2026.11.20", datetime(2026, 11, 20, tzinfo=SHANGHAI)),
        ("已于11月20日 13:05签收", datetime(2026, 11, 20, 13, 5, tzinfo=SHANGHAI)),
    ],
)
def test_dates_are_shanghai_local(text: str, expected: datetime) -> None:
    assert parse_cn_datetime(text, default_year=2026) == expected


def test_dates_without_a_year_need_one_and_impossible_dates_are_none() -> None:
    assert parse_cn_datetime("11月20日") is None
    assert parse_cn_datetime("2026-02-30 10:00") is None
    assert parse_cn_date("预计11月24日送达", 2026) == date(2026, 11, 24)


@pytest.mark.parametrize(
    ("text", "amount"),
    [("¥199.00", "199.00"), ("￥1,299.50", "1299.50"), ("退款199.00元", "199.00"), ("实付：＊￥２９.９０", "29.90"), ("RMB 5", "5")],
)
def test_money_is_cny_decimal(text: str, amount: str) -> None:
    assert parse_money(text) == Money(Decimal(amount), "CNY")


def test_no_money_in_plain_numbers() -> None:
    assert parse_money("订单号 287654321098") is None


def test_tracking_numbers_skip_order_and_phone_numbers() -> None:
    text = "订单号287654321098 已交给顺丰速运，运单号SF1412345678901，快递员电话13812345678"
    refs = find_tracking(text, exclude=["287654321098"])
    assert [(r.number, r.carrier, r.direction) for r in refs] == [("SF1412345678901", "sf", Direction.OUTBOUND)]


def test_return_labels_force_the_return_direction() -> None:
    refs = find_tracking("请填写退货单号：75312345678901（中通快递）")
    assert [(r.number, r.carrier, r.direction) for r in refs] == [("75312345678901", "zto", Direction.RETURN)]


def test_carrier_codes() -> None:
    assert carrier_code("邮政EMS") == "ems"
    assert carrier_code("中国邮政") == "china_post"
    assert carrier_code("JDV012345678901") == "jd"
    assert carrier_code("78901234567890") is None


def test_signature_is_at_a_line_start_or_end_never_inside() -> None:
    assert first_signature("【淘宝】您在【某某旗舰店】购买的宝贝已发货") == "淘宝"
    assert first_signature("短信内容：【京东】您的订单已出库") == "京东"
    assert first_signature("您的宝贝已发货。【天猫】") == "天猫"
    assert first_signature("您在【某某旗舰店】购买的宝贝已发货") is None


def test_user_note_keeps_the_users_words() -> None:
    assert note_reason("退货原因：尺码偏小") == "尺码偏小"
    assert note_reason("Reason: too small") == "too small"
    assert note_reason("  颜色和图片不一样\n\n谢谢") == "颜色和图片不一样"
    assert note_reason(None) is None


def test_afternoon_times() -> None:
    assert parse_cn_datetime("2026年11月22日 下午2:03", 2026) == datetime(2026, 11, 22, 14, 3, tzinfo=SHANGHAI)
    assert parse_cn_datetime("2026年11月22日 上午9:10", 2026) == datetime(2026, 11, 22, 9, 10, tzinfo=SHANGHAI)


def test_drift_alarm_senders_are_transactional_but_identify_knows_the_whole_domain() -> None:
    from smartreturn.parsers.jd import JdParser

    parser = JdParser()
    assert parser.is_sender("customer_service@jd.com")
    assert parser.is_sender("notice@order.jd.com")
    assert not parser.is_sender("customer_service@jd.com.evil.example")
    assert not any(s in ("@jd.com", "newsletter@jd.com") for s in parser.senders)  # promos would drown the alarm


def test_weekday_between_date_and_time() -> None:
    assert parse_cn_datetime("2026年11月22日(星期天) 晚上9:10") == datetime(2026, 11, 22, 21, 10, tzinfo=SHANGHAI)
    assert parse_cn_datetime("11月20日 [周五] 09:00", 2026) == datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)


def test_platform_signatures_never_include_the_couriers() -> None:
    from smartreturn.parsers.common_cn import platform_signatures

    signatures = platform_signatures()
    assert {"淘宝", "天猫", "京东", "拼多多", "抖音商城"} <= signatures
    assert not signatures & {"京东物流", "京东快递", "菜鸟驿站", "顺丰速运", "中通快递"}
