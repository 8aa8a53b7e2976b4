"""The commands people type, run as a user would: init, ingest (twice), list, show, return add/update."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartreturn.cli import app

from tests.pipeline.mails import order_mail


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"SMARTRETURN_CONFIG": "", "SMARTRETURN_GENERAL__STATE_DIR": str(tmp_path / "state"),
            "XDG_CONFIG_HOME": str(tmp_path / "xdg")}


def run(env, *args: str, ok: bool = True):
    result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=not ok)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_init_writes_a_commented_config_that_loads(tmp_path, env):
    target = tmp_path / "config.toml"
    run(env, "init", str(target))
    text = target.read_text()
    assert "allowed_forwarders" in text and text.count("#") > 40
    assert run(env, "init", str(target), ok=False).exit_code != 0  # refuses to overwrite
    run(env, "--config", str(target), "list", "orders")


def test_wrong_key_fails_fast_naming_key_and_file(tmp_path, env):
    bad = tmp_path / "bad.toml"
    bad.write_text('[ingest]\nallowed_forwarder = ["me@example.com"]\n')
    result = subprocess.run([sys.executable, "-m", "smartreturn", "--config", str(bad), "list"],
                            capture_output=True, text=True, env={**env, "PATH": "/usr/bin:/bin"})
    assert result.returncode == 2
    assert "ingest.allowed_forwarder" in result.stderr and str(bad) in result.stderr


def test_ingest_twice_list_show_and_manual_return(tmp_path, env):
    env = {**env, "SMARTRETURN_NOW": "2026-11-30T10:00"}  # the return is added after the orders, on any day
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "1.eml").write_bytes(order_mail("111-0000000-0000001"))
    (inbox / "2.eml").write_bytes(order_mail("111-0000000-0000002"))
    (inbox / "broken.eml").write_bytes(b"")
    result = run(env, "ingest", str(inbox), "--json", ok=False)
    assert result.exit_code == 1  # a mail failed: said at the end, after the others were stored
    first = json.loads(result.stdout)
    assert (first["new"], first["failed"], first["duplicate"]) == (3, 1, 0)
    assert first["failures"][0]["path"].endswith("broken.eml")
    second = json.loads(run(env, "ingest", str(inbox), "--json").stdout)
    assert (second["new"], second["records"], second["duplicate"]) == (0, 0, 3)

    orders = json.loads(run(env, "list", "orders", "--json").stdout)
    assert sorted(o["order_number"] for o in orders) == ["111-0000000-0000001", "111-0000000-0000002"]

    run(env, "return", "add", "111-0000000-0000001", "--platform", orders[0]["platform"], "--reason", "too small",
        "--item", "Rain jacket", "--expected-refund", "49.90", "--shipping-cost", "4.50", "--currency", "EUR",
        "--tracking", "1Z999AA10123456784", "--carrier", "ups")
    returns = json.loads(run(env, "list", "returns", "--json").stdout)
    assert len(returns) == 1 and returns[0]["expected_refund"] == "49.90"
    assert (returns[0]["reason"], returns[0]["reason_text"]) == ("size_fit", "too small")  # classified
    case = returns[0]["id"]
    run(env, "return", "update", case, "--status", "refunded", "--refunded", "49.90")
    detail = json.loads(run(env, "show", case, "--json").stdout)
    assert detail["returns"][0]["status"] == "refunded" and detail["returns"][0]["refunded_amount"] == "49.90"
    assert [s["tracking_number"] for s in detail["shipments"]] == ["1Z999AA10123456784"]
    assert [step["what"] for step in detail["timeline"]][-2:] == ["cli:return_added", "cli:return_updated"]
    shown = run(env, "show", "111-0000000-0000001").stdout
    assert "timeline" in shown and "Rain jacket" in shown

    failed = json.loads(run(env, "list", "messages", "--status", "failed", "--json").stdout)
    assert len(failed) == 1 and "0 bytes" in failed[0]["reason"]


def test_parse_prints_stable_json_without_storing(tmp_path, env):
    mail = tmp_path / "order.eml"
    mail.write_bytes(order_mail("222-0000000-0000009"))
    out = run(env, "parse", str(mail), "--json").stdout
    data = json.loads(out)
    assert data["parser"] == "schema_org" and data["records"][0]["order_number"] == "222-0000000-0000009"
    assert out == run(env, "parse", str(mail), "--json").stdout
    assert not (Path(env["SMARTRETURN_GENERAL__STATE_DIR"]) / "smartreturn.db").exists()


def test_mail_text_is_never_read_as_terminal_markup(tmp_path, env):
    run(env, "return", "add", "[red]ORDER[/red]-1", "--platform", "shopify", "--item", "[bold]Lamp[/bold] [link=x]",
        "--reason", "broken [/]")
    shown = run(env, "show", "[red]ORDER[/red]-1").stdout
    assert "[bold]Lamp[/bold] [link=x]" in shown and "[red]ORDER[/red]-1" in shown
    listing = run(env, "list", "returns").stdout  # rich would raise on a stray "[/]" read as markup
    assert "[/]" in listing


def test_parse_json_is_the_fixture_format(env):
    from tests.conftest import FIXTURES

    positive = FIXTURES / "amazon" / "order_confirmation_com.eml"
    assert run(env, "parse", str(positive), "--json").stdout == positive.with_name(positive.name + ".json").read_text("utf-8")
    negative = json.loads(run(env, "parse", str(FIXTURES / "amazon" / "promo_black_friday.eml"), "--json").stdout)
    assert negative == {"parser": None, "parser_version": None, "records": []}
