"""Regression fixtures: ``fixtures/<parser>/<case>.eml`` beside ``<case>.eml.json`` (after beangulp).

The JSON is written by :func:`dump_records` only, so that ``generate`` and ``check`` agree byte for
byte. An ``.eml`` without a ``.json`` is a negative case: no parser may produce records for it.
Folders whose name starts with ``sample`` or ``_`` are not parser fixtures (the quick-start mailbox);
neither is ``real/``: real samples with hand-written expectations, scored by ``fixtures score``
(:mod:`smartreturn.parsers.score`), not diffed.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from smartreturn.errors import SmartReturnError
from smartreturn.mail.decode import parse_email
from smartreturn.model import Event
from smartreturn.parsers import registry

log = logging.getLogger(__name__)

__all__ = [
    "GenerateResult", "check", "dump_records", "event_to_dict", "expected_path", "find_root", "fixture_cases",
    "generate", "render",
]

JSON_SUFFIX = ".json"


def _plain(value: Any, where: str) -> Any:
    """Model values -> JSON values (Decimal as string, ISO dates, enums by value)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime in {where}: parsers must return tz-aware datetimes")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _dataclass_dict(value, where)
    if isinstance(value, tuple | list):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def _dataclass_dict(obj: Any, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if value is None or value == ():
            continue
        if isinstance(value, bool) and value == f.default:
            continue  # a flag at its default says nothing ("verified": true on every number)
        if f.name == "extra" and isinstance(obj, Event):
            out["extra"] = {str(k): _plain(v, f"{where}.extra") for k, v in value}
            continue
        out[f.name] = _plain(value, f"{where}.{f.name}")
    return out


def event_to_dict(event: Event) -> dict[str, Any]:
    """One event as stable JSON-ready data; None fields and empty tuples are left out."""
    return _dataclass_dict(event, "event")


def dump_records(parser_name: str | None, parser_version: int | None, events: list[Event]) -> str:
    """The one serialisation of an extraction (fixtures and ``smartreturn parse --json``)."""
    doc = {
        "parser": parser_name,
        "parser_version": parser_version,
        "records": [event_to_dict(e) for e in events],
    }
    return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def expected_path(eml: Path) -> Path:
    return eml.with_name(eml.name + JSON_SUFFIX)


REAL_SAMPLES = "real"


def _excluded(path: Path, root: Path) -> bool:
    folders = path.relative_to(root).parts[:-1]
    if root.name == "fixtures" and folders[:1] == (REAL_SAMPLES,):
        return True
    return any(part.startswith(("sample", "_", ".")) for part in folders)


def fixture_cases(root: Path) -> list[Path]:
    """Every parser fixture ``.eml`` under ``root``, sorted (sample mailboxes excluded)."""
    root = Path(root)
    return sorted(p for p in root.rglob("*.eml") if p.is_file() and not _excluded(p, root))


def find_root(start: Path | None = None) -> Path:
    """The repository's ``fixtures/`` folder, searched from ``start`` (default: cwd) upwards."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if folder.name == "fixtures" and folder.is_dir():
            return folder
        candidate = folder / "fixtures"
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"no fixtures/ folder found from {here} upwards")


def render(eml: Path) -> tuple[str | None, str]:
    """(parser name or None, the JSON text) for one mail.

    A mail that cannot be decoded gives ``undecodable: ...`` (fine for a negative case); a parser
    error or conflict gives ``error: ...`` (never fine).
    """
    try:
        email = parse_email(Path(eml).read_bytes())
    except SmartReturnError as exc:
        return None, f"undecodable: {exc}\n"
    try:
        extraction = registry.extract(email)
    except SmartReturnError as exc:
        return None, f"error: {type(exc).__name__}: {exc}\n"
    parser = extraction.parser
    if not extraction.events:
        return None, dump_records(None, None, [])
    return parser.name if parser else None, dump_records(
        parser.name if parser else None, parser.version if parser else None, extraction.events
    )


@dataclass(frozen=True, slots=True)
class GenerateResult:
    eml: Path
    status: str   # "written" | "exists" (refused: use force) | "negative" (no records: no .json written)
    parser: str | None = None


def _expand(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            out.extend(fixture_cases(path))
        else:
            out.append(path)
    return out


def generate(paths: Iterable[Path], force: bool = False) -> list[GenerateResult]:
    """Write ``<case>.eml.json`` beside each ``.eml`` (folders are searched). Never overwrites without force."""
    results = []
    for eml in _expand(paths):
        target = expected_path(eml)
        if target.exists() and not force:
            results.append(GenerateResult(eml, "exists"))
            continue
        parser, text = render(eml)
        if parser is None:
            # No records (or an error): the .eml stays a negative case; a stale .json goes.
            if target.exists():
                target.unlink()
            results.append(GenerateResult(eml, "negative"))
            continue
        target.write_text(text, encoding="utf-8")
        log.info("wrote %s (%s)", target, parser)
        results.append(GenerateResult(eml, "written", parser))
    return results


def _diff(expected: str, actual: str, fromfile: str, tofile: str) -> str:
    return "".join(
        difflib.unified_diff(expected.splitlines(keepends=True), actual.splitlines(keepends=True), fromfile, tofile)
    )


def check_one(eml: Path) -> str:
    """A unified diff between the stored and the current extraction of one case; '' when they match."""
    target = expected_path(eml)
    parser, actual = render(eml)
    if target.exists():
        expected = target.read_text(encoding="utf-8")
        return _diff(expected, actual, str(target), f"{eml} (extracted now)")
    if parser is None and not actual.startswith("error:"):
        return ""
    header = f"negative case {eml} (no .json): expected no records, got:\n"
    return header + _diff("", actual, f"{target} (absent)", f"{eml} (extracted now)")


def check(root: Path) -> list[str]:
    """Diffs for every case under ``root`` that does not match its ``.json`` (empty list: all good)."""
    root = Path(root)
    diffs = [d for d in (check_one(eml) for eml in fixture_cases(root)) if d]
    for orphan in sorted(root.rglob("*.eml" + JSON_SUFFIX)):
        if not _excluded(orphan, root) and not orphan.with_name(orphan.name[: -len(JSON_SUFFIX)]).exists():
            diffs.append(f"orphan {orphan}: no .eml beside it\n")
    return diffs
