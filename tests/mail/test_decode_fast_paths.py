"""The shortcuts taken for speed give what the full path gives (the forward marker gate, plain header values)."""

from __future__ import annotations

import re
from pathlib import Path

from smartreturn.mail import decode, forward

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

_MARKER_SAMPLES = [
    "---------- Forwarded message ---------\nFrom: a@b.example",
    "hello\n  > -----Original Message-----\n",
    "Begin forwarded message:\n", "BEGIN FORWARDED MESSAGE :\n", "Begin forwarded meſſage:\n",
    "Anfang der weitergeleiteten Nachricht:\n", "ANFANG DER WEITERGELEITETEN NACHRICHT:\n",
    "以下是转发的邮件：\n", "开始转发的邮件:\n", "-- Forwarded by Li Wei on 2026-11-02 --\n",
    "no marker here\nFrom: x@y.example", "", "-\n-\n", "—— 转发 ——",
]


def _texts() -> list[str]:
    texts = list(_MARKER_SAMPLES)
    for path in sorted(FIXTURES.rglob("*.eml")):
        parsed = decode._decode_message(decode._parse_mime(path.read_bytes()), b"")
        texts += [parsed.text, parsed.html or ""]
    return texts


_MORE = [
    "intro\n--\nsig\n\n   ---------- Forwarded message ---------\nFrom: a@b.example\nDate: x\n",
    "a -- b\n> --- Original ---\n", "x\r\n-----Original Message-----\r\nFrom: a@b\r\n",
    "line one\n--- Original Message ---\n\nLater: Begin forwarded message:\n", "----\n" * 50,
    "ſee below\n---------- Forwarded meſſage ----------\n", "<div>From: shop@example.com</div>",
    '<blockquote TYPE="cite">', "<div class=GMAIL_QUOTE>", "<p>Ursprüngliche Nachricht</p>", "<p>转发</p>",
    "<p>type= no cite; type=xcite</p>", "<p>nothing here</p>", "İstanbul — type=cite", "",
]


def test_the_marker_gate_never_hides_a_marker() -> None:
    for text in _texts() + _MORE:
        if forward._MARKERS.search(text):
            assert forward._may_have_marker(text), text[:200]


def test_markers_and_html_hints_are_found_where_the_full_scan_finds_them() -> None:
    for text in _texts() + _MORE:
        full = forward._MARKERS.search(text)
        found = forward._find_marker(text)
        assert (found and (found.span(), found.group())) == (full and (full.span(), full.group())), text[:200]
        assert forward._has_html_hint(text) == bool(forward._HTML_HINT.search(text)), text[:200]


def test_every_html_hint_alternative_begins_with_a_listed_start() -> None:
    for alternative in forward._HTML_HINT.pattern.split("|"):  # no groups: "|" splits the alternatives
        assert alternative.lower().startswith(forward._HTML_HINT_STARTS), alternative


def _full_path(value: str) -> str:
    """decode._decode_header_value as it was before its shortcut for plain values."""
    value = decode._unsurrogate(decode._FOLD.sub("", value))
    if "=?" not in value:
        return decode.visible(decode._WS.sub(" ", value).strip())
    return decode._decode_header_value(value)


def test_plain_header_values_decode_as_before() -> None:
    values = ["Your order", "  Your order  ", "a  b", "a\tb", "a\r\n b", "x\x00y", "=?utf-8?q?a?=", "caf\udce9",
              " ", "", "Ünïcode", "a\x1cb", "\x0bv", "ends with tab\t", "long " * 40]
    for path in sorted(FIXTURES.rglob("*.eml")):
        values += [v for _, v in decode._raw_headers(decode._parse_mime(path.read_bytes()))]
    for value in values:
        assert decode._decode_header_value(value) == _full_path(value), repr(value)
    # the shortcut's premise: the space is the only character of printable ASCII that \s matches
    assert [c for c in map(chr, range(128)) if c.isprintable() and re.match(r"\s", c)] == [" "]

