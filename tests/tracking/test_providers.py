"""Adapters against the local fake server: exact requests, documented answers, every error path."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timezone

import pytest

from smartreturn.errors import TrackingAuthError, TrackingError, TrackingRateLimited
from smartreturn.model import ShipmentStatus as S
from smartreturn.tracking.providers.aftership import AfterShip
from smartreturn.tracking.providers.base import NOT_REGISTERED, TrackQuery
from smartreturn.tracking.providers.kuaidi100 import Kuaidi100
from smartreturn.tracking.providers.seventeen_track import SeventeenTrack
from tests.tracking.fake_providers import (
    AFTERSHIP_KEY,
    KUAIDI100_CUSTOMER,
    KUAIDI100_KEY,
    SEVENTEEN_KEY,
    aftership_checkpoint,
    aftership_tracking,
    kuaidi100_answer,
    seventeen_event,
    seventeen_item,
)

UTC = timezone.utc
UPS = TrackQuery("1Z999AA10123456784", "ups", "100002")
CAINIAO = TrackQuery("LP00123456789012", "cainiao", "190271")


@pytest.fixture
def seventeen(fake_server):
    client = SeventeenTrack(SEVENTEEN_KEY, base_url=fake_server.url("17track"))
    yield client
    client.close()


# --- 17TRACK ------------------------------------------------------------------------------------------
def test_17track_register_sends_documented_request(fake_server, seventeen):
    result = seventeen.register([UPS, TrackQuery("XYZ123", "unknownish")])
    request = fake_server.state.requests[-1]
    assert request.method == "POST"
    assert request.path == "/track/v2.2/register"
    assert request.headers["17token"] == SEVENTEEN_KEY
    assert request.headers["content-type"] == "application/json"
    assert request.json() == [{"number": "1Z999AA10123456784", "carrier": 100002}, {"number": "XYZ123"}]
    assert set(result.registered) == {"1Z999AA10123456784", "XYZ123"}
    assert result.rejected == ()


def test_17track_already_registered_counts_as_registered(fake_server, seventeen):
    fake_server.state.registered_17.add(UPS.number)
    assert seventeen.register([UPS]).registered == (UPS.number,)


def test_17track_registration_quota_exhausted(fake_server, seventeen):
    fake_server.state.seventeen_quota = 1
    result = seventeen.register([UPS, CAINIAO])
    assert result.registered == (UPS.number,)
    assert result.quota_exhausted
    assert result.rejected[0][0] == CAINIAO.number and "-18019908" in result.rejected[0][1]


def test_17track_gettrackinfo_parses_events_and_status(fake_server, seventeen):
    fake_server.state.registered_17.add(CAINIAO.number)
    fake_server.state.seventeen[CAINIAO.number] = seventeen_item(CAINIAO.number, 190271, "Exception", "Exception_Returning", [
        seventeen_event("2026-11-20T09:30:00+01:00", "Returned to sender", "Exception", "Exception_Returning", "Berlin"),
        seventeen_event("2026-11-18T02:00:00+08:00", "Departed from facility", "InTransit", "InTransit_Departure", "Shenzhen"),
    ])
    (result,) = seventeen.fetch([CAINIAO])
    request = fake_server.state.requests[-1]
    assert request.path == "/track/v2.2/gettrackinfo"
    assert request.json() == [{"number": CAINIAO.number, "carrier": 190271}]
    assert result.found and result.status is S.RETURNING
    assert [e.status for e in result.events] == [S.IN_TRANSIT, S.RETURNING]  # oldest first
    assert result.events[0].occurred_at == datetime(2026, 11, 17, 18, 0, tzinfo=UTC)
    assert result.events[1].occurred_at == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    assert result.events[1].location == "Berlin"
    assert result.events[1].raw_code == "Exception/Exception_Returning"


def test_17track_unknown_and_unregistered_numbers(fake_server, seventeen):
    fake_server.state.registered_17.add(UPS.number)  # registered, but 17TRACK has no data yet
    not_registered, no_data = seventeen.fetch([CAINIAO, UPS])
    assert not not_registered.found and not_registered.error == NOT_REGISTERED
    assert not no_data.found and "-18019909" in no_data.error


def test_17track_stoptrack(fake_server, seventeen):
    fake_server.state.registered_17.add(UPS.number)
    seventeen.stop([UPS])
    assert fake_server.state.requests[-1].path == "/track/v2.2/stoptrack"
    assert UPS.number in fake_server.state.stopped_17
    seventeen.stop([UPS])  # stopping twice is not an error


def test_17track_bad_key(fake_server):
    client = SeventeenTrack("wrong-token", base_url=fake_server.url("17track"))
    with pytest.raises(TrackingAuthError):
        client.register([UPS])


def test_17track_bad_key_in_body_with_http_200(fake_server, seventeen):
    fake_server.state.fail_next(200, {"code": -18010002, "data": {"errors": [{"code": -18010002, "message": "Access token is invalid."}]}})
    with pytest.raises(TrackingAuthError):
        seventeen.fetch([UPS])


def test_17track_request_limit_in_body(fake_server, seventeen):
    fake_server.state.fail_next(200, {"code": -18010014, "data": {"errors": [{"code": -18010014, "message": "Request limit exceeded."}]}})
    with pytest.raises(TrackingRateLimited):
        seventeen.fetch([UPS])


def test_17track_429_carries_retry_after(fake_server, seventeen):
    fake_server.state.fail_next(429, {"code": 429}, headers={"Retry-After": "7"})
    with pytest.raises(TrackingRateLimited) as info:
        seventeen.fetch([UPS])
    assert info.value.retry_after == 7.0


@pytest.mark.parametrize(("status", "body"), [(500, "{}"), (503, "<html>maintenance</html>"), (200, "{not json"),
                                              (200, '{"code": 0}'), (200, '[1, 2]')])
def test_17track_server_errors_and_malformed_answers(fake_server, seventeen, status, body):
    fake_server.state.fail_next(status, body)
    with pytest.raises(TrackingError) as info:
        seventeen.fetch([UPS])
    assert not isinstance(info.value, (TrackingAuthError, TrackingRateLimited))


def test_17track_refuses_more_than_40_numbers(seventeen):
    with pytest.raises(ValueError):
        seventeen.fetch([TrackQuery(f"N{i}", "ups") for i in range(41)])


def test_17track_connection_refused_is_a_tracking_error():
    client = SeventeenTrack(SEVENTEEN_KEY, base_url="http://127.0.0.1:9/track/v2.2", timeout=2)
    with pytest.raises(TrackingError):
        client.fetch([UPS])


# --- AfterShip ----------------------------------------------------------------------------------------
@pytest.fixture
def aftership(fake_server):
    client = AfterShip(AFTERSHIP_KEY, base_url=fake_server.url("aftership"))
    yield client
    client.close()


def test_aftership_create_and_get(fake_server, aftership):
    query = TrackQuery("1Z999AA10123456784", "ups", "ups")
    assert aftership.register([query]).registered == (query.number,)
    create = fake_server.state.requests[-1]
    assert (create.method, create.path) == ("POST", "/v4/trackings")
    assert create.headers["as-api-key"] == AFTERSHIP_KEY
    assert create.json() == {"tracking": {"slug": "ups", "tracking_number": query.number}}
    assert aftership.register([query]).registered == (query.number,)  # 4003 exists = registered

    fake_server.state.aftership[("ups", query.number)] = aftership_tracking("ups", query.number, "OutForDelivery", "OutForDelivery_001", [
        aftership_checkpoint("2026-11-20T06:10:00-05:00", "Out for delivery", "OutForDelivery", "OutForDelivery_001", "Boston, MA"),
        aftership_checkpoint("2026-11-19T20:00:00-05:00", "Arrived at facility", "InTransit", "InTransit_001"),
    ])
    (result,) = aftership.fetch([query])
    get = fake_server.state.requests[-1]
    assert (get.method, get.path) == ("GET", f"/v4/trackings/ups/{query.number}")
    assert result.status is S.OUT_FOR_DELIVERY
    assert [e.status for e in result.events] == [S.IN_TRANSIT, S.OUT_FOR_DELIVERY]
    assert result.events[-1].occurred_at == datetime(2026, 11, 20, 11, 10, tzinfo=UTC)
    assert result.events[-1].location == "Boston, MA"


def test_aftership_returned_to_sender(fake_server, aftership):
    query = TrackQuery("9400111899223197428490", "usps", "usps")
    fake_server.state.registered_as.add(("usps", query.number))
    fake_server.state.aftership[("usps", query.number)] = aftership_tracking("usps", query.number, "Exception", "Exception_011", [
        aftership_checkpoint("2026-11-21T10:00:00+00:00", "Returned to sender", "Exception", "Exception_011")])
    (result,) = aftership.fetch([query])
    assert result.status is S.RETURNED_TO_SENDER


def test_aftership_unknown_tracking_is_not_registered(aftership):
    (result,) = aftership.fetch([TrackQuery("NOPE1", "ups", "ups")])
    assert not result.found and result.error == NOT_REGISTERED


def test_aftership_bad_key(fake_server):
    client = AfterShip("bad", base_url=fake_server.url("aftership"))
    with pytest.raises(TrackingAuthError):
        client.fetch([TrackQuery("X", "ups", "ups")])


def test_aftership_429_with_reset_header(fake_server, aftership):
    reset = int(datetime.now(UTC).timestamp()) + 30
    fake_server.state.fail_next(429, {"meta": {"code": 429, "message": "Too many requests", "type": "TooManyRequests"}},
                                headers={"X-RateLimit-Reset": str(reset)})
    with pytest.raises(TrackingRateLimited) as info:
        aftership.fetch([TrackQuery("X", "ups", "ups")])
    assert 20 < info.value.retry_after <= 31


@pytest.mark.parametrize(("status", "body"), [(502, "bad gateway"), (200, "<<<"), (200, '{"data": {}}')])
def test_aftership_errors(fake_server, aftership, status, body):
    fake_server.state.fail_next(status, body)
    with pytest.raises(TrackingError):
        aftership.fetch([TrackQuery("X", "ups", "ups")])


# --- Kuaidi100 ----------------------------------------------------------------------------------------
@pytest.fixture
def kuaidi100(fake_server):
    client = Kuaidi100(KUAIDI100_KEY, KUAIDI100_CUSTOMER, base_url=fake_server.url("kuaidi100"))
    yield client
    client.close()


SF = TrackQuery("SF1234567890123", "sf", "shunfeng", phone_last4="5678")


def test_kuaidi100_signed_form_request(fake_server, kuaidi100):
    fake_server.state.kuaidi100_phone[SF.number] = "5678"
    fake_server.state.kuaidi100[("shunfeng", SF.number)] = kuaidi100_answer("shunfeng", SF.number, "3", [
        {"time": "2026-11-20 18:02:11", "context": "已签收，签收人：本人", "status": "签收", "statusCode": "301", "location": "深圳市"},
        {"time": "2026-11-20 08:15:00", "context": "派件中", "status": "派件", "statusCode": "5"},
        {"time": "2026-11-19 21:00:00", "context": "已揽收", "status": "揽收", "statusCode": "103"},
    ])
    (result,) = kuaidi100.fetch([SF])
    request = fake_server.state.requests[-1]
    assert (request.method, request.path) == ("POST", "/poll/query.do")
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    form = request.form()
    assert form["customer"] == KUAIDI100_CUSTOMER
    assert form["param"] == '{"com":"shunfeng","num":"SF1234567890123","phone":"5678","resultv2":"1"}'
    assert form["sign"] == hashlib.md5((form["param"] + KUAIDI100_KEY + KUAIDI100_CUSTOMER).encode()).hexdigest().upper()
    assert result.found and result.status is S.DELIVERED
    assert [e.status for e in result.events] == [S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED]
    assert result.events[-1].occurred_at == datetime(2026, 11, 20, 10, 2, 11, tzinfo=UTC)  # CST -> UTC
    assert result.events[-1].location == "深圳市"


def test_kuaidi100_without_phone_for_sf_is_a_per_number_error(fake_server, kuaidi100):
    fake_server.state.kuaidi100_phone[SF.number] = "5678"
    (result,) = kuaidi100.fetch([TrackQuery(SF.number, "sf", "shunfeng")])
    assert not result.found and result.error.startswith("408")
    assert "phone" not in json.loads(fake_server.state.requests[-1].form()["param"])


def test_kuaidi100_event_status_from_text_when_no_status_code(fake_server, kuaidi100):
    query = TrackQuery("YT1234567890", "yto", "yuantong")
    fake_server.state.kuaidi100[("yuantong", query.number)] = kuaidi100_answer("yuantong", query.number, "6", [
        {"time": "2026-11-22 10:00:00", "context": "快件退回中", "status": "退回"},
        {"time": "2026-11-21 10:00:00", "context": "运输中", "status": "在途"},
    ])
    (result,) = kuaidi100.fetch([query])
    assert result.status is S.RETURNING
    assert [e.status for e in result.events] == [S.IN_TRANSIT, S.RETURNING]


def test_kuaidi100_unknown_number(kuaidi100):
    (result,) = kuaidi100.fetch([TrackQuery("ZT0000", "zto", "zhongtong")])
    assert not result.found and "500" in result.error


def test_kuaidi100_bad_key_is_auth_error(fake_server):
    client = Kuaidi100("wrong", KUAIDI100_CUSTOMER, base_url=fake_server.url("kuaidi100"))
    with pytest.raises(TrackingAuthError):
        client.fetch([SF])


def test_kuaidi100_quota(fake_server, kuaidi100):
    fake_server.state.fail_next(200, {"result": False, "returnCode": "601", "message": "POLL:KEY已过期"})
    with pytest.raises(TrackingRateLimited):
        kuaidi100.fetch([SF])


def test_kuaidi100_429(fake_server, kuaidi100):
    fake_server.state.fail_next(429, "", headers={"Retry-After": "2"})
    with pytest.raises(TrackingRateLimited) as info:
        kuaidi100.fetch([SF])
    assert info.value.retry_after == 2.0


@pytest.mark.parametrize(("status", "body"), [(500, ""), (200, "oops"),
                                              (200, {"result": False, "returnCode": "502", "message": "服务器繁忙"})])
def test_kuaidi100_server_errors(fake_server, kuaidi100, status, body):
    fake_server.state.fail_next(status, body)
    with pytest.raises(TrackingError):
        kuaidi100.fetch([SF])


# --- secrets ------------------------------------------------------------------------------------------
def test_api_keys_never_reach_the_log(fake_server, caplog):
    caplog.set_level(logging.DEBUG)
    clients = [SeventeenTrack(SEVENTEEN_KEY, base_url=fake_server.url("17track")),
               AfterShip(AFTERSHIP_KEY, base_url=fake_server.url("aftership")),
               Kuaidi100(KUAIDI100_KEY, KUAIDI100_CUSTOMER, base_url=fake_server.url("kuaidi100"))]
    query = TrackQuery("1Z999AA10123456784", "ups", "ups")
    for client in clients:
        client.register([query])
        client.fetch([query])
        fake_server.state.fail_next(500, "")
        with pytest.raises(TrackingError) as info:
            client.fetch([query])
        assert all(key not in str(info.value) for key in (SEVENTEEN_KEY, AFTERSHIP_KEY, KUAIDI100_KEY))
    wrong = SeventeenTrack("wrong-secret-xyz", base_url=fake_server.url("17track"))
    with pytest.raises(TrackingAuthError) as info:
        wrong.fetch([query])
    assert "wrong-secret-xyz" not in str(info.value)
    assert caplog.records, "httpx/httpcore debug logging should have produced records"
    for secret in (SEVENTEEN_KEY, AFTERSHIP_KEY, KUAIDI100_KEY, "wrong-secret-xyz"):
        assert secret not in caplog.text
