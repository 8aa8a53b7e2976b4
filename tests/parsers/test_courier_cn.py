"""The shared Chinese courier SMS machinery: splitting, numbers, codes, times, ownership."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from smartreturn.model import EventKind
from smartreturn.parsers import courier_cn
from smartreturn.parsers.courier_cn import SHANGHAI, event_time, pickup_code, split_sms, tracking_numbers

from tests.parsers.cn_sms import run, sms_mail


def test_split_finds_each_signed_message_and_ignores_brackets_inside() -> None:
    text = (
        "随手转发一下\n"
        "【菜鸟驿站】您的【中通快递】包裹已到XX驿站，请凭取件码【3-2-1024】取件。【顺丰速运】您的快件SF1402345678901派送中。\n"
        "\n"
        "短信内容：【中通快递】您的快件\n73512345678901正在派送中。\n"
        "> 【EMS】您的邮件1123456789012已妥投。\n"
    )
    messages = split_sms(text)
    assert [m.signature for m in messages] == ["菜鸟驿站", "顺丰速运", "中通快递", "EMS"]
    assert messages[0].body.startswith("您的【中通快递】包裹")
    assert messages[2].body == "您的快件73512345678901正在派送中。"  # a wrapped line is joined


def test_split_reads_a_message_whose_sender_number_is_glued_before_the_signature() -> None:
    """Some SMS forwarders print the sender's number right before the text: "1069…【菜鸟驿站】…"."""
    messages = split_sms("106900000001【菜鸟驿站】您的包裹已到驿站，请凭取件码3-2-1024取件。\n+8695508【广发银行】您尾号1234卡退款100.00元。")
    assert [m.signature for m in messages] == ["菜鸟驿站", "广发银行"]
    assert messages[0].body == "您的包裹已到驿站,请凭取件码3-2-1024取件。"  # (NFKC)
    assert split_sms("1234【菜鸟驿站】您的包裹已到驿站。") == []  # 4 digits: not a sender number


def test_split_reads_a_signature_at_the_end_and_phone_time_lines() -> None:
    messages = split_sms("2026/11/23 17:45\n您的快件已签收。【韵达快递】\n\n11月24日 08:01\n【中通快递】您的快件派送中。")
    assert [(m.signature, m.when) for m in messages] == [("韵达快递", "2026/11/23 17:45"), ("中通快递", "11月24日 08:01")]
    assert messages[0].body == "您的快件已签收。"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("请凭取件码 3-2-1024 于18:00前取件", "3-2-1024"),
        ("取件码：12345678，请及时取件", "12345678"),
        ("取件码为【A6-2-3318】", "A6-2-3318"),
        ("凭3－2－1024到驿站取件", "3-2-1024"),
        ("您的包裹已签收", None),
        ("取件码 1号柜902144，兔喜快递超市代收点", "902144"),  # an app card names the locker first
        ("包裹已到菜鸟驿站，到店输入74775或扫码亮灯取件", "74775"),
        ("请输入验证码 482915 完成登录", None),
    ],
)
def test_pickup_codes(text: str, code: str | None) -> None:
    assert pickup_code(text) == code


@pytest.mark.parametrize(
    "text",
    [
        # station wordings seen in real SMS (fixtures/real/): no 取件码, yet the parcel waits at a station
        "【菜鸟】您好，请前往友邻驿站正商红河谷08号商铺友邻驿站，领取中通3787的快件",
        "【韵达快递】亲，您的快件546339570938813已到达青禾村26排(青禾村26排2号)，辛苦及时取件。",
    ],
)
def test_a_parcel_waiting_at_a_station_without_a_code_is_ready_for_pickup(text: str) -> None:
    events = run(text).events
    assert [e.kind for e in events] == [EventKind.PICKUP_READY]


def test_numbers_skip_phones_pickup_codes_hotlines_and_jd_orders() -> None:
    text = ("您的快件75312345678901正在派送，快递员电话13812345678，座机电话057188881234，取件码 20261125，"
            "客服95311，您的订单285012345678")
    assert tracking_numbers(text, None) == ["75312345678901"]


def test_self_identifying_numbers_are_found_without_a_keyword() -> None:
    assert tracking_numbers("已发货 SF1402345678901 和 YT1234567890123", None) == ["SF1402345678901", "YT1234567890123"]


