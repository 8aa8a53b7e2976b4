"""YTO (圆通速递) SMS."""

from __future__ import annotations

from smartreturn.model import Direction, EventKind, TrackingRef

from tests.parsers.cn_sms import run


def test_return_parcel_collected() -> None:
    result = run("【圆通速递】您的退货快件YT1234567890123已被快递员揽收，正发往商家退货仓。")
    assert result.parser.name == "yto"
    (event,) = result.events
    assert event.kind is EventKind.RETURN_SHIPPED
    assert event.tracking == (TrackingRef("YT1234567890123", "yto", Direction.RETURN),)


def test_delivered_is_not_mistaken_for_out_for_delivery() -> None:
    (event,) = run("【圆通快递】您的快件YT8823456789012已签收，签收人：前台代收。如有疑问请联系快递员15912345678。").events
    assert event.kind is EventKind.DELIVERED
