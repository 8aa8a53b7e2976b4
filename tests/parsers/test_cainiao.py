"""Cainiao stations and lockers: 取件码, the station, and the courier that brought the parcel."""

from __future__ import annotations

from datetime import datetime

from smartreturn.model import Direction, EventKind, ShipmentStatus, TrackingRef
from smartreturn.parsers.courier_cn import SHANGHAI

from tests.parsers.cn_sms import run


def test_station_notice_names_the_courier_and_gives_the_code() -> None:
    result = run("【菜鸟驿站】您的中通包裹已到XX小区菜鸟驿站，请凭取件码 3-2-1024 于18:00前取件。",
                 date="Wed, 25 Nov 2026 14:03:00 +0800")
    assert result.parser.name == "cainiao"
    (event,) = result.events
    assert event.kind is EventKind.PICKUP_READY
    assert event.shipment_status is ShipmentStatus.PICKUP_READY
    assert event.pickup_code == "3-2-1024"
    assert dict(event.extra) == {
        "carrier": "zto", "pickup_location": "XX小区菜鸟驿站", "pickup_before": "2026-11-25T18:00:00+08:00",
    }


def test_locker_notice_with_number_tracks_the_underlying_courier() -> None:
    (event,) = run("【丰巢】您的韵达快递（运单号4312345678901）已存入万科城3栋丰巢柜，取件码12345678。", charset="gbk").events
    assert event.platform == "fcbox"
    assert event.tracking == (TrackingRef("4312345678901", "yunda", Direction.OUTBOUND),)
    assert event.pickup_code == "12345678"


def test_picked_up_from_the_station_is_delivered() -> None:
    (event,) = run("【菜鸟驿站】您在文三路28号菜鸟驿站的包裹（YT7512345678901）已于11月25日 19:20取出。").events
    assert event.kind is EventKind.DELIVERED
    assert event.tracking == (TrackingRef("YT7512345678901", "yto", Direction.OUTBOUND),)  # from the number
    assert event.occurred_at == datetime(2026, 11, 25, 19, 20, tzinfo=SHANGHAI)


def test_station_notice_takes_a_yto_number_of_twelve_digits() -> None:
    # a real 妈妈驿站 SMS names "包裹YT" + 12 digits, with 圆通 after the station's place name
    (event,) = run("【妈妈驿站】取货码5-5-9-13，您有包裹YT712345678901已到城南路圆通快递").events
    assert event.kind is EventKind.PICKUP_READY
    assert event.pickup_code == "5-5-9-13"
    assert event.tracking == (TrackingRef("YT712345678901", "yto", Direction.OUTBOUND),)


def test_the_code_is_never_taken_for_a_tracking_number() -> None:
    (event,) = run("【菜鸟驿站】您的申通包裹已到达翠苑一区菜鸟驿站，取件码 20261125，询13800001111").events
    assert event.tracking == ()
    assert event.pickup_code == "20261125"
