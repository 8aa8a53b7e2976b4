"""Yunda (韵达快递) SMS."""

from __future__ import annotations

from smartreturn.model import EventKind

from tests.parsers.cn_sms import run


def test_signature_at_the_end() -> None:
    result = run("您的快件4312345678901已签收，签收人：门卫。感谢使用韵达快递！【韵达快递】")
    assert result.parser.name == "yunda"
    (event,) = result.events
    assert event.kind is EventKind.DELIVERED
    assert [(t.number, t.carrier) for t in event.tracking] == [("4312345678901", "yunda")]


def test_out_for_delivery_by_a_named_courier() -> None:
    (event,) = run("【韵达快递】您好，您的快件3108765432109今日由快递员孙师傅派送，电话15812345678。").events
    assert event.kind is EventKind.OUT_FOR_DELIVERY
    assert [t.number for t in event.tracking] == ["3108765432109"]
