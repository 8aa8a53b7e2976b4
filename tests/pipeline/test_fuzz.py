"""Fuzzing the real pipeline: mutated real-looking mails (byte flips, cuts, broken boundaries, bogus
charsets, 8-bit and NUL bytes in headers, deep nesting, long lines) into a real SQLite file. Every mail
is stored exactly once, with a status, and no exception escapes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from smartreturn.config import load_settings
from smartreturn.pipeline import Source, content_hash, ingest_batch
from smartreturn.store.db import open_database
from smartreturn.store.tables import Message

ROOT = Path(__file__).resolve().parent.parent.parent
SEEDS = [p.read_bytes() for p in sorted((ROOT / "fixtures").rglob("*.eml"))[::4]]
STATUSES = {"parsed", "ignored", "unmatched", "failed"}


@st.composite
def mutated_mail(draw: st.DrawFn) -> bytes:
    raw = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "boundary", "charset", "header", "nest", "line"]))
        at = draw(st.integers(0, max(0, len(raw) - 1)))
        if kind == "flip" and raw:
            raw[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del raw[at:]
        elif kind == "insert":
            raw[at:at] = draw(st.binary(max_size=40))
        elif kind == "boundary":
            raw = bytearray(bytes(raw).replace(b"boundary=", b"boundary=x", 1).replace(b"\n--", b"\n-", 1))
        elif kind == "charset":
            raw = bytearray(bytes(raw).replace(b"charset=", b"charset=" + draw(st.sampled_from(
                [b"x-bogus-", b"\xff\xfe", b"utf-7;", b"\"", b"gb2312\x00"])), 1))
        elif kind == "header":
            raw[0:0] = draw(st.sampled_from([b"Message-ID: <\xff\xfe@x>\r\n", b"Subject: \x00\xff\r\n",
                                             b"From: \xe9\x00 <a@\xff>\r\n", b"Content-Disposition: a\xff\r\n"]))
        elif kind == "nest":
            depth = draw(st.integers(1, 60))
            raw[0:0] = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
                                for i in range(depth))
        elif kind == "line":
            raw[at:at] = draw(st.sampled_from([b" ", b"\t", b"-", b"1", b"<", b"From: "])) * draw(
                st.integers(1000, 60_000))
    return bytes(raw)


# 500 batches of 1-6 mails: about 1,750 mutated mails in well under a minute of CI (on a quiet machine);
# 1 MB lines and 10,000 mails are bench/bench_mutated.py's job
@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(st.lists(mutated_mail(), min_size=1, max_size=6))
def test_every_mutated_mail_is_stored_exactly_once_with_a_status(tmp_path_factory, not_clock_shifted, mails):
    db = _DB.get(tmp_path_factory)
    with db.session() as session:
        outcomes = ingest_batch(session, [(raw, Source(kind="file", path="fuzz.eml")) for raw in mails], _SETTINGS)
    assert len(outcomes) == len(mails)
    with db.session() as session:
        for raw, outcome in zip(mails, outcomes):
            rows = session.execute(select(Message.raw, Message.status).where(
                Message.content_hash == content_hash(raw))).all()
            assert len(rows) == 1 and rows[0][0] == raw and rows[0][1] in STATUSES
            assert outcome.status.value == rows[0][1]


_SETTINGS = load_settings(env={})


@pytest.fixture(scope="module")
def not_clock_shifted(request: pytest.FixtureRequest) -> None:
    # Nothing here depends on the date, and the suite runs once more per clock shift
    # (tests/test_clock_independence.py): that would triple the fuzz time for nothing.
    if request.config.getoption("--clock-shift"):
        pytest.skip("the fuzz suite does not depend on the date; it runs once, unshifted")


class _DB:
    """One SQLite file for the whole run (a fresh migrated database per example would cost seconds)."""

    db = None

    @classmethod
    def get(cls, factory):
        if cls.db is None:
            cls.db = open_database(f"sqlite:///{factory.mktemp('fuzz') / 'smartreturn.db'}")
        return cls.db
