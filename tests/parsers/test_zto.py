"""ZTO (中通快递) SMS."""

from __future__ import annotations

from datetime import datetime

from smartreturn.model import EventKind, ShipmentStatus
from smartreturn.parsers.courier_cn import SHANGHAI

from tests.parsers.cn_sms import run


def test_in_transit_with_the_time_in_the_sms() -> None:
    result = run("【中通快递】您的快件73512345678901已于11月24日 20:15从【上海转运中心】发往【杭州转运中心】。")
    assert result.parser.name == "zto"
    (event,) = result.events
    assert (event.kind, event.shipment_status) == (EventKind.SHIPPED, ShipmentStatus.IN_TRANSIT)
    assert event.occurred_at == datetime(2026, 11, 24, 20, 15, tzinfo=SHANGHAI)
    assert [t.number for t in event.tracking] == ["73512345678901"]


def test_problem_parcel_is_an_exception_and_the_phone_is_not_a_number() -> None:
    (event,) = run("【中通快递】您的快件78812345678901因收件地址不详成为问题件，请联系快递员（13712345678）处理。",
                   charset="gbk").events
    assert (event.kind, event.shipment_status) == (EventKind.DELIVERY_EXCEPTION, ShipmentStatus.EXCEPTION)
    assert [t.number for t in event.tracking] == ["78812345678901"]
