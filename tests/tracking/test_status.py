"""Every documented provider code maps to the status a user would expect."""

from __future__ import annotations

import pytest

from smartreturn.model import ShipmentStatus as S
from smartreturn.tracking import status

SEVENTEEN = [
    # (main, sub, expected)
    ("NotFound", "NotFound_Other", S.PENDING),
    ("NotFound", "NotFound_InvalidCode", S.PENDING),
    ("InfoReceived", "InfoReceived", S.INFO_RECEIVED),
    ("InTransit", "InTransit_PickedUp", S.IN_TRANSIT),
    ("InTransit", "InTransit_Other", S.IN_TRANSIT),
    ("InTransit", "InTransit_Departure", S.IN_TRANSIT),
    ("InTransit", "InTransit_Arrival", S.IN_TRANSIT),
    ("InTransit", "InTransit_CustomsProcessing", S.IN_TRANSIT),
    ("InTransit", "InTransit_CustomsReleased", S.IN_TRANSIT),
    ("InTransit", "InTransit_CustomsRequiringInformation", S.EXCEPTION),
    ("Expired", "Expired_Other", S.EXPIRED),
    ("AvailableForPickup", "AvailableForPickup_Other", S.PICKUP_READY),
    ("OutForDelivery", "OutForDelivery_Other", S.OUT_FOR_DELIVERY),
    ("DeliveryFailure", "DeliveryFailure_Other", S.FAILED_ATTEMPT),
    ("DeliveryFailure", "DeliveryFailure_NoBody", S.FAILED_ATTEMPT),
    ("DeliveryFailure", "DeliveryFailure_Security", S.FAILED_ATTEMPT),
    ("DeliveryFailure", "DeliveryFailure_Rejected", S.FAILED_ATTEMPT),
    ("DeliveryFailure", "DeliveryFailure_InvalidAddress", S.FAILED_ATTEMPT),
    ("Delivered", "Delivered_Other", S.DELIVERED),
    ("Exception", "Exception_Other", S.EXCEPTION),
    ("Exception", "Exception_Returning", S.RETURNING),
    ("Exception", "Exception_Returned", S.RETURNED_TO_SENDER),
    ("Exception", "Exception_NoBody", S.EXCEPTION),
    ("Exception", "Exception_Security", S.EXCEPTION),
    ("Exception", "Exception_Damage", S.EXCEPTION),
    ("Exception", "Exception_Rejected", S.EXCEPTION),
    ("Exception", "Exception_Delayed", S.EXCEPTION),
    ("Exception", "Exception_Lost", S.EXCEPTION),
    ("Exception", "Exception_Destroyed", S.EXCEPTION),
    ("Exception", "Exception_Cancel", S.EXCEPTION),
]

SEVENTEEN_MAIN = [
    ("NotFound", S.PENDING), ("InfoReceived", S.INFO_RECEIVED), ("InTransit", S.IN_TRANSIT),
    ("Expired", S.EXPIRED), ("AvailableForPickup", S.PICKUP_READY), ("OutForDelivery", S.OUT_FOR_DELIVERY),
    ("DeliveryFailure", S.FAILED_ATTEMPT), ("Delivered", S.DELIVERED), ("Exception", S.EXCEPTION),
]

AFTERSHIP = [
    ("Pending", None, S.PENDING),
    ("InfoReceived", "InfoReceived_001", S.INFO_RECEIVED),
    ("InTransit", "InTransit_002", S.IN_TRANSIT),
    ("OutForDelivery", "OutForDelivery_001", S.OUT_FOR_DELIVERY),
    ("AttemptFail", "AttemptFail_001", S.FAILED_ATTEMPT),
    ("Delivered", "Delivered_001", S.DELIVERED),
    ("AvailableForPickup", "AvailableForPickup_001", S.PICKUP_READY),
    ("Exception", "Exception_001", S.EXCEPTION),
    ("Exception", "Exception_010", S.RETURNING),
    ("Exception", "Exception_011", S.RETURNED_TO_SENDER),
    ("Expired", "Expired_001", S.EXPIRED),
]

KUAIDI100 = [
    ("0", S.IN_TRANSIT), ("1", S.IN_TRANSIT), ("2", S.EXCEPTION), ("3", S.DELIVERED),
    ("4", S.RETURNED_TO_SENDER), ("5", S.OUT_FOR_DELIVERY), ("6", S.RETURNING), ("7", S.IN_TRANSIT),
    ("8", S.IN_TRANSIT), ("10", S.IN_TRANSIT), ("11", S.IN_TRANSIT), ("12", S.IN_TRANSIT),
    ("13", S.EXCEPTION), ("14", S.FAILED_ATTEMPT),
    # resultv2 sub-states
    ("101", S.INFO_RECEIVED), ("102", S.INFO_RECEIVED), ("103", S.IN_TRANSIT), ("1001", S.IN_TRANSIT),
    ("501", S.PICKUP_READY), ("301", S.DELIVERED), ("304", S.DELIVERED), ("401", S.RETURNED_TO_SENDER),
    ("203", S.FAILED_ATTEMPT), ("205", S.PICKUP_READY), ("209", S.EXCEPTION),
]


@pytest.mark.parametrize(("main", "sub", "expected"), SEVENTEEN)
def test_17track_sub_status(main, sub, expected):
    assert status.from_17track(main, sub) is expected


@pytest.mark.parametrize(("main", "expected"), SEVENTEEN_MAIN)
def test_17track_main_status_alone(main, expected):
    assert status.from_17track(main) is expected


def test_every_17track_table_entry_is_tested():
    assert {sub for _, sub, _ in SEVENTEEN} == set(status.SEVENTEEN_TRACK_SUB)
    assert {m for m, _ in SEVENTEEN_MAIN} == set(status.SEVENTEEN_TRACK_MAIN)


@pytest.mark.parametrize(("tag", "subtag", "expected"), AFTERSHIP)
def test_aftership(tag, subtag, expected):
    assert status.from_aftership(tag, subtag) is expected


def test_every_aftership_tag_is_tested():
    assert {tag for tag, _, _ in AFTERSHIP} == set(status.AFTERSHIP_TAG)


@pytest.mark.parametrize(("code", "expected"), KUAIDI100)
def test_kuaidi100(code, expected):
    assert status.from_kuaidi100(code) is expected
    assert status.from_kuaidi100(int(code)) is expected


def test_every_kuaidi100_state_0_to_14_is_mapped():
    assert set(status.KUAIDI100_STATE) == {str(n) for n in range(15)} - {"9"}
    assert {c for c, _ in KUAIDI100} >= set(status.KUAIDI100_STATE)


def test_return_states_kuaidi100():
    assert status.from_kuaidi100("6") is S.RETURNING            # 退回: on its way back
    assert status.from_kuaidi100("4") is S.RETURNED_TO_SENDER    # 退签: back with the sender


@pytest.mark.parametrize("call", [
    lambda: status.from_17track("Teleported", "Teleported_Other"),
    lambda: status.from_aftership("Teleported", None),
    lambda: status.from_kuaidi100("99"),
])
def test_unknown_codes_are_none_not_a_guess(call, caplog):
    assert call() is None
    assert "unknown" in caplog.text


def test_missing_codes_are_none():
    assert status.from_17track(None, None) is None
    assert status.from_aftership(None) is None
    assert status.from_kuaidi100("") is None
