"""Pinduoduo: it hardly mails, so everything is pasted or forwarded 【拼多多】 SMS."""

from __future__ import annotations

from decimal import Decimal

import pytest

from smartreturn.model import Direction, EventKind, Money, ReturnKind
from tests.parsers.cn_platform import from_fixture, from_sms


def one(relative: str):
    parser, events = from_fixture(relative)
    assert parser == "pinduoduo"
    assert len(events) == 1
    return events[0]


def test_shipped_sms_gives_order_number_carrier_and_item() -> None:
    event = one("pinduoduo/sms_shipped.eml")
    assert event.kind is EventKind.SHIPPED
    assert event.order_number == "231119-482910375619823"
    assert [(t.number, t.carrier) for t in event.tracking] == [("78312345678901", "zto")]
    assert [i.name for i in event.items] == ["加厚珊瑚绒四件套 1.8m床 灰色"]


def test_after_sale_approved() -> None:
    event = one("pinduoduo/sms_after_sale_approved.eml")
    assert event.kind is EventKind.RETURN_APPROVED
    assert event.return_case_number == "8812345678901"
    assert event.return_kind is ReturnKind.RETURN


def test_return_shipped_tracking_is_a_return_parcel() -> None:
    event = one("pinduoduo/sms_return_shipped.eml")
    assert event.kind is EventKind.RETURN_SHIPPED
    assert [(t.number, t.carrier, t.direction) for t in event.tracking] == [("YT7398765432101", "yto", Direction.RETURN)]


def test_refund_with_the_users_note_above_the_sms() -> None:
    event = one("pinduoduo/sms_refund_mailed_with_note.eml")
    assert event.kind is EventKind.REFUND_ISSUED
    assert event.refund_amount == Money(Decimal("89.90"), "CNY")
    assert event.return_reason == "质量差，线头很多"


def test_promotion_gives_nothing() -> None:
    assert from_fixture("pinduoduo/sms_promo_negative.eml") == (None, [])


@pytest.mark.parametrize(
    ("sms", "kind"),
    [
        ("【拼多多】您拼单的商品已发货，韵达快递4312345678901，点击查看物流。", EventKind.SHIPPED),
        ("【拼多多】您的包裹已签收，订单号231119-482910375619823，如有问题请联系商家。", EventKind.DELIVERED),
        ("【拼多多】您的订单已签收，如对商品有疑问可申请售后。", EventKind.DELIVERED),
        ("【拼多多】商家已同意退款，¥29.90将在24小时内退回您的支付账户。", EventKind.RETURN_APPROVED),
        ("【拼多多】退款成功！¥29.90已退回您的微信零钱。", EventKind.REFUND_ISSUED),
        ("【拼多多】您的订单231119-482910375619823已拼单成功，商家将尽快发货。", EventKind.ORDER_PLACED),
    ],
)
def test_sms_templates(sms: str, kind: EventKind) -> None:
    parser, events = from_sms(sms)
    assert parser == "pinduoduo"
    assert [e.kind for e in events] == [kind]


def test_approved_refund_amount_is_read_but_not_yet_refunded() -> None:
    _, [event] = from_sms("【拼多多】商家已同意退款，¥29.90将在24小时内退回您的支付账户。")
    assert event.refund_amount == Money(Decimal("29.90"), "CNY")


@pytest.mark.parametrize(
    "sms",
    ["【拼多多】您的验证码是5566，10分钟内有效。", "【拼多多】快来评价您购买的商品，评价有礼！", "【中通快递】您的包裹78312345678901已签收。"],
)
def test_not_ours(sms: str) -> None:
    parser, _ = from_sms(sms)
    assert parser != "pinduoduo"
