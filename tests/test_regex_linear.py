"""Every regex SmartReturn runs over mail text stays linear on long hostile lines (issue 10 item 2).

The patterns are collected automatically (tests/regex_audit.py: module globals and class attributes,
literal ``re.*`` calls, and everything compiled while the fixture corpus is parsed), so a new parser
regex is audited without anyone listing it. The rule is relative to a baseline measured in the same
run (CPU time on 20 KB <= SLOPE x 10 x CPU time on 2 KB + a floor), so a loaded machine does not fail
it; ``python -m tests.regex_audit --deep`` applies the same rule to the issue's 100 KB lines.
"""

from __future__ import annotations

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


_MOST = 10  # the audit stops after this many super-linear patterns: a failing run stays short


def _super_linear(keys: list[regex_audit.Key],
                  most: int | None = _MOST) -> dict[regex_audit.Key, list[regex_audit.Run]]:
    """The audit as this test file runs it on every test run: patterns of one template (carrier
    names, lexicon phrases) timed through one of them, on 20 KB lines, two worker processes."""
    return regex_audit.failures(regex_audit.audit(regex_audit.one_per_shape(keys), workers=2, most=most))


def test_every_pattern_over_mail_text_is_linear(patterns: dict[regex_audit.Key, str]) -> None:
    shapes = regex_audit.one_per_shape(list(patterns))
    bad = _super_linear(shapes)
    report = [f"{patterns[key]}: {key[0]!r:.160}\n    {runs[0]}" for key, runs in bad.items()]
    assert not report, f"{len(report)} super-linear pattern(s) (the audit stops at {_MOST}):\n" + "\n".join(report)
    assert len(shapes) >= 400  # the collection still finds the templates (563 shapes on 2026-12-06)


def _key(pattern: str | bytes, flags: int = re.IGNORECASE) -> regex_audit.Key:
    compiled = re.compile(pattern, flags)
    return compiled.pattern, compiled.flags


# Known-bad patterns: the forwarded-header regex that froze the daemon (37 s on 20,000 spaces), a label
# with two whitespace runs around an optional colon, a scan that restarts inside a run of digits, the
# textbook exponential one, and the forms of 2026-12-06 that this audit found on 100 KB lines and
# that were rewritten (each must still be caught on the 20 KB lines of every test run).
_KNOWN_BAD = [
    _key(r"^[ \t>]*\**\s*(from|date|subject)\s*\**\s*[:：]\s*\**\s*(.*)$"),
    _key(r"(?:订单号|order)\s*[:：]?\s*(\d{9,20})(?!\d)"),
    _key(r"(\d+(?:\.\d{1,2})?)\s*元"),
    _key(r"(a|a)*b"),
    # label_value: every tab of a run of tabs restarted "(?:^|\t)[ \t]*+"
    _key(r"(?:^|\t)[ \t]*+(?:carrier|shipping carrier)[ \t]*(?:[:#：][ \t]*\n?|\t|\n)[ \t]*([^\n\t]+)",
         re.IGNORECASE | re.MULTILINE),
    # label_value(anywhere=True): "carrier: " and a run of spaces split two ways between two [ \t]*
    _key(r"(?<!\w)(?:carrier|zusteller)\s*+[:#：]?[ \t]*\n?[ \t]*([A-Za-z][\w .&-]{1,30})"),
    # find_tracking: the look ahead read the rest of the line again after every label
    _key(r"(?<!\w)(?:sendungsnummer|tracking number)\s*+[:#：]?[ \t]*\n?[ \t]*+"
         r"((?=[A-Z0-9 ]*\d{4})[A-Z]{0,5}\d[A-Z0-9]*)\b"),
    # payment_card: an amount before its currency, restarted at every digit of a run
    _key(r"(\d{1,3}(?:[,  ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)[^\S\n]?(?:EUR|€)", 0),
    # ... and with only "(?<!\d)" in front: every group of "000 000 ..." read the rest of the line again
    _key(r"(?<!\d)(\d{1,3}(?:[,  ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)[^\S\n]?(?:EUR|€)", 0),
    # mail.mime's header-line test (bytes), restarted at every byte of a line of dashes
    _key(rb"From |[\041-\071\073-\176]*:|[\t ]", 0),
    # tracking.detect._IMMEDIATE: every start in a run of blanks read on to the end of the line
    _key(r"[\s:#.\-/=（(【\[]*(?:no\.?|nr\.?|number|号码?|id)?[\s:#.\-/=）)】\]]*\Z"),
    # mail.envelope: a quoted name then an address, restarted at every blank
    _key(r'\s*"[^"\\]*"\s*(<[^<>"\\]*>)\s*', 0),
]


def test_the_audit_reports_each_known_super_linear_pattern_among_good_ones(
        patterns: dict[regex_audit.Key, str]) -> None:
    good = regex_audit.one_per_shape(list(patterns))[:40]
    bad = _super_linear(good + _KNOWN_BAD, most=None)
    missed = [key[0] for key in _KNOWN_BAD if key not in bad]
    assert not missed, f"not found super-linear: {missed}"
    assert all(not runs[-1].linear for runs in bad.values())
    assert set(bad) == set(_KNOWN_BAD), f"linear patterns reported: {set(bad) - set(_KNOWN_BAD)}"


def test_the_rewritten_forms_of_the_known_bad_patterns_pass() -> None:
    rewritten = [
        r"^[ \t>]*+\**+\s*+(from|date|subject)\s*+\**+\s*+[:：]\s*+\**+\s*+(.*)$",
        r"(?:订单号|order)\s*+[:：]?\s*+(\d{9,20})(?!\d)",
        r"(\d{1,15}(?:\.\d{1,2})?)\s*元",
    ]
    assert _super_linear([_key(p) for p in rewritten]) == {}