def test_a_time_without_year_takes_the_year_of_the_mail_and_never_lies_in_the_future() -> None:
    received = datetime(2027, 1, 2, 1, 0, tzinfo=timezone.utc)
    assert event_time("已于12月31日 20:15发往杭州", received) == datetime(2026, 12, 31, 20, 15, tzinfo=SHANGHAI)
    assert event_time("已于1月1日 20:15发往杭州", received) == datetime(2027, 1, 1, 20, 15, tzinfo=SHANGHAI)


def test_a_deadline_is_not_the_event_time() -> None:
    received = datetime(2026, 11, 25, 4, 0, tzinfo=timezone.utc)
    assert event_time("请于11月27日 20:00前取件", received) is None
    assert event_time("预计今天18:00前送达", received) is None
    assert event_time("今天 09:12 已签收", received) == datetime(2026, 11, 25, 9, 12, tzinfo=SHANGHAI)


def test_without_a_time_in_the_sms_the_event_is_dated_by_the_mail() -> None:
    result = run("【中通快递】您的快件73512345678901正在派送中。", date="Wed, 25 Nov 2026 04:10:00 +0000")
    assert result.events[0].occurred_at == datetime(2026, 11, 25, 12, 10, tzinfo=SHANGHAI)
    assert result.events[0].occurred_at.utcoffset() is not None


@pytest.mark.parametrize(
    "text",
    [
        "【顺丰速运】您的验证码为 482913，5分钟内有效。",
        "【中通快递】双11寄件优惠，首重立减3元，回T退订",
        "【菜鸟】您有一张寄件券即将过期，回T退订",
        "【京东物流】您的京东快递账号已登录，如非本人操作请修改密码。",
        "今天天气不错",
        "",
    ],
)
def test_otp_promotions_and_chatter_are_claimed_by_no_parser(text: str) -> None:
    result = run(text)
    assert result.parser is None and result.events == []


def test_a_notice_with_an_unsubscribe_line_still_counts() -> None:
    result = run("【丰巢】取件码 66881234，您的顺丰快递已存入XX路丰巢柜，退订回T")
    assert result.parser.name == "cainiao"
    assert result.events[0].pickup_code == "66881234"


def test_the_first_notice_decides_the_owner_and_the_owner_reads_every_notice() -> None:
    result = run("【中通快递】您的快件73512345678901正在派送中。\n【顺丰速运】您的快件SF1402345678901已签收。")
    assert result.parser.name == "zto"
    assert [(e.platform, e.kind) for e in result.events] == [("zto", EventKind.OUT_FOR_DELIVERY), ("sf", EventKind.DELIVERED)]


def test_a_shop_sms_first_leaves_the_mail_to_the_shop_parser() -> None:
    email = sms_mail("【京东】您的订单285012345678已出库，京东快递正在配送。\n【中通快递】您的快件73512345678901正在派送中。")
    assert courier_cn.lead_courier(email) is None


def test_the_same_sms_pasted_twice_is_one_event() -> None:
    sms = "【中通快递】您的快件73512345678901正在派送中。"
    assert len(run(f"{sms}\n\n{sms}").events) == 1


def test_a_user_note_above_a_forward_makes_it_a_return_with_that_reason() -> None:
    text = ("退货原因：尺码偏小\n\n---------- Forwarded message ---------\nFrom: 王芳 <wang.fang@example.com>\n"
            "Date: 2026年11月24日周二 20:05\nSubject: 短信\nTo: <li.wei@example.com>\n\n"
            "【中通快递】您的快件73512345678901已被快递员揽收。\n")
    event = run(text).events[0]
    assert event.kind is EventKind.RETURN_SHIPPED
    assert event.return_reason == "尺码偏小"
    assert event.tracking[0].direction.value == "return"


@pytest.mark.parametrize("text", ["【", "】【】【", "【顺丰速运】" * 500, "【中通快递】\x00\udcff", "1" * 5000])
def test_identify_never_raises_on_hostile_text(text: str) -> None:
    from smartreturn.mail.message import Email

    email = Email("id", "x@sf-express.com", "", text, datetime(2026, 1, 1, tzinfo=timezone.utc), text, None, b"")
    for parser in (courier_cn.CourierParser.__subclasses__()):
        assert parser().identify(email) in (True, False)
