"""The layers stay apart: the store only persists, the rules are pure, the event layer joins them.

Checked on the import statements of each module (including imports inside functions), so that a
shortcut through a lazy import fails here too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "smartreturn"

FORBIDDEN = {
    "store": ("smartreturn.rules", "smartreturn.apply", "smartreturn.stats", "smartreturn.pipeline"),
    "rules": ("smartreturn.store", "smartreturn.apply", "sqlalchemy", "smartreturn.notify", "smartreturn.pipeline"),
}


def _python(code: str) -> str:
    """What ``code`` prints in a fresh interpreter (the modules it imports are that process's alone)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_imports(package: str) -> None:
    offending = []
    for path in sorted((SRC / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for name in _imports(path):
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN[package]):
                offending.append(f"{path.relative_to(SRC)} imports {name}")
    assert offending == []


def test_the_timeline_merge_is_pure() -> None:
    names = _imports(SRC / "tracking" / "timeline.py")
    assert not {n for n in names if n.startswith(("sqlalchemy", "smartreturn.store", "smartreturn.rules"))}


def test_the_parse_worker_imports_no_database_code() -> None:
    """The parse worker imports smartreturn.parse_mail (guard._PRELOAD): with SQLAlchemy and the store it
    would be ~25 MB larger, with pydantic (the Settings models; it gets ReadOptions) ~10 MB; the daemon's
    memory is the sum of its processes."""
    code = ("import sys, smartreturn.parse_mail, smartreturn.parse_warmup; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'alembic', 'pydantic', 'typer') "
            "or m.startswith(('smartreturn.store', 'smartreturn.pipeline', 'smartreturn.apply', 'smartreturn.config'))))")
    assert _python(code) == "[]"


def test_the_daemons_main_process_imports_no_mail_reading_code() -> None:
    """The daemon's main process stores what the parse worker read: the MIME, HTML and parser code
    (~25 MB) belongs to the worker only. Importing the daemon loop must not pull it in."""
    code = ("import sys, smartreturn.daemon.loop, smartreturn.cli; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('bs4', 'lxml', 'mailparser') "
            "or m.startswith(('smartreturn.parsers', 'smartreturn.parse_mail', 'smartreturn.mail.decode'))))")
    assert _python(code) == "[]"


def test_the_daemon_program_holds_no_cli_and_no_sender_libraries() -> None:
    """`smartreturn run` execs smartreturn.daemon.main: the months-long process holds no typer, click or
    rich (~12 MB); Apprise runs in its own program per delivery (~4 MB); Jinja is imported when a template is
    first rendered. (Each figure: ru_maxrss of an import, bench/RESULTS.md.)"""
    code = ("import sys, smartreturn.daemon.main, smartreturn.daemon.loop; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'typer', 'click', 'rich', 'apprise', 'jinja2'}))")
    assert _python(code) == "[]"
    code = "import sys, smartreturn.daemon.main; print(sorted(m for m in sys.modules if m.startswith('smartreturn.cli')))"
    assert _python(code) == "[]"


def test_the_daemons_main_process_never_imports_the_holidays_package() -> None:
    """``import holidays`` costs ~11 MB and its first country ~8 MB more (all its country modules),
    kept for the daemon's whole life: the public holidays come from a short-lived child process
    (rules/holiday_tables.py). Computing a German order's deadline (Neujahr rolls it over) must not
    import it here."""
    code = ("import sys, smartreturn.daemon.main, smartreturn.daemon.loop, smartreturn.cli\n"
            "from datetime import datetime, timezone\n"
            "from smartreturn.rules.policies import Subject, load_rules\n"
            "from smartreturn.rules.return_window import Facts, WorkingDays, return_window\n"
            "delivered = datetime(2026, 12, 18, 10, tzinfo=timezone.utc)\n"
            "facts = Facts(Subject(platform='shop', region='de', country='DE'), order_date=delivered,"
            " delivered_at=delivered)\n"
            "result = return_window(facts, load_rules(), delivered, timezone.utc)\n"
            "print(result.due_on, WorkingDays('DE').roll_forward(result.due_on.replace(day=1)),"
            " sorted(m for m in sys.modules if m.split('.')[0] == 'holidays'))\n")
    assert _python(code) == "2027-01-04 2027-01-04 []"
