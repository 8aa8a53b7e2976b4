"""EMS and China Post (中国邮政) SMS and mails."""

from __future__ import annotations

from pathlib import Path

from smartreturn.mail.decode import parse_email
from smartreturn.model import EventKind, ShipmentStatus
from smartreturn.parsers.registry import extract

from tests.parsers.cn_sms import run

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ems"


def test_ems_sms_delivered() -> None:
    result = run("【EMS】您的邮件1123456789012已妥投，签收人：他人代收（门卫），投递员：吴师傅 18912345678。")
    assert result.parser.name == "ems"
    (event,) = result.events
    assert (event.platform, event.kind) == ("ems", EventKind.DELIVERED)
    assert [(t.number, t.carrier) for t in event.tracking] == [("1123456789012", "ems")]


def test_china_post_sms_is_china_post() -> None:
    (event,) = run("【中国邮政】您的包裹9876543210123已到达西湖投递部，投递员张三(18912345678)正在为您投递。").events
    assert (event.platform, event.kind) == ("china_post", EventKind.OUT_FOR_DELIVERY)
    assert [(t.number, t.carrier) for t in event.tracking] == [("9876543210123", "china_post")]


def test_s10_number_with_a_bad_check_digit_is_not_tracked() -> None:
    (event,) = run("【EMS】您的邮件EA123456789CN已妥投。").events  # check digit should be 5
    assert event.tracking == ()


def test_tracking_mail_from_ems_com_cn() -> None:
    (event,) = extract(parse_email((FIXTURES / "mail_tracking_html.eml").read_bytes())).events
    assert event.shipment_status is ShipmentStatus.IN_TRANSIT
    assert [t.number for t in event.tracking] == ["EA123456785CN"]
