"""Field accuracy of the parsers over a folder of real samples with hand-written expected JSON.

A sample is ``<case>.eml`` (a mail) or ``<case>.txt`` (a pasted SMS, wrapped like ``add-text`` does)
beside ``<case>.eml.json`` / ``<case>.txt.json`` written by a person who read the mail::

    {"language": "de",                      # ISO 639-1 of the mail's text
     "received": "2025-03-04T10:00:00+01:00",   # optional, for .txt samples only (the SMS time)
     "records": [                           # what a reader finds in it; [] = must yield nothing
       {"kind": "delivered", "order_number": "...", "pickup_code": "...",
        "tracking": [{"number": "...", "carrier": "dhl_paket"}]}]}

Only the scored fields need to be written (other fields of ``parse --json`` are allowed and ignored).
Each expected record gives one check per field it names: ``kind`` always, ``order_number``,
``tracking_number`` and ``carrier`` per tracking entry, ``pickup_code``. It is matched with the
extracted record that passes most of its checks (each extracted record serves one expected record).
A sample with ``"records": []`` gives one check, ``nothing``, passed when the parsers yield no record.
Extracted records no expected record matched are counted as ``extra`` (reported, not scored).

Checks are grouped by the expected kind (``nothing`` for negatives), the language and the parser that
produced the records (``-`` when none did). Pure: reads files, runs the parsers, stores nothing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from smartreturn.errors import SmartReturnError
from smartreturn.mail.decode import parse_email
from smartreturn.parsers import registry
from smartreturn.parsers.fixtures import event_to_dict
from smartreturn.tracking.carriers import normalise_number

__all__ = ["Check", "SampleResult", "Score", "load_sample", "score_folder", "score_sample", "sample_files"]

SUFFIXES = (".eml", ".txt")
FIELDS = ("kind", "order_number", "tracking_number", "carrier", "pickup_code", "nothing")
_TXT_DEFAULT_TIME = datetime(2025, 1, 1, 12, 0, tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True)
class Check:
    field: str          # one of FIELDS
    kind: str           # expected kind, "nothing" for a negative sample
    expected: str
    actual: str | None
    passed: bool


@dataclass(slots=True)
class SampleResult:
    path: Path
    language: str
    parser: str                     # parser that produced the records, "-" when none
    checks: list[Check] = field(default_factory=list)
    extra: int = 0                  # extracted records no expected record matched
    error: str | None = None        # undecodable mail, parser error or conflict, bad expected file

    @property
    def passed(self) -> int:
        return sum(c.passed for c in self.checks)


@dataclass(slots=True)
class Score:
    samples: list[SampleResult]

    @property
    def checks(self) -> list[Check]:
        return [c for s in self.samples for c in s.checks]

    @property
    def passed(self) -> int:
        return sum(c.passed for c in self.checks)

    @property
    def total(self) -> int:
        return len(self.checks)

    @property
    def accuracy(self) -> float:
        return self.passed / self.total if self.total else 0.0

    def by(self, dimension: str) -> dict[str, tuple[int, int]]:
        """(passed, total) per value of ``dimension``: kind, language, parser or field."""
        out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for sample in self.samples:
            for check in sample.checks:
                key = {"kind": check.kind, "field": check.field, "language": sample.language,
                       "parser": sample.parser}[dimension]
                out[key][0] += check.passed
                out[key][1] += 1
        return {k: (v[0], v[1]) for k, v in sorted(out.items())}

    def as_dict(self) -> dict[str, Any]:
        return {
            "samples": len(self.samples),
            "passed": self.passed,
            "total": self.total,
            "accuracy": round(self.accuracy, 4),
            "extra_records": sum(s.extra for s in self.samples),
            "errors": [{"sample": str(s.path), "error": s.error} for s in self.samples if s.error],
            **{f"by_{d}": {k: {"passed": p, "total": t} for k, (p, t) in self.by(d).items()}
               for d in ("kind", "language", "parser", "field")},
            "failures": [
                {"sample": str(s.path), "field": c.field, "kind": c.kind, "expected": c.expected, "actual": c.actual}
                for s in self.samples for c in s.checks if not c.passed
            ],
        }


def expected_file(sample: Path) -> Path:
    return sample.with_name(sample.name + ".json")


def sample_files(folder: Path) -> list[Path]:
    """Every sample under ``folder`` that has an expected file, sorted."""
    return sorted(p for p in Path(folder).rglob("*") if p.suffix in SUFFIXES and p.is_file()
                  and expected_file(p).exists())


def load_sample(sample: Path, expected: dict[str, Any]) -> bytes:
    """The raw mail of a sample: the ``.eml`` itself, or a ``.txt`` wrapped as ``add-text`` wraps it."""
    raw = sample.read_bytes()
    if sample.suffix != ".txt":
        return raw
    from smartreturn.cli.add_text import text_message  # the one SMS wrapping, as `add-text` does it

    when = expected.get("received")
    return text_message(raw.decode("utf-8"), datetime.fromisoformat(when) if when else _TXT_DEFAULT_TIME)


def score_sample(sample: Path) -> SampleResult:
    try:
        expected = json.loads(expected_file(sample).read_text(encoding="utf-8"))
        wanted: list[dict[str, Any]] = list(expected["records"])
        language = str(expected["language"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return SampleResult(sample, "?", "-", error=f"bad expected file: {exc!r}")
    result = SampleResult(sample, language, "-")
    actual: list[dict[str, Any]] = []
    try:
        extraction = registry.extract(parse_email(load_sample(sample, expected)))
        actual = [event_to_dict(e) for e in extraction.events]
        if actual and extraction.parser is not None:
            result.parser = extraction.parser.name
    except SmartReturnError as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    if not wanted:
        result.checks.append(Check("nothing", "nothing", "no records", _summary(actual), not actual))
        return result
    unused = list(range(len(actual)))
    for want in wanted:
        options = [(_checks(want, actual[i]), i) for i in unused]
        if options:
            best, index = max(options, key=lambda o: (sum(c.passed for c in o[0]), -o[1]))
            unused.remove(index)
        else:
            best = _checks(want, None)
        result.checks.extend(best)
    result.extra = len(unused)
    return result


def _summary(records: list[dict[str, Any]]) -> str | None:
    return ", ".join(r.get("kind", "?") for r in records) or None


def _norm(value: Any) -> str:
    return normalise_number(str(value)) if value is not None else ""


def _checks(want: dict[str, Any], got: dict[str, Any] | None) -> list[Check]:
    got = got or {}
    kind = str(want.get("kind"))
    checks = [Check("kind", kind, kind, got.get("kind"), got.get("kind") == kind)]
    for name in ("order_number", "pickup_code"):
        if want.get(name):
            value = got.get(name)
            checks.append(Check(name, kind, str(want[name]), value, _norm(value) == _norm(want[name])))
    refs = {_norm(t.get("number")): t for t in got.get("tracking", ())}
    for ref in want.get("tracking", ()):
        number = _norm(ref.get("number"))
        found = refs.get(number)
        checks.append(Check("tracking_number", kind, number, ", ".join(refs) or None, found is not None))
        if ref.get("carrier"):
            carrier = found.get("carrier") if found else None
            checks.append(Check("carrier", kind, ref["carrier"], carrier, carrier == ref["carrier"]))
    return checks


def score_folder(folders: Iterable[Path]) -> Score:
    samples: list[SampleResult] = []
    for folder in folders:
        folder = Path(folder)
        paths = [folder] if folder.is_file() else sample_files(folder)
        samples.extend(score_sample(p) for p in paths)
    return Score(samples)
