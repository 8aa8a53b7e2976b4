"""`smartreturn deadlines`, `show` with deadlines, `order update --category` and the global --now, end to end
on a real SQLite file (the CLI as a user runs it)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from smartreturn.cli import app
from smartreturn.store.db import open_database
from tests.rules import rows
from tests.rules.rows import utc


@pytest.fixture
def config(tmp_path):
    url = f"sqlite:///{tmp_path / 'sr.db'}"
    db = open_database(url)
    with db.session() as s:
        shop = rows.merchant(s, "schuhe.de")
        rows.order(s, delivered=utc(2026, 11, 13, 10), items=("Boots",), shop=shop, ordered=utc(2026, 11, 10))
        rows.order(s, platform="taobao", region="cn", currency="CNY", delivered=utc(2026, 11, 20, 2),
                   ordered=utc(2026, 11, 18), items=("Silk scarf",))
        rows.case(s, rows.order(s, ordered=utc(2026, 11, 1)), status="shipped", requested=utc(2026, 11, 10, 9),
                  shipped=utc(2026, 11, 12, 9))
    db.dispose()
    path = tmp_path / "config.toml"
    path.write_text(f'[general]\ntimezone = "Europe/Berlin"\nstate_dir = "{tmp_path}"\n'
                    f'[database]\nurl = "{url}"\n[rules]\nregion = "de"\n', encoding="utf-8")
    return str(path)


def invoke(config: str, *args: str, now: str = "2026-11-21T09:00") -> str:
    result = CliRunner().invoke(app, ["--config", config, "--now", now, *args], env={"SMARTRETURN_NOW": "", "COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_deadlines_lists_rule_anchor_and_source(config) -> None:
    rows_ = json.loads(invoke(config, "deadlines", "--json"))
    by_kind = {(r["kind"], r["order"]): r for r in rows_}
    window = by_kind[("return_window", "o1")]
    assert (window["due_on"], window["rule"], window["anchor"], window["basis"]) == (
        "2026-11-27", "eu.14day_withdrawal", "known", "law")
    assert "2011/83/EU" in window["source"] and window["checked"] == "2026-12-06" and window["url"].startswith("https://")
    taobao = by_kind[("return_window", "o2")]
    assert (taobao["due_on"], taobao["rule"]) == ("2026-11-27", "taobao.7day_no_reason")
    refund = by_kind[("refund_due", "o3")]  # EU art. 13: 14 days from the notice of Nov 10
    assert (refund["due_on"], refund["rule"], refund["anchor"]) == ("2026-11-24", "eu.refund_14d", "known")
    assert [r["due_on"] for r in rows_] == sorted(r["due_on"] for r in rows_)
    table = invoke(config, "deadlines")
    assert "eu.14day_withdrawal" in table and "known" in table


def test_now_moves_every_command_and_all_shows_the_past(config) -> None:
    later = json.loads(invoke(config, "deadlines", "--json", now="2026-12-10"))
    assert ("return_window", "o1") not in {(r["kind"], r["order"]) for r in later}  # closed on Nov 27
    assert [r for r in later if r["kind"] == "refund_due"][0]["days_left"] == -16
    everything = json.loads(invoke(config, "deadlines", "--all", "--json", now="2026-12-10"))
    assert ("return_window", "o1") in {(r["kind"], r["order"]) for r in everything}
    agenda = json.loads(invoke(config, "agenda", "--json", now="2026-12-10"))
    assert any(i["title"] == "Ask for the refund — due 24 Nov, 16 days late" for i in agenda["items"])


def test_show_prints_the_deadlines_and_a_correction_applies_the_exclusion(config) -> None:
    shown = invoke(config, "show", "o2")
    assert "taobao.7day_no_reason" in shown and "2026-11-27" in shown
    invoke(config, "order", "update", "o2", "--category", "fresh")
    rows_ = json.loads(invoke(config, "deadlines", "--json"))
    assert ("return_window", "o2") not in {(r["kind"], r["order"]) for r in rows_}  # 鲜活易腐: no 7-day return
    assert "cli:order_updated" in invoke(config, "show", "o2")
