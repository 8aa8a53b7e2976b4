"""``smartreturn add-text``: pasted SMS go through the real pipeline into a real SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartreturn.cli import app
from smartreturn.cli.add_text import text_message
from smartreturn.mail.decode import parse_email

SMS = ("【菜鸟驿站】您的中通包裹已到XX小区菜鸟驿站，请凭取件码 3-2-1024 于18:00前取件。\n"
       "【顺丰速运】您的快件SF1402345678901正在派送中，派送员电话13812345678。\n")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"SMARTRETURN_CONFIG": "", "SMARTRETURN_GENERAL__STATE_DIR": str(tmp_path / "state"),
            "SMARTRETURN_GENERAL__TIMEZONE": "Asia/Shanghai", "XDG_CONFIG_HOME": str(tmp_path / "xdg")}


def invoke(env: dict[str, str], *args: str, stdin: bytes | None = None):
    return CliRunner().invoke(app, list(args), env=env, input=stdin, catch_exceptions=False)


def test_pasted_sms_are_stored_and_listed(env: dict[str, str]) -> None:
    result = invoke(env, "add-text", SMS, "--date", "2026-11-25 14:03", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert (out["status"], out["parser"]) == ("parsed", "cainiao")
    pickup, sf = out["records"]
    assert pickup["pickup_code"] == "3-2-1024" and pickup["occurred_at"] == "2026-11-25T14:03:00+08:00"
    assert sf["tracking"] == [{"carrier": "sf", "direction": "outbound", "number": "SF1402345678901"}]

    listed = invoke(env, "list", "shipments", "--json")
    assert listed.exit_code == 0, listed.output
    assert "SF1402345678901" in listed.output
    assert "13812345678" not in listed.output


def test_the_same_text_and_date_twice_changes_nothing(env: dict[str, str]) -> None:
    invoke(env, "add-text", SMS, "--date", "2026-11-25 14:03")
    again = invoke(env, "add-text", SMS, "--date", "2026-11-25 14:03", "--json")
    assert json.loads(again.output)["duplicate"] is True


def test_reads_standard_input_even_from_a_gbk_terminal(env: dict[str, str]) -> None:
    text = "【中通快递】您的快件73512345678901已于11月24日 20:15从上海转运中心发往杭州。"
    env = {**env, "SMARTRETURN_NOW": "2026-11-25T12:00"}  # a date without a year is the latest one before now
    for stdin in (text.encode("utf-8"), text.encode("gbk")):
        result = invoke(env, "add-text", "-", "--json", stdin=stdin)
        assert result.exit_code == 0, result.output
        (record,) = json.loads(result.output)["records"]
        assert record["tracking"][0]["number"] == "73512345678901"
        assert record["occurred_at"].startswith("2026-11-24T20:15")


def test_text_nobody_recognises_exits_non_zero(env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["add-text", "【顺丰速运】您的验证码为 482913，5分钟内有效。"], env=env)
    assert result.exit_code == 1
    assert "nothing recognised" in result.output


def test_the_wrapper_mail_is_plain_utf8_and_keeps_the_text() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    raw = text_message(SMS, datetime(2026, 11, 25, 14, 3, tzinfo=ZoneInfo("Asia/Shanghai")))
    email = parse_email(raw)
    assert email.text.strip() == SMS.strip()
    assert email.received.isoformat() == "2026-11-25T14:03:00+08:00"
    assert b"Content-Type: text/plain; charset=\"utf-8\"" in raw
