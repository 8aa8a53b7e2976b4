"""MIME nesting of any depth is read without recursion: the same tree as the stdlib's for real mail,
the text of parts 1,000 levels down, and a stated limit far below what a mail could hold."""

from __future__ import annotations

import email
import sys
import time
from pathlib import Path

import pytest

from smartreturn.mail import mime
from smartreturn.mail.decode import parse_email
from tests.timing import patience

FIXTURES = sorted((Path(__file__).resolve().parents[2] / "fixtures").rglob("*.eml"))
HEAD = (b"From: UPS <mcinfo@ups.com>\r\nTo: me@example.org\r\nSubject: Your package\r\n"
        b"Date: Mon, 02 Nov 2026 10:00:00 +0000\r\nMessage-ID: <deep@ups.com>\r\nMIME-Version: 1.0\r\n")
LEAF = b"Content-Type: text/plain; charset=utf-8\r\n\r\nUPS tracking number: 1Z999AA10123456784\r\n"


def nested(depth: int, leaf: bytes = LEAF, *, closed: bool = True) -> bytes:
    """A mail whose text part sits ``depth`` multipart levels down (what a hostile sender writes)."""
    opening = b"".join(b"Content-Type: multipart/mixed; boundary=n%d\r\n\r\n--n%d\r\n" % (i, i) for i in range(depth))
    closing = b"".join(b"\r\n--n%d--\r\n" % i for i in reversed(range(depth))) if closed else b""
    return HEAD + opening + leaf + closing


def _tree(msg: email.message.Message) -> list[tuple]:
    return [(part.get_content_type(), tuple(part.items()),
             None if part.is_multipart() else part.get_payload(decode=True),
             tuple(type(d).__name__ for d in part.defects)) for part in mime.walk(msg)]


def test_the_iterative_split_gives_the_stdlib_tree_for_every_fixture() -> None:
    assert len(FIXTURES) > 150
    for path in FIXTURES:
        raw = path.read_bytes()
        assert _tree(mime._split(raw)) == _tree(email.message_from_bytes(raw)), path  # noqa: SLF001


def test_walk_yields_what_the_stdlib_walk_yields() -> None:
    for path in FIXTURES[::10]:
        msg = email.message_from_bytes(path.read_bytes())
        assert list(mime.walk(msg)) == list(msg.walk())


@pytest.mark.parametrize("depth", [1_000, mime.MAX_DEPTH])
def test_text_deep_down_is_read_without_recursion(depth: int) -> None:
    assert depth * 3 > sys.getrecursionlimit()  # deeper than the stdlib parser could go
    for closed in (True, False):  # truncated: every level's close delimiter missing
        email_ = parse_email(nested(depth, closed=closed))
        assert email_.text == "UPS tracking number: 1Z999AA10123456784"
        assert ("CloseBoundaryNotFoundDefect" in email_.defects) is not closed
        assert "DepthLimitDefect" not in email_.defects


def test_parts_below_the_depth_limit_are_kept_unread_and_marked() -> None:
    email_ = parse_email(nested(mime.MAX_DEPTH + 1))
    assert email_.text == "" and "DepthLimitDefect" in email_.defects


def test_splitting_is_linear_in_the_depth() -> None:
    """50,000 levels (a 3 MB mail) cost about 25 times 2,000 levels' time, never quadratic; and only
    the first MAX_DEPTH levels are split."""
    def timed(depth: int) -> float:
        raw = nested(depth)
        started = time.process_time()
        mime.parse_mime(raw)
        return time.process_time() - started

    small = min(timed(2_000) for _ in range(3))
    large = timed(50_000)
    assert large < 25 * small + 0.5 * patience(), (small, large)


def test_depth_bound_counts_what_the_nesting_regex_finds() -> None:
    """depth_bound counts the two words in the lower-cased bytes; the regex scan it replaced gives the same."""
    import random
    import re

    nesting = re.compile(rb"(multipart)|message/", re.IGNORECASE)

    def scanned(raw: bytes, limit: int) -> int:
        depth = 1
        for match in nesting.finditer(raw):
            depth += 2 if match.group(1) else 1
            if depth > limit:
                break
        return depth

    rng = random.Random(1)
    words = [b"MultiPart", b"message/", b"MESSAGE/", b"multipartmessage/", b"x", b"mmultipart", b"\n", b"\xc4\xb0"]
    for _ in range(2_000):
        raw = b"".join(rng.choice(words) for _ in range(rng.randrange(0, 120)))
        for limit in (100, 7, 1):
            assert mime.depth_bound(raw, limit) == scanned(raw, limit)
