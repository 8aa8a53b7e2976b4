"""Refund notices of payment apps and banks: what a Chinese user keeps as proof that a refund arrived."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from smartreturn.cli.add_text import text_message
from smartreturn.mail.decode import parse_email
from smartreturn.model import EventKind
from smartreturn.parsers.registry import extract

SH = ZoneInfo("Asia/Shanghai")
WHEN = datetime(2026, 11, 22, 10, 0, tzinfo=SH)


def _parse(text: str):
    return extract(parse_email(text_message(text, WHEN)))


@pytest.mark.parametrize(("text", "platform", "amount", "merchant"), [
    ("【招商银行】您账户1234于11月20日14:03在财付通-美团退款人民币35.50元，余额1,234.56。", "bank", "35.50", "美团"),
    ("【建设银行】您尾号8899的储蓄卡11月3日10时05分支付宝-拼多多退款收入人民币12.80元，活期余额300.00元。",
     "bank", "12.80", "拼多多"),
    ("【微信支付】退款到账通知：商户名称：Apple官方旗舰店，退款金额￥299.00，已退回零钱。", "wechat_pay", "299.00", "Apple官方旗舰店"),
])
def test_a_refund_notice_gives_amount_merchant_and_channel(text, platform, amount, merchant):
    result = _parse(text)
    assert result.parser is not None and result.parser.name == "payment_cn"
    (event,) = result.events
    assert event.kind is EventKind.REFUND_ISSUED
    assert event.platform == platform
    assert event.refund_amount is not None and event.refund_amount.amount == Decimal(amount)
    assert event.refund_amount.currency == "CNY"
    assert event.merchant == merchant
    assert event.order_number is None  # these notices never carry the shop's order number


def test_the_balance_is_never_taken_for_the_refund():
    (event,) = _parse("【工商银行】您尾号5678卡余额2,001.50元，11月21日09:12快捷支付(支付宝-淘宝)退货199.00元。").events
    assert event.refund_amount.amount == Decimal("199.00")
    assert dict(event.extra)["card_tail"] == "5678"


def test_the_time_in_the_notice_is_when_the_refund_happened():
    (event,) = _parse("【招商银行】您账户1234于11月20日14:03在财付通-美团退款人民币35.50元").events
    assert event.occurred_at == datetime(2026, 11, 20, 14, 3, tzinfo=SH)


@pytest.mark.parametrize("text", [
    "【招商银行】您账户1234于11月20日14:03在财付通-美团快捷支付35.50元，余额1,234.56",  # spending
    "【工商银行】您的信用卡11月账单已出，本期应还款1234.56元，最低还款123.46元。",  # a bill
    "【支付宝】验证码123456，您正在申请退款，请勿泄露。",  # a code
    "【美团】您的退款申请已提交，商家处理后将原路退回。",  # asked for, not refunded
    "【淘宝】退款失败：银行卡已注销，请更换收款账户。",  # failed (and a shop's own SMS)
    "【中国银行】双十一刷卡满100元立减10元，退订回T",  # marketing
    "微信支付\n退款到账了吗？退款金额￥59.90，商户说三天内退回。",  # a question quoting the amount
])
def test_spending_bills_codes_and_requests_yield_nothing(text):
    assert _parse(text).events == []


def test_a_batch_led_by_a_courier_notice_stays_the_couriers():
    text = ("【菜鸟驿站】您的中通包裹已到阳光小区南门菜鸟驿站，请凭3-2-1024取件。\n"
            "【招商银行】您账户1234于11月20日14:03在财付通-美团退款人民币35.50元。")
    result = _parse(text)
    assert result.parser is not None and result.parser.name == "cainiao"
