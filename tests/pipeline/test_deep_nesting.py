"""A mail nested 1,000 MIME levels deep (50 KB from any sender) goes through `smartreturn ingest` into a
real SQLite file like any other: stored, its text part parsed into events, no traceback anywhere (the
stdlib parser, ``Message.walk()`` and the old body walk all recursed and raised RecursionError)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from smartreturn.mail import mime
from smartreturn.parse_mail import DEPTH_NOTE
from smartreturn.store.db import open_database
from smartreturn.store.tables import CaseEvent, Message, Shipment
from tests.mail.test_mime import nested


def _ingest(tmp_path: Path, mails: dict[str, bytes]) -> tuple[subprocess.CompletedProcess[str], Path]:
    inbox, state = tmp_path / "inbox", tmp_path / "state"
    inbox.mkdir()
    for name, raw in mails.items():
        (inbox / name).write_bytes(raw)
    env = {**os.environ, "SMARTRETURN_CONFIG": "", "SMARTRETURN_GENERAL__STATE_DIR": str(state),
           "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "SMARTRETURN_NOW": "2026-11-05T10:00"}
    result = subprocess.run([sys.executable, "-m", "smartreturn", "ingest", str(inbox), "--json"],
                            capture_output=True, text=True, env=env, timeout=300)
    return result, state / "smartreturn.db"


def test_a_thousand_levels_deep_mail_is_stored_with_its_text_part_events(tmp_path: Path) -> None:
    result, db_file = _ingest(tmp_path, {"deep.eml": nested(1_000), "deeper.eml": nested(mime.MAX_DEPTH + 5)})
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr + result.stdout
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["new"], summary["failed"]) == (2, 0)
    db = open_database(f"sqlite:///{db_file}")
    try:
        with db.session() as session:
            by_size = sorted(session.scalars(select(Message)), key=lambda m: m.size)
            deep, deeper = by_size
            assert (deep.status, deep.status_reason) == ("parsed", None)
            assert session.scalars(select(CaseEvent.kind).where(CaseEvent.message_id == deep.id)).all() == ["shipped"]
            assert session.scalars(select(Shipment.tracking_number)).all() == ["1Z999AA10123456784"]
            # below the documented limit nothing is read, and the mail's status says so
            assert deeper.status == "unmatched" and deeper.status_reason.endswith(DEPTH_NOTE)  # a UPS sender
    finally:
        db.dispose()
