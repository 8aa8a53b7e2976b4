"""The tracking job end to end: SQLite file + the local fake provider server."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest

from smartreturn.config import Settings
from smartreturn.model import ShipmentStatus as S
from smartreturn.store.tables import Shipment, TrackingEvent
from smartreturn.tracking.budget import QuotaBudget, QuotaLimits
from smartreturn.tracking.poller import (
    ProviderBudget,
    build_budgets,
    build_providers,
    is_stuck,
    next_poll_delay,
    poll_due_shipments,
    run_tracking_job,
)
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

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def make_settings(server, providers=("17track",), **tracking) -> Settings:
    conf = {
        "providers": list(providers),
        "seventeen_track": {"api_key": SEVENTEEN_KEY, "base_url": server.url("17track")},
        "aftership": {"api_key": AFTERSHIP_KEY, "base_url": server.url("aftership")},
        "kuaidi100": {"api_key": KUAIDI100_KEY, "customer": KUAIDI100_CUSTOMER, "base_url": server.url("kuaidi100")},
        **tracking,
    }
    return Settings.model_validate({"tracking": conf})


def add_shipments(db, *specs) -> list[int]:
    ids = []
    with db.session() as session:
        for spec in specs:
            spec = dict(spec)
            spec.setdefault("created_at", NOW - timedelta(days=1))
            shipment = Shipment(**spec)
            session.add(shipment)
            session.flush()
            ids.append(shipment.id)
    return ids


def load(db, shipment_id) -> Shipment:
    with db.session() as session:
        return session.get(Shipment, shipment_id)


@pytest.fixture
def run(fake_server, sqlite_db):
    opened = []

    def _run(settings, now=NOW, **kw):
        providers = build_providers(settings)
        opened.extend(providers.values())
        return poll_due_shipments(sqlite_db, settings, now, providers, **kw)

    yield _run
    for provider in opened:
        provider.close()


def test_17track_register_once_poll_and_stop_after_delivery(fake_server, sqlite_db, run):
    state = fake_server.state
    ups, cainiao, sf = add_shipments(
        sqlite_db,
        {"carrier": "ups", "tracking_number": "1Z999AA10123456784"},
        {"carrier": "cainiao", "tracking_number": "LP00123456789012"},
        {"carrier": "sf", "tracking_number": "SF1234567890123"},
    )
    state.seventeen["1Z999AA10123456784"] = seventeen_item("1Z999AA10123456784", 100002, "OutForDelivery", "OutForDelivery_Other", [
        seventeen_event("2026-11-25T07:10:00-05:00", "Out For Delivery Today", "OutForDelivery", "OutForDelivery_Other", "Boston, MA"),
        seventeen_event("2026-11-24T22:00:00-05:00", "Arrived at Facility", "InTransit", "InTransit_Arrival"),
    ])
    state.seventeen["LP00123456789012"] = seventeen_item("LP00123456789012", 190271, "Delivered", "Delivered_Other", [
        seventeen_event("2026-11-24T15:00:00+01:00", "Delivered", "Delivered", "Delivered_Other", "Berlin"),
        seventeen_event("2026-11-20T02:00:00+08:00", "Departed", "InTransit", "InTransit_Departure", "Shenzhen"),
    ])
    settings = make_settings(fake_server)

    report = run(settings)

    paths = [r.path.rsplit("/", 1)[-1] for r in state.requests]
    assert paths == ["register", "gettrackinfo", "stoptrack"]
    assert state.requests[0].json() == [{"number": "1Z999AA10123456784", "carrier": 100002},
                                        {"number": "LP00123456789012", "carrier": 190271},
                                        {"number": "SF1234567890123", "carrier": 100012}]
    assert state.requests[2].json() == [{"number": "LP00123456789012", "carrier": 190271}]
    assert (report.due, report.registered, report.polled, report.delivered, report.stopped) == (3, 3, 3, 1, 1)
    assert report.not_found == 1 and report.problems == ()
    assert report.requests == (("17track", 3),)

    out = load(sqlite_db, ups)
    assert out.status == "out_for_delivery" and out.provider == "17track" and out.provider_registered
    assert out.next_poll_at == NOW + timedelta(minutes=30)           # often while out for delivery
    delivered = load(sqlite_db, cainiao)
    assert delivered.status == "delivered"
    assert delivered.delivered_at == datetime(2026, 11, 24, 14, 0, tzinfo=timezone.utc)
    assert delivered.next_poll_at is None and not delivered.provider_registered  # stopped
    unknown = load(sqlite_db, sf)
    assert unknown.status == "pending" and unknown.provider_registered
    assert unknown.next_poll_at == NOW + timedelta(hours=3)

    # Nothing is due a minute later: no request at all.
    assert run(settings, now=NOW + timedelta(minutes=1)).requests == ()
    # 40 minutes later only the parcel out for delivery is due; it is not registered again.
    state.requests.clear()
    report = run(settings, now=NOW + timedelta(minutes=40))
    assert [r.path.rsplit("/", 1)[-1] for r in state.requests] == ["gettrackinfo"]
    assert state.requests[0].json() == [{"number": "1Z999AA10123456784", "carrier": 100002}]
    with sqlite_db.session() as session:
        assert session.query(TrackingEvent).count() == 4  # nothing duplicated by the second poll


def test_adaptive_interval():
    settings = Settings()
    created = NOW - timedelta(days=10)
    assert next_poll_delay(S.OUT_FOR_DELIVERY, NOW - timedelta(hours=1), created, NOW, settings) == timedelta(minutes=30)
    assert next_poll_delay(S.IN_TRANSIT, NOW - timedelta(days=1), created, NOW, settings) == timedelta(hours=3)
    assert next_poll_delay(S.IN_TRANSIT, NOW - timedelta(days=4), created, NOW, settings) == timedelta(hours=12)
    assert next_poll_delay(S.PENDING, None, NOW - timedelta(hours=2), NOW, settings) == timedelta(hours=3)
    assert next_poll_delay(S.DELIVERED, NOW, created, NOW, settings) is None
    assert next_poll_delay(S.RETURNED_TO_SENDER, NOW, created, NOW, settings) is None


def test_stuck_per_carrier_and_configurable():
    def shipment(carrier, days):
        return Shipment(carrier=carrier, tracking_number="X", status="in_transit",
                        last_event_at=NOW - timedelta(days=days), created_at=NOW - timedelta(days=30))

    default = Settings()
    assert is_stuck(shipment("ups", 6), NOW, default)
    assert not is_stuck(shipment("ups", 5), NOW, default)
    assert not is_stuck(shipment("cainiao", 6), NOW, default)  # slow cross-border default
    assert is_stuck(shipment("cainiao", 11), NOW, default)
    custom = Settings.model_validate({"tracking": {"stuck_days": {"default": 5, "ups": 8, "cainiao": 3}}})
    assert not is_stuck(shipment("ups", 6), NOW, custom)
    assert is_stuck(shipment("cainiao", 4), NOW, custom)
    delivered = shipment("ups", 30)
    delivered.status = "delivered"
    assert not is_stuck(delivered, NOW, default)


def test_job_marks_stuck_parcels_even_without_providers(sqlite_db):
    (old, fresh) = add_shipments(
        sqlite_db,
        {"carrier": "ups", "tracking_number": "1ZOLD", "status": "in_transit", "last_event_at": NOW - timedelta(days=7)},
        {"carrier": "ups", "tracking_number": "1ZNEW", "status": "in_transit", "last_event_at": NOW - timedelta(days=1)},
    )
    report = poll_due_shipments(sqlite_db, Settings(), NOW, {})
    assert report.newly_stuck == 1 and report.no_provider == 2
    assert load(sqlite_db, old).stuck and not load(sqlite_db, fresh).stuck
    assert poll_due_shipments(sqlite_db, Settings(), NOW, {}).newly_stuck == 0


def test_bad_key_is_reported_and_never_crashes(fake_server, sqlite_db, run, caplog):
    caplog.set_level(logging.DEBUG)
    (sid,) = add_shipments(sqlite_db, {"carrier": "ups", "tracking_number": "1Z999AA10123456784"})
    settings = Settings.model_validate({"tracking": {"providers": ["17track"], "seventeen_track": {
        "api_key": "not-the-right-key-123", "base_url": fake_server.url("17track")}}})
    report = run(settings)
    assert report.deferred == 1 and report.polled == 0
    assert any("API key was rejected" in p for p in report.problems)
    assert load(sqlite_db, sid).next_poll_at == NOW + timedelta(minutes=30)
    assert "not-the-right-key-123" not in caplog.text
    assert all("not-the-right-key-123" not in p for p in report.problems)


def test_rate_limit_stops_one_provider_and_honours_retry_after(fake_server, sqlite_db, run):
    state = fake_server.state
    ups, sf = add_shipments(
        sqlite_db,
        {"carrier": "ups", "tracking_number": "1Z999AA10123456784", "provider": "aftership", "provider_registered": True},
        {"carrier": "sf", "tracking_number": "SF1234567890123", "phone_last4": "5678"},
    )
    state.registered_as.add(("ups", "1Z999AA10123456784"))
    state.fail_next(429, {"meta": {"code": 429, "message": "Too many requests", "type": "TooManyRequests"}},
                    headers={"Retry-After": "120"})
    state.kuaidi100[("shunfeng", "SF1234567890123")] = kuaidi100_answer("shunfeng", "SF1234567890123", "0", [
        {"time": "2026-11-25 09:00:00", "context": "运输中", "status": "在途", "statusCode": "1002"}])
    state.kuaidi100_phone["SF1234567890123"] = "5678"
    report = run(make_settings(fake_server, providers=("kuaidi100", "aftership")))
    assert load(sqlite_db, ups).next_poll_at == NOW + timedelta(seconds=120)
    shipped = load(sqlite_db, sf)
    assert shipped.status == "in_transit" and shipped.provider == "kuaidi100"
    assert report.deferred == 1 and report.polled == 1
    assert any("too many requests" in p for p in report.problems)


def test_server_error_defers_only_that_request(fake_server, sqlite_db, run):
    state = fake_server.state
    first, second = add_shipments(
        sqlite_db,
        {"carrier": "ups", "tracking_number": "1ZAAA", "provider": "aftership", "provider_registered": True},
        {"carrier": "ups", "tracking_number": "1ZBBB", "provider": "aftership", "provider_registered": True},
    )
    state.registered_as.update({("ups", "1ZAAA"), ("ups", "1ZBBB")})
    state.aftership[("ups", "1ZBBB")] = aftership_tracking("ups", "1ZBBB", "InTransit", "InTransit_001", [
        aftership_checkpoint("2026-11-25T08:00:00+00:00", "Departed", "InTransit", "InTransit_001")])
    state.fail_next(500, "Internal Server Error")
    report = run(make_settings(fake_server, providers=("aftership",)))
    assert load(sqlite_db, first).next_poll_at == NOW + timedelta(minutes=30)
    assert load(sqlite_db, second).status == "in_transit"
    assert (report.deferred, report.polled) == (1, 1)
    assert any("HTTP 500" in p for p in report.problems)


def test_not_registered_answer_registers_again_next_run(fake_server, sqlite_db, run):
    (sid,) = add_shipments(sqlite_db, {"carrier": "ups", "tracking_number": "1ZGONE", "provider": "aftership",
                                       "provider_registered": True})
    run(make_settings(fake_server, providers=("aftership",)))
    gone = load(sqlite_db, sid)
    assert not gone.provider_registered and gone.next_poll_at == NOW
    fake_server.state.requests.clear()
    run(make_settings(fake_server, providers=("aftership",)))
    assert [(r.method, r.path) for r in fake_server.state.requests] == [
        ("POST", "/v4/trackings"), ("GET", "/v4/trackings/ups/1ZGONE")]


def test_monthly_registration_quota_registers_what_fits(fake_server, sqlite_db, run):
    ids = add_shipments(sqlite_db, *({"carrier": "ups", "tracking_number": f"1ZQ{i}"} for i in range(3)))
    settings = make_settings(fake_server, seventeen_track={
        "api_key": SEVENTEEN_KEY, "base_url": fake_server.url("17track"), "per_month": 2})
    report = run(settings)
    assert fake_server.state.requests[0].json() == [{"number": "1ZQ0", "carrier": 100002},
                                                    {"number": "1ZQ1", "carrier": 100002}]
    assert report.registered == 2 and report.deferred == 1
    assert any("monthly quota" in p for p in report.problems)
    waiting = load(sqlite_db, ids[2])
    assert not waiting.provider_registered
    next_month = datetime(2026, 12, 1, tzinfo=timezone.utc)
    assert next_month - timedelta(seconds=5) <= waiting.next_poll_at <= next_month
    # A restart does not forget what was spent this month.
    fake_server.state.requests.clear()
    report = run(settings, now=datetime(2026, 12, 1, tzinfo=timezone.utc) - timedelta(minutes=1), force=True)
    assert all(r.path.endswith("gettrackinfo") for r in fake_server.state.requests)


def test_requests_are_paced_by_the_budget(fake_server, sqlite_db, run):
    add_shipments(sqlite_db, *({"carrier": "ups", "tracking_number": f"1ZP{i:03d}"} for i in range(100)))
    clock_now = [NOW]
    slept: list[float] = []
    sent_at: list[datetime] = []

    def clock():
        return clock_now[0]

    def sleep(seconds):
        slept.append(seconds)
        clock_now[0] += timedelta(seconds=seconds)

    budgets = build_budgets(make_settings(fake_server), sqlite_db, clock=clock)
    real = budgets["17track"].requests

    class Recording(QuotaBudget):
        def try_acquire(self, cost=1):
            ok = real.try_acquire(cost)
            if ok:
                sent_at.append(clock())
            return ok

        def wait_time(self, cost=1):
            return real.wait_time(cost)

    budgets["17track"] = ProviderBudget(Recording("17track", QuotaLimits()), budgets["17track"].quota)
    report = run(make_settings(fake_server), budgets=budgets, sleep=sleep)
    assert report.requests == (("17track", 6),)  # 3 x register (40) + 3 x gettrackinfo
    assert sum(slept) == pytest.approx(1.0, abs=0.05)
    for i in range(len(sent_at) - 3):
        assert sent_at[i + 3] - sent_at[i] >= timedelta(seconds=1)  # never 4 in one second


def test_progress_callback_reaches_the_total(fake_server, sqlite_db, run):
    add_shipments(sqlite_db, *({"carrier": "ups", "tracking_number": f"1ZG{i}"} for i in range(5)))
    seen = []
    run(make_settings(fake_server), progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (5, 5)


def test_run_tracking_job_skips_providers_without_key(sqlite_db, caplog):
    add_shipments(sqlite_db, {"carrier": "ups", "tracking_number": "1ZJOB"})
    settings = Settings.model_validate({"tracking": {"providers": ["17track"]}})
    assert run_tracking_job(sqlite_db, settings, NOW) is None
    assert "17track disabled" in caplog.text
