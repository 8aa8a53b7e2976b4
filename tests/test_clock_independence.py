"""No test may depend on the day it runs (issue: CI went red when the calendar moved on).

The date-sensitive suites (rules, notify, tracking, stats, cli, pipeline, store) run again in a child pytest with the
process clock moved far ahead and far back (``--clock-shift``, see tests/clockshift.py). Anything that
reads the wall clock where it should take ``smartreturn.clock.now()`` or a pinned test date fails here
today, not in three weeks.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATE_SENSITIVE = ["tests/rules", "tests/notify", "tests/tracking", "tests/stats", "tests/cli", "tests/pipeline", "tests/store"]


@pytest.mark.slow
@pytest.mark.parametrize("shift", ["2027-06-15", "2026-01-15"])
def test_date_sensitive_suites_pass_with_the_clock_moved(shift: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *DATE_SENSITIVE, f"--clock-shift={shift}", "-x",
         "-p", "no:cacheprovider", "-o", "addopts="],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
        env={k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")})  # pytest's own 80x24
    assert f"clock shifted to {shift}" in run.stdout  # the header the plugin prints
    tail = "\n".join(run.stdout.splitlines()[-40:])
    assert run.returncode == 0, f"with the clock at {shift}:\n{tail}\n{run.stderr[-2000:]}"
    assert " passed" in tail
