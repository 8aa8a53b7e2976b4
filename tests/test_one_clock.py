"""Product code reads the time from one clock (smartreturn.clock), so --now and tests can pin it."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "smartreturn"
WALL_CLOCK = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("datetime", "today")}
# Real elapsed time, not "what day is it": OAuth token expiry is compared with the provider's epoch.
ALLOWED = {"clock.py", "daemon/oauth.py"}


def wall_clock_reads(path: Path, root: Path = SRC) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else None
            if (name, node.func.attr) in WALL_CLOCK or (name, node.func.attr) == ("time", "time"):
                found.append(f"{path.relative_to(root)}:{node.lineno}: {name}.{node.func.attr}()")
    return found


def test_no_module_but_the_clock_reads_the_wall_clock() -> None:
    offenders = [hit for path in sorted(SRC.rglob("*.py")) if str(path.relative_to(SRC)) not in ALLOWED
                 for hit in wall_clock_reads(path)]
    assert offenders == [], "use smartreturn.clock.now():\n" + "\n".join(offenders)


def test_the_check_sees_a_wall_clock_read(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import datetime\nx = datetime.datetime.now()\ny = datetime.date.today()\nz = clock.now()\n")
    assert len(wall_clock_reads(sample, tmp_path)) == 2
