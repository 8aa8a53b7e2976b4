"""Order numbers next to 订单/商品 are the order, never a waybill (the decoys of issue 11)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from smartreturn.cli.add_text import text_message
from smartreturn.mail.decode import parse_email
from smartreturn.parsers.registry import extract

WHEN = datetime(2026, 3, 16, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _records(text: str):
    result = extract(parse_email(text_message(text, WHEN)))
    return (result.parser.name if result.parser else None), result.events


@pytest.mark.parametrize(("text", "parser", "order", "waybills"), [
    ("【拼多多】您的202603151234567号订单已由中通快递发出，快递单号78912345678901，请留意查收。",
     "pinduoduo", "202603151234567", {("78912345678901", "zto")}),
    ("【京东】您购买的商品（285012345678）已交中通快递配送，请注意查收。", "jd", "285012345678", set()),
    # labelled 订单号: the order (filled in by the generic layer), never a waybill
    ("【菜鸟驿站】您的包裹已到站，订单号202603151234567，请凭5-2-1101取件", "cainiao", "202603151234567", set()),
])
def test_the_order_number_is_read_as_the_order(text, parser, order, waybills):
    name, events = _records(text)
    assert name == parser
    (event,) = events
    assert event.order_number == order
    assert {(t.number, t.carrier) for t in event.tracking} == waybills
