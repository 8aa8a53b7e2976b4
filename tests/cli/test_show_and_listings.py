"""`show` finds what the user has in hand (order, parcel, tracking number, mail); listings say when they
are cut; piped output is never truncated, and TSV is there for scripts (real SQLite)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from smartreturn import clock
from smartreturn.cli import app

from tests.conftest import FIXTURES

@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One store for the module: the Amazon fixtures and a forwarded Taobao return."""
    tmp_path = tmp_path_factory.mktemp("listings")
    env = {"SMARTRETURN_CONFIG": "", "SMARTRETURN_GENERAL__STATE_DIR": str(tmp_path / "state"),
           "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "SMARTRETURN_NOW": "2026-12-04T04:00Z"}
    sr(env, "ingest", str(FIXTURES / "amazon"), str(FIXTURES / "taobao" / "forwarded_163_return_received.eml"))
    yield env
    clock.pin(None)  # SMARTRETURN_NOW pinned the process clock for these in-process runs


def sr(env: dict[str, str], *args: str):
    """The command with stdout and stderr captured (not a terminal, like a pipe)."""
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result


def test_show_takes_a_parcel_id_a_tracking_number_and_a_mail(env: dict[str, str]) -> None:
    parcels = json.loads(sr(env, "list", "shipments", "--json", "--limit", "0").stdout)
    sf = next(p for p in parcels if p["tracking_number"] == "SF1412345678901")
    by_id = json.loads(sr(env, "show", sf["id"], "--json").stdout)
    by_number = json.loads(sr(env, "show", "sf 1412345678901", "--json").stdout)  # as typed, spaces and case
    assert by_id == by_number
    assert by_id["order"]["order_number"] == "3456789012349876543"
    assert [s["tracking_number"] for s in by_id["shipments"]] == ["SF1412345678901"]

    mails = json.loads(sr(env, "list", "messages", "--json", "--limit", "0").stdout)
    taobao = next(m for m in mails if m["parser"] == "taobao")
    by_mail = json.loads(sr(env, "show", taobao["id"], "--json").stdout)
    by_message_id = json.loads(sr(env, "show", "5a1c7e3b.3f2a.18c0d2e4f11.Coremail.lina_2019@163.com", "--json").stdout)
    assert by_mail == by_message_id
    assert by_mail["order"]["order_number"] == "3456789012349876543"
    assert by_mail["message"]["status"] == "parsed"


@pytest.mark.parametrize("listing", [("messages",), ("orders",), ("shipments",), ("messages", "--status", "parsed"),
                                     ("orders", "--platform", "amazon"), ("returns",)])
def test_listings_say_when_they_are_cut(env: dict[str, str], listing: tuple[str, ...]) -> None:
    total = len(json.loads(sr(env, "list", *listing, "--json", "--limit", "0").stdout))
    assert total >= 1
    cut = sr(env, "list", *listing, "--json", "--limit", "1")
    assert len(json.loads(cut.stdout)) == 1  # stdout stays valid JSON
    assert (f"1 of {total:,} shown; --limit 0 for all" in cut.stderr) == (total > 1)
    assert "shown" not in sr(env, "list", *listing, "--limit", "0").stderr


def test_piped_tables_are_not_truncated_and_tsv_is_one_line_per_row(env: dict[str, str]) -> None:
    table = sr(env, "list", "orders", "--limit", "0").stdout
    orders = json.loads(sr(env, "list", "orders", "--json", "--limit", "0").stdout)
    for order in orders:  # every order number and date printed whole, on one line (no 80-column wrap)
        assert any(order["order_number"] in line and (order["order_date"] or "") in line for line in table.splitlines())
    assert "…" not in table
    tsv = sr(env, "list", "orders", "--format", "tsv", "--limit", "0").stdout.splitlines()
    assert sorted(tsv[0].split("\t")) == sorted(orders[0].keys()) and tsv[0].startswith("id\tplatform\torder_number")
    assert len(tsv) == len(orders) + 1
    assert {line.split("\t")[2] for line in tsv[1:]} == {o["order_number"] for o in orders}


def test_a_number_no_format_confirms_is_shown_unverified(tmp_path) -> None:
    """The UPS mail labels 1ZV2E8470368123455 but its check digit fails: kept, and every view says so."""
    env = {"SMARTRETURN_CONFIG": "", "SMARTRETURN_GENERAL__STATE_DIR": str(tmp_path / "state"),
           "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "SMARTRETURN_NOW": "2026-12-04T04:00Z"}
    try:
        sr(env, "ingest", str(FIXTURES / "generic" / "ups_delivered_check_digit_fails.eml"),
           str(FIXTURES / "ups" / "delivered_mychoice_en.eml"))
        listed = {p["tracking_number"]: p["verified"] for p in json.loads(sr(env, "list", "shipments", "--json").stdout)}
        assert listed == {"1ZV2E8470368123455": False, "1ZV2E8470368123454": True}
        parcels = {p["tracking_number"]: p["verified"] for p in json.loads(sr(env, "shipments", "--all", "--json").stdout)}
        assert parcels == listed
        table = sr(env, "shipments", "--all").stdout.splitlines()
        assert [line for line in table if "unverified" in line] == [
            line for line in table if "1ZV2E8470368123455" in line] != []
        assert not any("1ZV2E8470368123454" in line and "unverified" in line for line in table)
        assert json.loads(sr(env, "show", "1ZV2E8470368123455", "--json").stdout)["shipments"][0]["verified"] is False
        assert "unverified: no carrier format or check digit confirms the number" in sr(env, "show", "1ZV2E8470368123455").stdout
        assert "unverified" not in sr(env, "show", "1ZV2E8470368123454").stdout
        added = sr(env, "track", "add", "ups", "1Z999AA10123456785").stdout
        assert "unverified" in added  # a typed number whose check digit fails is tracked, and marked
        assert "unverified" not in sr(env, "track", "add", "ups", "1Z999AA10123456784").stdout
    finally:
        clock.pin(None)
