"""``smartreturn track``, ``track add`` and ``shipments`` against a config file and the fake server."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from smartreturn.store.db import open_database
from smartreturn.store.tables import Order, ReturnCase, Shipment
from tests.tracking.fake_providers import SEVENTEEN_KEY, seventeen_event, seventeen_item


@pytest.fixture
def env(tmp_path, fake_server, monkeypatch):
    from smartreturn.cli import context

    monkeypatch.setattr(context.console, "width", 200)  # no wrapping inside table cells
    key_file = tmp_path / "17track-key"
    key_file.write_text(SEVENTEEN_KEY + "\n")
    db_path = tmp_path / "sr.db"
    config = tmp_path / "config.toml"
    config.write_text(f"""
[general]
timezone = "Europe/Berlin"

[database]
url = "sqlite:///{db_path}"

[tracking]
providers = ["17track"]

[tracking.seventeen_track]
api_key_file = "{key_file}"
base_url = "{fake_server.url('17track')}"
""")
    db = open_database(f"sqlite:///{db_path}")
    yield {"config": str(config), "db": db, "state": fake_server.state}
    db.dispose()


def invoke(env, *args):
    from smartreturn.cli import app

    result = CliRunner().invoke(app, ["--config", env["config"], *args])
    return result


def test_track_add_then_refresh_then_list(env):
    with env["db"].session() as session:
        order = Order(platform="amazon", order_number="302-1111111-2222222")
        session.add(order)
        session.flush()
        case = ReturnCase(order_id=order.id, case_number="RMA-77", status="label_issued")
        session.add(case)
        session.flush()
        case_id = case.id

    result = invoke(env, "track", "add", "dhl", "00340 4340 1234 5678 90", "--return-for", "RMA-77")
    assert result.exit_code == 0, result.output
    assert f"return parcel for r{case_id}" in result.output
    with env["db"].session() as session:
        shipment = session.query(Shipment).one()
        assert (shipment.carrier, shipment.tracking_number, shipment.direction, shipment.return_case_id) == (
            "dhl", "00340434012345678 90".replace(" ", ""), "return", case_id)

    now = datetime.now(timezone.utc)
    number = "0034043401234567890"
    env["state"].seventeen[number] = seventeen_item(number, 100001, "Delivered", "Delivered_Other", [
        seventeen_event((now - timedelta(hours=2)).isoformat(timespec="seconds"), "Delivered to [merchant] warehouse",
                        "Delivered", "Delivered_Other", "Bad Hersfeld"),
        seventeen_event((now - timedelta(days=1)).isoformat(timespec="seconds"), "In transit", "InTransit", "InTransit_Other"),
    ])
    result = invoke(env, "track", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["delivered"] == 1 and report["registered"] == 1 and report["requests"] == {"17track": 3}
    with env["db"].session() as session:
        case = session.get(ReturnCase, case_id)
        assert case.status == "received"  # the refund clock starts

    result = invoke(env, "shipments", "--all")
    assert result.exit_code == 0, result.output
    assert "Delivered to [merchant] warehouse" in result.output  # markup-looking text shown as is
    assert "delivered" in result.output
    listing = json.loads(invoke(env, "shipments", "--all", "--json").output)
    assert listing[0]["status"] == "delivered" and listing[0]["direction"] == "return"
    assert invoke(env, "shipments").output.startswith("no parcels under way")


def test_shipments_shows_predicted_delivery(env):
    now = datetime.now(timezone.utc)
    with env["db"].session() as session:
        session.add(Shipment(carrier="sf", tracking_number="SF1000000000001", status="in_transit",
                             shipped_at=now - timedelta(hours=3), last_event_at=now - timedelta(hours=3)))
    rows = json.loads(invoke(env, "shipments", "--json").output)
    assert rows[0]["predicted"]["basis"] == "default"
    assert rows[0]["predicted"]["samples"] == 0
    table = invoke(env, "shipments").output
    assert "SF1000000000001" in table and "carrier default" in table


def test_track_add_rejects_unknown_carrier_and_case(env):
    result = invoke(env, "track", "add", "pigeon", "123")
    assert result.exit_code != 0
    assert "unknown carrier code 'pigeon'" in str(result.exception)
    result = invoke(env, "track", "add", "ups", "1Z999AA10123456784", "--return-for", "r999")
    assert result.exit_code != 0 and "no return case" in str(result.exception)


def test_track_with_bad_key_reports_and_exits_cleanly(env, tmp_path):
    (tmp_path / "17track-key").write_text("bad-key-0000")
    with env["db"].session() as session:
        session.add(Shipment(carrier="ups", tracking_number="1Z999AA10123456784"))
    result = invoke(env, "track")
    assert result.exit_code == 0, result.output
    assert "API key was rejected" in result.output
    assert "bad-key-0000" not in result.output
