"""Delivery prediction: empirical quantiles from the user's history, defaults with few samples."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from smartreturn.store.tables import Shipment
from smartreturn.tracking.prediction import (
    MIN_SAMPLES,
    delivery_history,
    estimate_days,
    predict,
    predict_shipment,
    quantile,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def test_quantile_interpolates_like_numpy():
    values = [1.0, 2.0, 3.0, 4.0, 10.0]
    assert quantile(values, 0.5) == 3.0
    assert quantile(values, 0.9) == pytest.approx(7.6)   # numpy.quantile([...], 0.9)
    assert quantile(values, 0.1) == pytest.approx(1.4)
    assert quantile([5.0], 0.9) == 5.0


def test_route_history_wins_over_carrier_history():
    route = [2.0, 2.5, 3.0, 3.0, 3.5]
    carrier = [5.0] * 20
    estimate = estimate_days(route, carrier, "dhl")
    assert estimate.basis == "route" and estimate.samples == 5 and estimate.days == 3.0
    assert estimate.low == pytest.approx(2.2) and estimate.high == pytest.approx(3.3)


def test_few_samples_fall_back_to_the_carrier_then_the_default():
    assert estimate_days([2.0] * (MIN_SAMPLES - 1), [4.0] * 6, "dhl").basis == "carrier"
    default = estimate_days([], [4.0] * (MIN_SAMPLES - 1), "cainiao")
    assert (default.basis, default.days, default.low, default.high, default.samples) == ("default", 12, 7, 25, 0)
    assert estimate_days([], [], "some_new_carrier").days == 5.0


def test_elapsed_time_conditions_the_history():
    history = [2.0, 2.0, 2.0, 2.0, 2.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    assert estimate_days([], history, "ups").days == 4.0
    slow = estimate_days([], history, "ups", elapsed=5.0)
    assert slow.days == 8.0 and slow.samples == 5


def test_predicted_dates_and_lateness():
    start = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
    estimate = estimate_days([], [3.0, 4.0, 4.0, 5.0, 6.0], "dhl")
    early = predict(start, start + timedelta(hours=1), estimate)
    assert early.expected_on == date(2026, 11, 24)
    assert early.earliest == date(2026, 11, 23) and early.latest == date(2026, 11, 25)
    assert not early.late
    overdue = predict(start, datetime(2026, 11, 28, tzinfo=timezone.utc), estimate)
    assert overdue.late and overdue.expected_on == date(2026, 11, 28)  # never in the past


def test_dates_are_in_the_users_time_zone():
    start = datetime(2026, 11, 20, 20, 0, tzinfo=timezone.utc)
    estimate = estimate_days([], [], "sf")  # 2 days
    assert predict(start, start, estimate).expected_on == date(2026, 11, 22)
    assert predict(start, start, estimate, ZoneInfo("Asia/Shanghai")).expected_on == date(2026, 11, 23)


def test_history_query_and_shipment_prediction(sqlite_db):
    with sqlite_db.session() as session:
        for i, days in enumerate([2, 3, 3, 4, 5, 9]):
            shipped = NOW - timedelta(days=30 + i)
            session.add(Shipment(carrier="dhl", tracking_number=f"H{i}", status="delivered", shipped_at=shipped,
                                 delivered_at=shipped + timedelta(days=days),
                                 origin="CN" if i < 5 else "US", destination="DE"))
        session.add(Shipment(carrier="dhl", tracking_number="OPEN", status="delivered", shipped_at=None,
                             delivered_at=NOW))  # unusable: no start
        parcel = Shipment(carrier="dhl", tracking_number="NOW1", status="in_transit",
                          shipped_at=NOW - timedelta(days=1), origin="CN", destination="DE")
        session.add(parcel)
        session.flush()
        assert sorted(delivery_history(session, "dhl")) == [2, 3, 3, 4, 5, 9]
        assert sorted(delivery_history(session, "dhl", "CN", "DE")) == [2, 3, 3, 4, 5]
        prediction = predict_shipment(session, parcel, NOW)
        assert prediction.estimate.basis == "route" and prediction.estimate.days == 3.0
        assert prediction.expected_on == date(2026, 11, 27)  # shipped Nov 24 + 3 days
        assert "5 of your route deliveries" in prediction.describe()
        parcel.status = "delivered"
        assert predict_shipment(session, parcel, NOW) is None
