"""`smartreturn agenda` and `smartreturn list --by-priority` end to end on a real SQLite file."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from smartreturn import clock
from smartreturn.cli import app
from smartreturn.store.db import open_database
from tests.rules import rows
from tests.rules.rows import utc


@pytest.fixture
def config(tmp_path):
    url = f"sqlite:///{tmp_path / 'sr.db'}"
    db = open_database(url)
    with db.session() as s:
        rows.order(s, delivered=utc(2026, 11, 13, 10), items=("[red]Boots[/red]",), total="120.00")  # due Fri Nov 27
        rows.case(s, rows.order(s), status="received", received=utc(2026, 11, 5, 12), expected="89.90", reason="defective")
    db.dispose()
    path = tmp_path / "config.toml"
    path.write_text(f'[general]\ntimezone = "Europe/Berlin"\nstate_dir = "{tmp_path}"\n'
                    f'[database]\nurl = "{url}"\n[rules]\nregion = "de"\n', encoding="utf-8")
    return str(path)


def test_agenda_json(config) -> None:
    result = CliRunner().invoke(app, ["--config", config, "agenda", "--json", "--at", "2026-11-25T09:00"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    kinds = [(item["kind"], item["urgency"]) for item in data["items"]]
    assert kinds == [("refund_overdue", "urgent"), ("window_closing", "soon")]
    assert data["items"][0]["factors"]["reason_severity"] > 0
    assert data["items"][1]["due_on"] == "2026-11-27" and data["items"][1]["days_left"] == 2
    assert data["money_outstanding"] == [{"amount": "89.90", "currency": "EUR"}]


def test_agenda_table_shows_factors_and_mail_text_literally(config) -> None:
    result = CliRunner().invoke(app, ["--config", config, "agenda", "--by-priority", "--at", "2026-11-25"],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Ask for the refund — due 19 Nov, 6 days late" in result.stdout
    assert "[red]Boots[/red]" in result.stdout  # not swallowed as rich markup
    assert "urgency" in result.stdout and "reason_severity" in result.stdout
    assert "outstanding refunds: 89.90 EUR" in result.stdout


def test_list_by_priority_is_the_same_view(config) -> None:
    result = CliRunner().invoke(app, ["--config", config, "--now", "2026-11-25T09:00", "list", "returns",
                                      "--by-priority", "--json"])
    assert result.exit_code == 0, result.output
    assert "refund_overdue" in {item["kind"] for item in json.loads(result.stdout)["items"]}


def test_the_global_now_comes_from_the_environment_too(config) -> None:
    """`SMARTRETURN_NOW` pins the same clock as `--now`; the day before the refund fell due, nothing is late."""
    late = CliRunner().invoke(app, ["--config", config, "agenda", "--json"], env={"SMARTRETURN_NOW": "2026-11-25T09:00"})
    early = CliRunner().invoke(app, ["--config", config, "agenda", "--json"], env={"SMARTRETURN_NOW": "2026-11-10"})
    assert late.exit_code == 0 and early.exit_code == 0, late.output + early.output
    assert "refund_overdue" in {item["kind"] for item in json.loads(late.stdout)["items"]}
    assert "refund_overdue" not in {item["kind"] for item in json.loads(early.stdout)["items"]}
    assert not clock.is_pinned()  # the command's clock does not leak into the rest of the process


def test_bad_at(config) -> None:
    result = CliRunner().invoke(app, ["--config", config, "agenda", "--at", "next tuesday"])
    assert result.exit_code != 0 and "--at" in result.output
