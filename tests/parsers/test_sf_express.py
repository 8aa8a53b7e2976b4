"""SF Express (顺丰): SMS and the mails sf-express.com sends."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from smartreturn.mail.decode import parse_email
from smartreturn.model import Direction, EventKind, ShipmentStatus, TrackingRef
from smartreturn.parsers.courier_cn import SHANGHAI
from smartreturn.parsers.registry import extract
from smartreturn.parsers.sf_express import SfExpressParser

from tests.parsers.cn_sms import run

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sf_express"


def test_out_for_delivery_sms_keeps_the_waybill_and_drops_the_couriers_phone() -> None:
    result = run("【顺丰速运】您的快件SF1402345678901正在派送途中，派送员：王师傅，电话：13812345678，如有疑问请致电95338。")
    assert result.parser.name == "sf_express"
    (event,) = result.events
    assert event.kind is EventKind.OUT_FOR_DELIVERY
    assert event.platform == "sf"
    assert event.tracking == (TrackingRef("SF1402345678901", "sf", Direction.OUTBOUND),)


def test_delivered_html_mail_from_sf_express_com() -> None:
    email = parse_email((FIXTURES / "mail_delivered_html.eml").read_bytes())
    assert SfExpressParser().identify(email)
    (event,) = extract(email).events
    assert event.kind is EventKind.DELIVERED
    assert event.shipment_status is ShipmentStatus.DELIVERED
    assert event.occurred_at == datetime(2026, 11, 24, 15, 32, 10, tzinfo=SHANGHAI)


def test_promotional_mail_and_otp_sms_from_sf_are_not_claimed() -> None:
    for case in ("promo_mail.eml", "otp_sms.eml"):
        email = parse_email((FIXTURES / case).read_bytes())
        assert not SfExpressParser().identify(email), case
        assert extract(email).events == [], case


def test_a_parcel_the_user_sends_back_is_a_return_shipment() -> None:
    email = parse_email((FIXTURES / "forwarded_return_collected.eml").read_bytes())
    (event,) = extract(email).events
    assert event.kind is EventKind.RETURN_SHIPPED
    assert event.tracking[0].direction is Direction.RETURN
    assert event.return_reason == "尺码偏小"


def test_several_sms_in_one_mail_give_one_event_each() -> None:
    result = extract(parse_email((FIXTURES / "several_sms_base64.eml").read_bytes()))
    assert result.parser.name == "sf_express"
    assert [(e.platform, e.kind.value) for e in result.events] == [
        ("sf", "out_for_delivery"), ("zto", "out_for_delivery"), ("cainiao", "pickup_ready"),
    ]
    assert result.events[2].pickup_code == "12-3-4021"
