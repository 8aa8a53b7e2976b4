"""`parsers list` and the drift alarm `parsers health`."""

from __future__ import annotations

import json
from email.message import EmailMessage

from typer.testing import CliRunner

from smartreturn.cli import app
from smartreturn.parsers.registry import get_parser


def run(env, *args):
    return CliRunner().invoke(app, list(args), env=env)


def test_parsers_list_shows_every_builtin_with_its_fixtures(tmp_path):
    result = run({"SMARTRETURN_CONFIG": ""}, "parsers", "list", "--json")
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert {"amazon", "jd", "taobao", "ups", "sf_express", "schema_org", "tracking_numbers"} <= set(rows)
    assert rows["amazon"]["fixtures"] >= 8 and rows["schema_org"]["kind"] == "fallback"
    assert all(row["fixtures"] >= 3 for row in rows.values()), rows


def test_a_known_sender_whose_mail_yields_nothing_raises_the_drift_alarm(tmp_path):
    env = {"SMARTRETURN_CONFIG": "", "SMARTRETURN_GENERAL__STATE_DIR": str(tmp_path)}
    assert run(env, "parsers", "health").exit_code == 0
    domain = next(s for s in get_parser("ups").senders if s.startswith("@"))
    sender = "mcinfo" + domain
    mail = EmailMessage()
    mail["From"] = f"UPS <{sender}>"
    mail["To"] = "me@example.com"
    mail["Subject"] = "Ihre Sendung: neues Layout"
    mail["Date"] = "Wed, 25 Nov 2026 08:00:00 +0000"
    mail["Message-ID"] = "<drift@ups.example>"
    mail.set_content("Wir haben unser E-Mail-Design geändert. Details in der App.")
    path = tmp_path / "new-template.eml"
    path.write_bytes(mail.as_bytes())
    assert run(env, "ingest", str(path)).exit_code == 0
    result = run(env, "parsers", "health", "--json")
    assert result.exit_code == 1
    rows = json.loads(result.stdout)
    assert rows[0]["sender"] == sender and rows[0]["unmatched"] == 1
