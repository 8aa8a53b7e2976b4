"""Who owns a pasted batch of SMS: the platform parsers and the courier parsers must agree.

Both ask :func:`smartreturn.parsers.courier_cn.lead_sms`: the first SMS signed by a courier or a
platform that is a real notice decides; 验证码, account and marketing SMS never do.
"""

from __future__ import annotations

import pytest

from smartreturn.model import EventKind
from smartreturn.parsers.common_cn import platform_signatures
from smartreturn.parsers.courier_cn import lead_courier, lead_sms
from smartreturn.parsers.registry import load_parsers

from tests.parsers.cn_sms import run, sms_mail

COURIER_SMS = "【中通快递】您的快件73512345678901正在派送中。"


def claimants(text: str) -> list[str]:
    email = sms_mail(text)
    return [p.name for p in load_parsers() if not getattr(p, "fallback", False) and p.identify(email)]


@pytest.mark.parametrize(
    ("shop_sms", "owner"),
    [
        # signatures the courier parsers' own list used to miss: the courier SMS below then also
        # claimed the mail and the registry raised ParserConflict
        ("【手机淘宝】您购买的宝贝已发货，订单号：3312456789012345。", "taobao"),
        ("【天猫超市】您的订单3312456789012345已发货，请留意查收。", "taobao"),
        ("【淘特】您的订单3312456789012345已发货。", "taobao"),
        ("【京东JD.COM】您的订单285012345678已出库，京东快递正在配送。", "jd"),
        ("【多多买菜】您的订单已发货，订单编号：231125-123456789012345。", "pinduoduo"),
        ("【抖音电商】您的订单已发货，订单号：6912345678901234567。", "douyin"),
    ],
)
def test_a_batch_that_starts_with_a_platform_sms_has_exactly_one_owner(shop_sms: str, owner: str) -> None:
    text = f"{shop_sms}\n{COURIER_SMS}"
    assert claimants(text) == [owner]
    result = run(text)  # no ParserConflict
    assert result.parser is not None and result.parser.name == owner
    assert result.events and all(e.platform == owner for e in result.events)


def test_every_platform_signature_is_known_to_the_courier_parsers() -> None:
    for signature in platform_signatures():
        email = sms_mail(f"【{signature}】您的订单285012345678已发货。\n{COURIER_SMS}")
        assert lead_courier(email) is None, signature


@pytest.mark.parametrize(
    "noise",
    [
        "【京东】验证码 482913，您正在登录京东账号，请勿泄露。",
        "【淘宝】您的验证码是 8842，5分钟内有效。",
        "【京东】双11红包已到账，满300减50，限时领券！退订回T",
        "【中通快递】您的验证码为 1234，请勿告知他人。",
    ],
)
def test_a_code_or_promo_sms_on_top_decides_nothing_for_either_side(noise: str) -> None:
    # courier notice below it: the courier owns the batch, and no platform parser claims it too
    text = f"{noise}\n{COURIER_SMS}"
    assert claimants(text) == ["zto"]
    assert [e.kind for e in run(text).events] == [EventKind.OUT_FOR_DELIVERY]
    # platform notice below it: the platform owns it (the jd parser used to look at the first
    # signature only, and a 验证码 from another sender left the order SMS to nobody)
    text = f"{noise}\n【京东】您的订单285012345678已出库，京东快递正在配送。"
    assert claimants(text) == ["jd"]
    assert run(text).events[0].order_number == "285012345678"


def test_the_lead_is_the_first_real_notice() -> None:
    lead = lead_sms(f"【京东】验证码 482913，请勿泄露。\n{COURIER_SMS}\n【京东】您的订单285012345678已出库。", "sms")
    assert lead is not None and lead.signature == "中通快递"
    assert lead_sms("【京东】验证码 482913，请勿泄露。\n【淘宝】双11红包已到账，退订回T", "sms") is None
