"""Douyin e-commerce (抖音商城): pasted 【抖音商城】 SMS; social 【抖音】 messages are not records."""

from __future__ import annotations

from decimal import Decimal

import pytest

from smartreturn.model import EventKind, Money, ReturnKind
from tests.parsers.cn_platform import from_fixture, from_sms


def one(relative: str):
    parser, events = from_fixture(relative)
    assert parser == "douyin"
    assert len(events) == 1
    return events[0]


def test_shipped() -> None:
    event = one("douyin/sms_shipped.eml")
    assert event.kind is EventKind.SHIPPED
    assert event.order_number == "6928374659201837465"
    assert [(t.number, t.carrier) for t in event.tracking] == [("JT5123456789012", "jt")]
    assert [i.name for i in event.items] == ["李宁 男子跑步鞋 赤兔6 PRO 42码"]


def test_return_approved_and_refund_share_the_case_number() -> None:
    approved = one("douyin/sms_return_approved.eml")
    refunded = one("douyin/sms_refund.eml")
    assert approved.kind is EventKind.RETURN_APPROVED
    assert approved.return_kind is ReturnKind.RETURN
    assert refunded.kind is EventKind.REFUND_ISSUED
    assert refunded.refund_amount == Money(Decimal("359.00"), "CNY")
    assert approved.return_case_number == refunded.return_case_number == "7012345678901234567"


def test_live_stream_notice_is_nothing() -> None:
    assert from_fixture("douyin/sms_live_negative.eml") == (None, [])


@pytest.mark.parametrize("sms", ["【抖音】验证码8842，用于登录，5分钟内有效。", "【抖音】你的好友给你发了一条私信"])
def test_not_records(sms: str) -> None:
    assert from_sms(sms) == (None, [])
