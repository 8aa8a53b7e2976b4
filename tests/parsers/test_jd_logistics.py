"""JD Logistics (京东物流/京东快递) SMS; 【京东】 order SMS stay with the jd platform parser."""

from __future__ import annotations

from datetime import date

from smartreturn.model import Direction, EventKind, TrackingRef

from tests.parsers.cn_sms import run


def test_jdv_waybill_delivered() -> None:
    result = run("【京东快递】您的快件JDVA12345678901已签收，签收人：本人（快递柜）。感谢您使用京东快递。")
    assert result.parser.name == "jd_logistics"
    (event,) = result.events
    assert event.kind is EventKind.DELIVERED
    assert event.tracking == (TrackingRef("JDVA12345678901", "jd", Direction.OUTBOUND),)


def test_order_number_is_an_order_not_a_tracking_number() -> None:
    (event,) = run("【京东物流】您的订单285012345678已由配送员张强（15012345678）开始配送，预计11月26日送达。").events
    assert event.kind is EventKind.OUT_FOR_DELIVERY
    assert event.platform == "jd"
    assert event.order_number == "285012345678"
    assert event.tracking == ()
    assert event.expected_delivery == date(2026, 11, 26)


def test_gbk_return_collected() -> None:
    (event,) = run("【京东物流】您寄出的快件JDX000123456789已由快递员揽收。", charset="gbk").events
    assert event.kind is EventKind.RETURN_SHIPPED
    assert event.tracking[0].direction is Direction.RETURN


def test_jd_shop_sms_is_not_ours() -> None:
    result = run("【京东】您的订单285012345678已出库，京东快递正在为您配送，请保持电话畅通。")
    assert result.parser is None or result.parser.name == "jd"


def test_a_mail_from_jd_com_is_not_jd_logistics() -> None:
    result = run("您的快件JDVA12345678901已签收。", sender="customer_service@jd.com")
    assert result.parser is None or result.parser.name != "jd_logistics"
