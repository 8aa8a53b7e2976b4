"""JD.com: what a user checks in each fixture and in typical pasted 【京东】 SMS."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from smartreturn.model import Direction, EventKind, Money, ReturnKind, ShipmentStatus
from tests.parsers.cn_platform import from_fixture, from_sms

SHANGHAI = ZoneInfo("Asia/Shanghai")


def one(relative: str):
    parser, events = from_fixture(relative)
    assert parser == "jd"
    assert len(events) == 1
    return events[0]


def test_order_submitted_gbk_html_gives_items_total_and_local_time() -> None:
    event = one("jd/order_submitted_gbk.eml")
    assert event.kind is EventKind.ORDER_PLACED
    assert event.order_number == "287654321098"
    assert event.total == Money(Decimal("5157.00"), "CNY")
    assert [(i.name, i.quantity, i.price) for i in event.items] == [
        ("小米14 Pro 钛金属版 12GB+256GB 5G手机", 1, Money(Decimal("4999.00"), "CNY")),
        ("Anker安克 67W氮化镓充电器 三口快充", 2, Money(Decimal("129.00"), "CNY")),
    ]
    assert event.occurred_at == datetime(2026, 11, 18, 21, 14, 7, tzinfo=SHANGHAI)
    assert event.expected_delivery == date(2026, 11, 20)


def test_out_of_warehouse_gives_the_jd_tracking_number() -> None:
    event = one("jd/shipped_out_of_warehouse.eml")
    assert event.kind is EventKind.SHIPPED
    assert [(t.number, t.carrier, t.direction) for t in event.tracking] == [("JDV012345678901", "jd", Direction.OUTBOUND)]
    assert event.shipment_status is ShipmentStatus.IN_TRANSIT
    assert event.occurred_at == datetime(2026, 11, 19, 8, 42, 15, tzinfo=SHANGHAI)


def test_signed_for_text_mail_uses_the_signing_time_not_the_mail_date() -> None:
    event = one("jd/delivered_text.eml")
    assert event.kind is EventKind.DELIVERED
    assert event.occurred_at == datetime(2026, 11, 20, 13, 5, tzinfo=SHANGHAI)
    assert event.order_number == "287654321098"


def test_service_order_carries_case_number_kind_and_reason() -> None:
    event = one("jd/service_order_return_requested.eml")
    assert event.kind is EventKind.RETURN_REQUESTED
    assert event.return_case_number == "1687654321"
    assert event.return_kind is ReturnKind.RETURN  # not "exchange" from the footer's 退换货 advice
    assert event.return_reason is not None and event.return_reason.startswith("质量问题")
    assert "外壳发烫" in event.return_reason
    assert [i.name for i in event.items] == ["Anker安克 67W氮化镓充电器 三口快充"]


def test_pickup_gives_a_return_direction_tracking_number() -> None:
    event = one("jd/return_pickup_scheduled.eml")
    assert event.kind is EventKind.RETURN_LABEL
    assert [(t.number, t.carrier, t.direction) for t in event.tracking] == [("JDVB01234567890", "jd", Direction.RETURN)]
    assert event.return_case_number == "1687654321"
    # the pickup window (11-23) is not when this happened
    assert event.occurred_at == datetime(2026, 11, 21, 16, 40, 12, tzinfo=SHANGHAI)


def test_refund_success_gives_amount_and_case() -> None:
    event = one("jd/refund_success.eml")
    assert event.kind is EventKind.REFUND_ISSUED
    assert event.refund_amount == Money(Decimal("129.00"), "CNY")
    assert event.return_case_number == "1687654321"
    assert event.occurred_at == datetime(2026, 11, 25, 15, 20, 41, tzinfo=SHANGHAI)


def test_qq_mail_forward_takes_the_users_note_as_reason() -> None:
    event = one("jd/forwarded_qq_with_note.eml")
    assert event.kind is EventKind.RETURN_REQUESTED
    assert event.order_number == "291234567890"
    assert event.return_reason == "尺码偏小，要换大一号"


def test_pasted_and_forwarded_sms() -> None:
    event = one("jd/sms_shipped_pasted.eml")
    assert (event.kind, event.order_number, event.tracking[0].number) == (EventKind.SHIPPED, "291234567890", "JDV012349876543")
    assert event.expected_delivery == date(2026, 11, 24)
    event = one("jd/sms_refund_forwarded.eml")
    assert event.kind is EventKind.REFUND_ISSUED
    assert event.refund_amount == Money(Decimal("1299.00"), "CNY")


@pytest.mark.parametrize("relative", ["jd/promo_1111_negative.eml", "jd/sms_otp_negative.eml"])
def test_promotions_and_codes_give_nothing(relative: str) -> None:
    assert from_fixture(relative) == (None, [])


@pytest.mark.parametrize(
    ("sms", "kind"),
    [
        ("【京东】您的订单287654321098已开始配送，配送员：张师傅，电话：13812345678，请保持电话畅通。", EventKind.OUT_FOR_DELIVERY),
        ("【京东】您的订单287654321098已完成，感谢您在京东购物，欢迎您再次光临！", EventKind.DELIVERED),
        ("【京东】您的服务单1687654321审核未通过，原因：商品已超过退换货期限。", EventKind.RETURN_REJECTED),
        ("【京东】您的服务单1687654321京东已收到您寄回的商品，将尽快为您处理。", EventKind.RETURN_RECEIVED),
        ("【京东】您的订单287654321098已取消成功，退款将在1-7个工作日内原路退回。", EventKind.CANCELLED),
        ("【京东】您的服务单1687654321换货商品已发出，运单号JDX000123456789，请注意查收。", EventKind.EXCHANGE_SHIPPED),
    ],
)
def test_sms_templates(sms: str, kind: EventKind) -> None:
    parser, events = from_sms(sms)
    assert parser == "jd"
    assert [e.kind for e in events] == [kind]


def test_sms_details() -> None:
    _, [event] = from_sms("【京东】您的服务单1687654321审核未通过，原因：商品已超过退换货期限。")
    assert event.return_reason == "商品已超过退换货期限"
    _, [event] = from_sms("【京东】您的订单287654321098已开始配送，配送员：张师傅，电话：13812345678，请保持电话畅通。")
    assert event.tracking == ()  # a courier's phone number is not a parcel
    _, [event] = from_sms("【京东】您的服务单1687654321换货商品已发出，运单号JDX000123456789，请注意查收。")
    assert event.tracking[0].direction is Direction.OUTBOUND
    assert event.return_kind is ReturnKind.EXCHANGE


def test_jd_logistics_sms_is_left_to_the_carrier_parser() -> None:
    parser, _ = from_sms("【京东物流】您的订单包裹JDV012345678901已到达北京亦庄营业部，快递员李师傅正在派送。")
    assert parser != "jd"
    parser, _ = from_sms("【京东快递】您的快件JDV012345678901已签收，感谢使用京东快递。")
    assert parser != "jd"


def test_several_pasted_sms_give_one_event_each() -> None:
    parser, events = from_sms(
        "【京东】您的订单287654321098已出库，京东快递运单号JDV012345678901。\n"
        "【京东】您的订单287654321098已由本人签收，感谢您在京东购物。"
    )
    assert parser == "jd"
    assert [e.kind for e in events] == [EventKind.SHIPPED, EventKind.DELIVERED]


def test_a_forward_the_decoder_could_not_unwrap_is_still_read() -> None:
    """An odd client's wrapper: the original's sender only appears in a 发件人 line of the body."""
    from datetime import UTC

    from smartreturn.mail.message import Email
    from smartreturn.parsers.jd import JdParser

    text = (
        "看一下这个\n>> 发件人: 京东 <customer_service@jd.com>\n>> 主题: 京东退款成功通知\n"
        ">> 订单号：287654321098\n>> 服务单号：1687654321\n>> 退款金额：¥129.00\n>> 您的退款已完成，款项已原路退回。"
    )
    email = Email(message_id="<m@x>", from_addr="zhang.wei@example.com", from_name="", subject="转发: 京东退款成功通知",
                  received=datetime(2026, 11, 25, 8, 0, tzinfo=UTC), text=text, html=None, raw=b"")
    parser = JdParser()
    assert parser.identify(email)
    [event] = parser.extract(email)
    assert (event.kind, event.refund_amount, event.return_case_number) == (
        EventKind.REFUND_ISSUED, Money(Decimal("129.00"), "CNY"), "1687654321")
    assert event.occurred_at == datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # no time in the mail: when it arrived


@pytest.mark.parametrize("html", ["<table><tr><td>订单号", "<<<>>>" * 1000, "\x00\ufffd【京东】", ""])
def test_identify_never_raises_on_broken_mail(html: str) -> None:
    from datetime import UTC

    from smartreturn.mail.message import Email
    from smartreturn.parsers.jd import JdParser

    email = Email(message_id="<m@x>", from_addr="customer_service@jd.com", from_name="", subject="\ufffd",
                  received=datetime(2026, 11, 25, tzinfo=UTC), text=html, html=html or None, raw=b"")
    assert JdParser().identify(email) is False
    assert JdParser().extract(email) == []
