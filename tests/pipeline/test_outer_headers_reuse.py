"""The allow-list reads the outer header fields the decoder's parse already holds (``Email.outer_items``)
only where they equal a parse of the header block alone: every fixture mail and hostile header blocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartreturn.errors import ParseError
from smartreturn.mail import envelope
from smartreturn.mail.decode import parse_email

from tests.pipeline.mails import order_mail

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

_HOSTILE = [
    b"From: a@b.example\nFrom: c@d.example\nSubject: two\n\nbody",
    b"From: a@b.example\r\nSubject: crlf\r\n\r\nFrom: evil@x.example\r\n",
    b"Subject: bare cr\rFrom: a@b.example\r\rFrom: evil@x.example\n\nbody",
    b"From: a@b.example\nnot a header line\nFrom: evil@x.example\n\nbody",
    b"From: a@b.example\n Folded: still from\nSubject: x\n\nbody",
    b"From: \xe6\x9d\x8e <li@b.example>\nSubject: 8-bit\n\nbody",
    b"From: \xff\xfe <x@b.example>\nSubject: bad bytes\n\nbody",
    b"From a@b.example Mon Jan  1 00:00:00 2026\nFrom: a@b.example\nSubject: mbox\n\nbody",
    b"From: a@b.example\nSubject: no blank line, no body",
    b"From: a@b.example\nSubject: x\n \n\nbody after a blank-looking fold",
    b"From: a@b.example\nX-Long: " + b"y" * 300_000 + b"\nSubject: x\n\nbody",
    b"From: a@b.example\nContent-Type: multipart/mixed; boundary=b\n\n--b\nFrom: evil@x.example\n\nx\n--b--\n",
]


def _raws() -> list[bytes]:
    raws = [p.read_bytes() for p in sorted(FIXTURES.rglob("*.eml"))]
    raws.append(order_mail("A1", sender="shop@example.com", outer_from="Owner <owner@example.org>"))
    return raws + _HOSTILE


@pytest.mark.parametrize("index", range(len(_raws())))
def test_the_outer_fields_of_the_parse_equal_those_of_the_header_block(index: int) -> None:
    raw = _raws()[index]
    try:
        email = parse_email(raw)
    except ParseError:
        return  # not read at all: never judged
    assert envelope.outer_headers(raw, email.outer_items) == envelope.outer_headers(raw)
