"""Outputs neutralise mail content (issue 10 item 4): CSV formulas, terminal escapes, rich markup,
bidi and zero-width characters — through the helpers and through the real commands."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from typer.testing import CliRunner

from smartreturn.cli import app
from smartreturn.neutralise import csv_cell, terminal

ESC_ATTACKS = "\x1b[2J\x1b[H" + "\x1b]8;;https://evil.test/\x07click\x1b]8;;\x07" + "\x1b]0;owned\x07" + "\x9b31m"
RLO = "\u202e"
ZWSP = "\u200b"
HOSTILE_ITEM = f"=HYPERLINK(\"https://evil.test\",\"x\") {ESC_ATTACKS} [red]fake[/red] gpj.{RLO}exe{ZWSP}"
HOSTILE_SHOP = f"@SUM(1+1)*cmd {ESC_ATTACKS}[link=https://evil.test]Shop[/link]{RLO}"


def test_csv_cells_that_a_spreadsheet_would_run_are_prefixed():
    for formula in ("=1+1", "+1+cmd", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\t=1", "\r=1"):
        assert csv_cell(formula) == "'" + formula
    assert csv_cell("-12.50") == "-12.50" and csv_cell(-3) == -3  # numbers stay numbers
    assert csv_cell("Rain jacket") == "Rain jacket" and csv_cell(None) is None


def test_terminal_text_loses_escapes_and_controls_and_shows_invisible_characters():
    shown = terminal(f"a{ESC_ATTACKS}b\x07\x00\x08c{RLO}d{ZWSP}e\u2066f\nline")
    assert shown == "aclickbc<U+202E>d<U+200B>e<U+2066>f line"
    assert terminal("two\nlines", newlines=True) == "two\nlines"
    assert terminal("Straße 7 · 顺丰") == "Straße 7 · 顺丰"


def hostile_order(order_number: str) -> bytes:
    when = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
    markup = {"@context": "http://schema.org", "@type": "Order", "orderNumber": order_number,
              "merchant": {"@type": "Organization", "name": HOSTILE_SHOP}, "orderDate": when.isoformat(),
              "priceCurrency": "EUR", "price": "49.90",
              "acceptedOffer": {"@type": "Offer", "itemOffered": {"@type": "Product", "name": HOSTILE_ITEM},
                                "price": "49.90", "priceCurrency": "EUR"}}
    msg = EmailMessage()
    msg["From"] = "Shop <auto-confirm@shop.example>"
    msg["To"] = "buyer@example.com"
    msg["Subject"] = f"Your order {order_number}"
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<{order_number}@shop.example>"
    msg.set_content(f"Thank you for your order {order_number}.")
    msg.add_alternative(f'<html><head><script type="application/ld+json">{json.dumps(markup)}</script></head>'
                        f"<body><p>Thank you for your order {order_number}.</p></body></html>", subtype="html")
    return msg.as_bytes()


def assert_neutral(output: str) -> None:
    assert "\x1b" not in output and "\x9b" not in output and "\x07" not in output
    assert RLO not in output and ZWSP not in output
    assert "evil.test" not in output or "[link=https://evil.test]" in output  # only as literal text


def test_every_command_prints_hostile_mail_content_neutralised(tmp_path: Path):
    mail = tmp_path / "order.eml"
    mail.write_bytes(hostile_order("H-1"))
    env = {"SMARTRETURN_GENERAL__STATE_DIR": str(tmp_path / "state"), "SMARTRETURN_CONFIG": "",
           "SMARTRETURN_NOW": "2026-11-22T10:00:00+00:00"}
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(mail)], env=env).exit_code == 0
    outputs = {}
    for command in (["show", "H-1"], ["list", "orders"], ["agenda"], ["stats"], ["shipments"],
                    ["list", "messages"], ["parse", str(mail)]):
        result = runner.invoke(app, command, env={**env, "COLUMNS": "400"})
        assert result.exit_code == 0, (command, result.output)
        assert_neutral(result.output)
        outputs[command[0] + (command[1] if command[0] == "list" else "")] = result.output
    assert "<U+202E>" in outputs["show"] and "[red]fake[/red]" in outputs["show"]  # shown, not obeyed
    assert "<U+202E>" in outputs["listorders"]
    csv_dir = tmp_path / "csv"
    assert runner.invoke(app, ["stats", "--csv", str(csv_dir)], env=env).exit_code == 0
    with (csv_dir / "merchants.csv").open(newline="", encoding="utf-8") as handle:
        merchants = [row for row in csv.reader(handle)]
    cells = [value for row in merchants for value in row]
    assert any(value.startswith("'@SUM(1+1)") for value in cells), cells
    assert not any(value.startswith(("=", "+", "@", "\t", "\r")) for value in cells)


def test_agenda_table_shows_hostile_item_text_neutralised():
    from dataclasses import replace

    from rich.console import Console

    from smartreturn.cli.agenda import render_table
    from tests.notify.test_notify import hostile_agenda

    agenda = hostile_agenda()
    hostile = replace(agenda.items[0], merchant=HOSTILE_SHOP, item_names=(HOSTILE_ITEM,), detail=f"late {ESC_ATTACKS}")
    agenda = replace(agenda, items=(hostile,))
    console = Console(record=True, width=400, force_terminal=True, color_system="truecolor")
    console.print(render_table(agenda, by_priority=True))
    text = console.export_text(styles=False)
    assert_neutral(text)
    assert "<U+202E>" in text and "[red]fake[/red]" in text and "@SUM(1+1)" in text
    styled = console.export_text(styles=True)  # rich's own style codes only: no OSC, no screen clearing
    assert "\x1b]" not in styled and "\x1b[2J" not in styled and "\x1b[H" not in styled
