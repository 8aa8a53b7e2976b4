"""Stats against figures computed by hand on a small fixture database; CSV round trip; PNG; HTML."""

from __future__ import annotations

import json
import struct
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from smartreturn.cli import app
from smartreturn.config import StatsSettings
from smartreturn.stats.charts import CHART_DPI, CHART_SIZE_INCHES
from smartreturn.stats.export import read_csv, write_csv
from smartreturn.stats.html import render_html
from smartreturn.stats.report import compute_stats
from smartreturn.store.tables import Merchant, Order, ReturnCase


def t(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=timezone.utc)


@pytest.fixture
def shop_db(sqlite_db):
    """Amazon: 4 orders (EUR), 3 returns; JD: 2 orders (CNY), 1 return."""
    with sqlite_db.session() as s:
        amazon = Merchant(platform="amazon", name="Amazon.de")
        jd = Merchant(platform="jd", name="京东自营")
        s.add_all([amazon, jd])
        s.flush()
        orders = [Order(platform="amazon", order_number=f"A{n}", merchant_id=amazon.id, order_date=t(9, 1 + n),
                        total=Decimal(total), currency="EUR") for n, total in enumerate(["100", "50", "30", "80"])]
        orders += [Order(platform="jd", order_number=f"J{n}", merchant_id=jd.id, order_date=t(10, 20 + n),
                         total=Decimal(total), currency="CNY") for n, total in enumerate(["200", "99"])]
        s.add_all(orders)
        s.flush()
        s.add_all([
            ReturnCase(order_id=orders[0].id, reason_category="size_fit", currency="EUR", expected_refund=Decimal("100"),
                       refunded_amount=Decimal("100"), return_shipping_cost=Decimal("5"), requested_at=t(9, 28),
                       received_at=t(10, 1), refunded_at=t(10, 5), closed_at=t(10, 5), status="refunded"),
            ReturnCase(order_id=orders[1].id, reason_category="defective", currency="EUR", expected_refund=Decimal("50"),
                       refunded_amount=Decimal("50"), requested_at=t(10, 5), received_at=t(10, 10),
                       refunded_at=t(10, 20), closed_at=t(10, 20), status="refunded"),
            ReturnCase(order_id=orders[2].id, reason_category="size_fit", currency="EUR", expected_refund=Decimal("30"),
                       requested_at=t(11, 2), status="shipped"),
            ReturnCase(order_id=orders[4].id, reason_category="wrong_item", currency="CNY", expected_refund=Decimal("200"),
                       refunded_amount=Decimal("180"), restocking_fee=Decimal("20"), requested_at=t(10, 25),
                       received_at=t(11, 1), refunded_at=t(11, 3), closed_at=t(11, 3), status="refunded"),
        ])
    return sqlite_db


def test_stats_match_hand_computed_figures(shop_db):
    with shop_db.session() as s:
        stats = compute_stats(s)
    reasons = {r["reason"]: r for r in stats.reasons}
    assert reasons["size_fit"]["returns"] == 2 and reasons["size_fit"]["refunded"] == "100.00 EUR"
    assert reasons["wrong_item"]["refunded"] == "180.00 CNY"
    merchants = {m["merchant"]: m for m in stats.merchants}
    assert merchants["Amazon.de"]["return_rate"] == 0.75 and merchants["京东自营"]["return_rate"] == 0.5
    assert merchants["Amazon.de"]["refund_days_median"] == 7.0   # 4 and 10 days
    assert merchants["Amazon.de"]["refund_days_p90"] == 9.4
    assert merchants["京东自营"]["refund_days_median"] == 2.0
    assert {p["platform"]: (p["orders"], p["returns"]) for p in stats.platforms} == {"amazon": (4, 3), "jd": (2, 1)}
    assert [(m["month"], m["returns"], m["refunds"]) for m in stats.months] == [
        ("2026-09", 1, 0), ("2026-10", 2, 2), ("2026-11", 1, 1)]
    money = {m["currency"]: m for m in stats.money}
    eur, cny = money["EUR"], money["CNY"]
    assert (eur["paid"], eur["refund_expected"], eur["refunded"], eur["pending"]) == (
        Decimal("180.00"), Decimal("180.00"), Decimal("150.00"), Decimal("30.00"))
    assert eur["cost_of_returns"] == Decimal("5.00")
    assert (cny["shortfall"], cny["restocking_fees"], cny["cost_of_returns"]) == (
        Decimal("20.00"), Decimal("20.00"), Decimal("20.00"))


def test_currencies_are_only_added_up_with_a_configured_rate(shop_db):
    with shop_db.session() as s:
        plain = compute_stats(s, settings=StatsSettings(base_currency="EUR"))
        converted = compute_stats(s, settings=StatsSettings(base_currency="EUR", exchange_rates={"CNY": 0.125}))
    assert [m["currency"] for m in plain.money] == ["CNY", "EUR"]  # no rate for CNY: no invented total
    total = converted.money[-1]
    assert total["currency"] == "EUR (converted)" and total["refunded"] == Decimal("172.50")  # 150 + 180/8


def test_since_filters_returns(shop_db):
    with shop_db.session() as s:
        stats = compute_stats(s, since=t(10, 20))
    assert sum(r["returns"] for r in stats.reasons) == 2


def test_csv_round_trips(shop_db, tmp_path):
    with shop_db.session() as s:
        stats = compute_stats(s)
    write_csv(stats, tmp_path)
    for name, rows in stats.tables().items():
        back = read_csv(tmp_path / f"{name}.csv")
        assert back == [{k: "" if v is None else str(v) for k, v in row.items()} for row in rows]


def test_chart_is_a_png_of_the_expected_size(shop_db, tmp_path):
    env = {"SMARTRETURN_DATABASE__URL": str(shop_db.engine.url), "SMARTRETURN_CONFIG": ""}
    target = tmp_path / "charts.png"
    result = CliRunner().invoke(app, ["stats", "--chart", str(target)], env=env)
    assert result.exit_code == 0, result.output
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (int(CHART_SIZE_INCHES[0] * CHART_DPI), int(CHART_SIZE_INCHES[1] * CHART_DPI))
    as_json = json.loads(CliRunner().invoke(app, ["stats", "--json"], env=env).stdout)
    assert as_json["platforms"][0]["platform"] == "amazon"


def test_html_report_escapes_mail_text(shop_db):
    with shop_db.session() as s:
        s.add(Merchant(platform="shopify", name="<script>alert(1)</script> Store"))
        s.add(Order(platform="shopify", order_number="S1", merchant_id=3, total=Decimal("1"), currency="USD"))
    with shop_db.session() as s:
        html = render_html(compute_stats(s), now=t(11, 25))
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; Store" in html
    assert "data:image/png;base64," in html
