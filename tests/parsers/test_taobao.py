"""Taobao / Tmall: fixtures and the 【淘宝】/【天猫】 SMS and app pushes users paste."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from smartreturn.model import Direction, EventKind, Money, ReturnKind, ShipmentStatus
from tests.parsers.cn_platform import from_fixture, from_sms

SHANGHAI = ZoneInfo("Asia/Shanghai")


def one(relative: str):
    parser, events = from_fixture(relative)
    assert parser == "taobao"
    assert len(events) == 1
    return events[0]


def test_paid_order_mail_gives_shop_items_and_total() -> None:
    event = one("taobao/order_paid_html.eml")
    assert event.kind is EventKind.ORDER_PLACED
    assert event.order_number == "3456789012345678901"
    assert event.merchant == "优衣库官方旗舰店"
    assert event.total == Money(Decimal("278.80"), "CNY")
    assert [(i.quantity, i.price) for i in event.items] == [
        (1, Money(Decimal("199.00"), "CNY")), (2, Money(Decimal("39.90"), "CNY")),
    ]
    assert event.items[0].name.startswith("优衣库 男装 摇粒绒拉链茄克")
    assert event.occurred_at == datetime(2026, 11, 18, 20, 31, 2, tzinfo=SHANGHAI)


def test_forwarded_shipping_sms_gives_carrier_and_shop() -> None:
    event = one("taobao/sms_shipped_forwarded.eml")
    assert event.kind is EventKind.SHIPPED
    assert [(t.number, t.carrier) for t in event.tracking] == [("78901234567890", "zto")]
    assert event.merchant == "优衣库官方旗舰店"
    assert event.occurred_at == datetime(2026, 11, 19, 17, 45, 10, tzinfo=SHANGHAI)  # the mail's time


def test_tmall_refund_sms() -> None:
    event = one("taobao/sms_tmall_refund_pasted.eml")
    assert event.kind is EventKind.REFUND_ISSUED
    assert event.refund_amount == Money(Decimal("199.00"), "CNY")
    assert event.return_case_number == "231234567890123456"
    assert event.order_number == "3456789012345678901"


def test_return_approved_mail() -> None:
    event = one("taobao/return_approved_qp.eml")
    assert event.kind is EventKind.RETURN_APPROVED
    assert event.return_kind is ReturnKind.RETURN
    assert event.return_reason == "尺码拍错/不喜欢/效果差"
    assert event.refund_amount == Money(Decimal("199.00"), "CNY")
    assert event.return_case_number == "231234567890123456"
    assert event.tracking == ()  # the return address's phone number is no parcel


def test_pickup_push_gives_the_pickup_code() -> None:
    event = one("taobao/sms_pickup_ready_pasted.eml")
    assert event.kind is EventKind.PICKUP_READY
    assert event.pickup_code == "3-2-1108"
    assert event.shipment_status is ShipmentStatus.PICKUP_READY


@pytest.mark.parametrize("relative", ["taobao/review_request_negative.eml", "taobao/sms_promo_negative.eml"])
def test_review_requests_and_promotions_give_nothing(relative: str) -> None:
    assert from_fixture(relative) == (None, [])


@pytest.mark.parametrize(
    ("sms", "kind"),
    [
        ("【淘宝】您的订单已发货，快递公司：韵达快递，运单号：4312345678901，查看物流 m.tb.cn/h.1", EventKind.SHIPPED),
        ("【淘宝】亲，您的宝贝正在派送中，快递员王师傅13812345678，请保持电话畅通", EventKind.OUT_FOR_DELIVERY),
        ("【天猫超市】您的订单已签收，感谢您的支持。", EventKind.DELIVERED),
        ("【淘宝】您的退款申请已提交，退款编号231234567890123456，等待卖家处理。", EventKind.RETURN_REQUESTED),
        ("【淘宝】卖家拒绝了您的退款申请，原因：商品已影响二次销售。", EventKind.RETURN_REJECTED),
        ("【淘宝】卖家已确认收到退货，退款¥199.00将原路退回。", EventKind.RETURN_RECEIVED),
        ("【淘宝】您的退货已寄出，退货单号YT7398765432101，卖家收货后将为您退款。", EventKind.RETURN_SHIPPED),
        ("【淘宝】您已成功拍下宝贝，订单号3456789012345678901，请尽快付款。", EventKind.ORDER_PLACED),
        ("【淘宝】亲，您的包裹已由【中通快递】揽收，运单号 75312345678901，点击 m.tb.cn/x 查看", EventKind.SHIPPED),
        ("【淘宝】您的订单已关闭，关闭原因：买家取消订单。", EventKind.CANCELLED),
        ("【淘宝】您的退款申请卖家已拒绝，拒绝原因：商品已拆封。可申请平台介入。", EventKind.RETURN_REJECTED),
    ],
)
def test_sms_templates(sms: str, kind: EventKind) -> None:
    parser, events = from_sms(sms)
    assert parser == "taobao"
    assert [e.kind for e in events] == [kind]


def test_sms_details() -> None:
    _, [event] = from_sms("【淘宝】您的订单已发货，快递公司：韵达快递，运单号：4312345678901，查看物流 m.tb.cn/h.1")
    assert [(t.number, t.carrier) for t in event.tracking] == [("4312345678901", "yunda")]
    _, [event] = from_sms("【淘宝】您的退货已寄出，退货单号YT7398765432101，卖家收货后将为您退款。")
    assert [(t.number, t.carrier, t.direction) for t in event.tracking] == [("YT7398765432101", "yto", Direction.RETURN)]
    _, [event] = from_sms("【淘宝】亲，您的宝贝正在派送中，快递员王师傅13812345678，请保持电话畅通")
    assert event.tracking == ()


def test_signature_at_the_end_and_full_width_digits() -> None:
    parser, [event] = from_sms("您的宝贝已发货，圆通速递ＹＴ７５１２３４５６７８９０１，请注意查收。【淘宝】")
    assert parser == "taobao"
    assert event.tracking[0].number == "YT7512345678901"


@pytest.mark.parametrize(
    "sms",
    [
        "【淘宝】验证码 482913，用于登录淘宝账号，5分钟内有效，请勿泄露。",
        "【淘宝】亲，您购买的宝贝已签收好几天啦，快来评价一下吧～",
        "【菜鸟驿站】您的淘宝包裹已到华新镇华志路店，取件码3-2-1108。",
        "【闲鱼】您的宝贝已发货，运单号78901234567890",
    ],
)
def test_not_ours(sms: str) -> None:
    parser, _ = from_sms(sms)
    assert parser != "taobao"


def test_163_forward_of_a_tmall_mail_with_the_users_note() -> None:
    event = one("taobao/forwarded_163_return_received.eml")
    assert event.kind is EventKind.RETURN_RECEIVED
    assert event.return_reason == "这条裤子颜色和图片不符，退了"
    assert [(t.number, t.carrier, t.direction) for t in event.tracking] == [("SF1412345678901", "sf", Direction.RETURN)]
    assert event.refund_amount == Money(Decimal("299.00"), "CNY")
    assert event.occurred_at == datetime(2026, 11, 24, 18, 5, 37, tzinfo=SHANGHAI)


def test_rejection_reason_and_approved_amount_are_read() -> None:
    _, [event] = from_sms("【淘宝】您的退款申请卖家已拒绝，拒绝原因：商品已拆封。可申请平台介入。")
    assert event.return_reason == "商品已拆封"
    _, [event] = from_sms("【淘宝】退款提醒：卖家已同意退款，退款金额59.00元将原路返回，请注意查收。")
    assert (event.kind, event.refund_amount) == (EventKind.RETURN_APPROVED, Money(Decimal("59.00"), "CNY"))
    _, [event] = from_sms("【淘宝】亲，您的包裹已由【中通快递】揽收，运单号 75312345678901，点击 m.tb.cn/x 查看")
    assert [(t.number, t.carrier) for t in event.tracking] == [("75312345678901", "zto")]
    assert event.merchant is None  # 【中通快递】 is the carrier, not a shop


@pytest.mark.parametrize(
    "sms",
    [
        "【淘宝】您的宝贝已发货，中通快递75312345678901，如不满意请申请退货。",
        "【淘宝】您的宝贝已发货，如需退货请在7天内寄回。",
    ],
)
def test_return_advice_in_a_shipping_sms_does_not_make_it_a_return(sms: str) -> None:
    _, events = from_sms(sms)
    assert [e.kind for e in events] == [EventKind.SHIPPED]
