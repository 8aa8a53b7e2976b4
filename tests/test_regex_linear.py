"""Every regex SmartReturn runs over mail text stays linear on 100 KB hostile lines (issue 10 item 2).

The patterns are collected automatically (tests/regex_audit.py: module globals and class attributes,
literal ``re.*`` calls, and everything compiled while the fixture corpus is parsed), so a new parser
regex is audited without anyone listing it. The rule is relative to a baseline measured in the same
run (CPU time on 100 KB <= SLOPE x 10 x CPU time on 10 KB + FLOOR), so a loaded machine does not fail it.
"""

from __future__ import annotations

import os
import re

import pytest

from tests import regex_audit

# Patterns that mail text reaches, by the module that holds or compiles them: the audit must find
# each of these areas, or it has stopped looking where it should.
_AREAS = ("smartreturn.parsers.", "smartreturn.mail.", "smartreturn.tracking.detect", "smartreturn.parsers.generic",
          "smartreturn.tracking.carriers")


@pytest.fixture(scope="module")
def patterns() -> dict[regex_audit.Key, str]:
    return regex_audit.collect()


def test_the_audit_sees_every_area_that_reads_mail_text(patterns: dict[regex_audit.Key, str]) -> None:
    where = list(patterns.values())
    for area in _AREAS:
        assert any(w.startswith(area) for w in where), f"no pattern collected from {area}"
    # run-time patterns (f-strings over lexicon labels) are collected too, not only module constants
    assert any(w.endswith("(run time)") and w.startswith("smartreturn.parsers.generic") for w in where)


@pytest.mark.skipif(not os.environ.get("SMARTRETURN_REGEX_AUDIT"),
                    reason="~4 CPU minutes today: set SMARTRETURN_REGEX_AUDIT=1 (too slow for CI yet)")
def test_every_pattern_over_mail_text_is_linear(patterns: dict[regex_audit.Key, str]) -> None:
    # patterns of one template (carrier names, lexicon phrases) are timed through one of them
    shapes = regex_audit.one_per_shape(list(patterns))
    results = regex_audit.audit(shapes)
    assert len(results) == len(shapes) and all(results.values())
    bad = regex_audit.failures(results)
    report = [f"{patterns[key]}: {key[0]!r:.160}\n    {runs[0]}" for key, runs in bad.items()]
    assert not report, f"{len(report)} super-linear pattern(s):\n" + "\n".join(report)


# Known-bad patterns: the forwarded-header regex that froze the daemon (37 s on 20,000 spaces), a label
# with two whitespace runs around an optional colon, and a scan that restarts inside a run of digits.
_KNOWN_BAD = [
    r"^[ \t>]*\**\s*(from|date|subject)\s*\**\s*[:：]\s*\**\s*(.*)$",
    r"(?:订单号|order)\s*[:：]?\s*(\d{9,20})(?!\d)",
    r"(\d+(?:\.\d{1,2})?)\s*元",
]


@pytest.mark.parametrize("pattern", _KNOWN_BAD)
def test_the_audit_fails_a_known_super_linear_pattern(pattern: str) -> None:
    key = (re.compile(pattern, re.IGNORECASE).pattern, re.compile(pattern, re.IGNORECASE).flags)
    bad = regex_audit.failures(regex_audit.audit([key]))
    assert key in bad, f"{pattern!r} was not found super-linear"
    assert not bad[key][-1].linear


def test_the_rewritten_forms_of_the_known_bad_patterns_pass() -> None:
    rewritten = [
        r"^[ \t>]*+\**+\s*+(from|date|subject)\s*+\**+\s*+[:：]\s*+\**+\s*+(.*)$",
        r"(?:订单号|order)\s*+[:：]?\s*+(\d{9,20})(?!\d)",
        r"(\d{1,15}(?:\.\d{1,2})?)\s*元",
    ]
    keys = [(re.compile(p, re.IGNORECASE).pattern, re.compile(p, re.IGNORECASE).flags) for p in rewritten]
    assert regex_audit.failures(regex_audit.audit(keys)) == {}
