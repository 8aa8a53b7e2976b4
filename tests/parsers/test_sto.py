"""STO (申通快递) SMS."""

from __future__ import annotations

from smartreturn.model import Direction, EventKind, ShipmentStatus

from tests.parsers.cn_sms import run


def test_refused_parcel_goes_back_to_the_sender() -> None:
    result = run("【申通快递】您的包裹773123456789012因收件人拒收，已安排退回寄件人。")
    assert result.parser.name == "sto"
    (event,) = result.events
    assert (event.kind, event.shipment_status) == (EventKind.DELIVERY_EXCEPTION, ShipmentStatus.RETURNING)
    assert event.tracking[0].direction is Direction.OUTBOUND  # our parcel, coming back: not a return we sent


def test_station_notice_signed_by_sto_itself() -> None:
    (event,) = run("【申通快递】您的快件773098765432101已到达新华路妈妈驿站，取件码 A6-2-3318，请及时取件。").events
    assert event.kind is EventKind.PICKUP_READY
    assert event.pickup_code == "A6-2-3318"
    assert [(t.number, t.carrier) for t in event.tracking] == [("773098765432101", "sto")]
