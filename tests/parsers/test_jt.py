"""J&T Express (极兔速递) SMS."""

from __future__ import annotations

from datetime import datetime

from smartreturn.model import EventKind, ShipmentStatus
from smartreturn.parsers.courier_cn import SHANGHAI

from tests.parsers.cn_sms import run


def test_pickup_notice_with_code_and_place() -> None:
    result = run("【极兔速递】请凭5-3-2081到长青路极兔速递驿站取件，地址：长青路88号")
    assert result.parser is not None and result.parser.name == "jt"
    (event,) = result.events
    assert (event.kind, event.platform, event.pickup_code) == (EventKind.PICKUP_READY, "jt", "5-3-2081")
    assert dict(event.extra)["pickup_location"] == "长青路极兔速递驿站"


def test_delivered_with_its_waybill_and_time() -> None:
    (event,) = run("【极兔速递】您的快件JT3108765432109已于11月24日 18:02签收，感谢使用极兔速递。").events
    assert (event.kind, event.shipment_status) == (EventKind.DELIVERED, ShipmentStatus.DELIVERED)
    assert [(t.number, t.carrier) for t in event.tracking] == [("JT3108765432109", "jt")]
    assert event.occurred_at == datetime(2026, 11, 24, 18, 2, tzinfo=SHANGHAI)


def test_station_notice_naming_jt_stays_the_station_s() -> None:
    """A 【妈妈驿站】 notice about a 极兔 parcel belongs to the station parser, with carrier jt."""
    result = run("【妈妈驿站】取货码2-2-1521，您有极兔快递包裹，已到尚府21栋104号门面，询13700001111")
    assert result.parser is not None and result.parser.name == "cainiao"
    (event,) = result.events
    assert dict(event.extra)["carrier"] == "jt"


def test_login_code_is_not_a_notice() -> None:
    assert run("【极兔速递】您的验证码为428531，您正在登录极兔速递小程序，5分钟内有效。").events == []
