"""The README's first command, run as a new user would: install, ingest the sample mailbox, list."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quickstart_ends_with_orders_from_the_sample_mailbox(tmp_path):
    env = {**os.environ, "SMARTRETURN_CONFIG": str(tmp_path / "config.toml"),
           "SMARTRETURN_GENERAL__STATE_DIR": str(tmp_path / "state"), "COLUMNS": "200"}
    first = subprocess.run(["bash", str(ROOT / "scripts" / "quickstart.sh")], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "orders" in first.stdout and "302-" in first.stdout  # Amazon.de order numbers
    assert (tmp_path / "config.toml").exists() and (tmp_path / "state" / "smartreturn.db").exists()
    # a summary without log noise, each status explained (the sample mailbox has negative cases on purpose)
    assert "WARNING" not in first.stderr and "WARNING" not in first.stdout, first.stderr[-2000:]
    assert "unmatched from a known shop or carrier, but no parser understood it" in first.stdout
    assert "ignored   not shopping mail, or not from an allowed forwarder" in first.stdout
    second = subprocess.run(["bash", str(ROOT / "scripts" / "quickstart.sh")], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr[-3000:]
    summary = second.stdout.split("ingest summary", 1)[1].splitlines()
    values = [line for line in summary if line.strip().startswith("│")][0]
    assert values.split("│")[1].strip() == "0"  # new: 0 the second time
