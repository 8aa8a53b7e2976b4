"""Every real sample mail in fixtures/real reads the same once a user forwards it to SmartReturn.

Each ``.eml`` is forwarded the way Gmail (en, de), Outlook (en, de), Apple Mail (en, de), QQ Mail and
163 write an inline forward, and as a ``message/rfc822`` attachment (tests/parsers/forwarding.py copies
the real forwards in tests/mail/data/). The forward arrives by IMAP from an allow-listed forwarder and goes
through :func:`~smartreturn.parse_mail.read_message`, the daemon's entry point; the sample read directly
goes through the same function as a local file (the real-samples score reads it the same way). What the
parsers extract must be the same: status, parser, and per record kind, platform, order number, tracking
numbers and carriers, amounts, pickup code, dates; and the original's sender, subject and date.

The real mail bodies (``.txt`` of mail, not SMS) are forwarded the same way, as the score reads them.

Dates are compared as instants, to the minute for inline forms (Gmail, Outlook and QQ write the
original's date without seconds). Differences a forward cannot avoid are listed in :data:`EXPECTED`
with the reason; a listed case that reads the same again fails too, so that the list stays true.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from smartreturn.parse_mail import Reading, read_message
from smartreturn.parsers.score import expected_file, load_sample, sample_files
from smartreturn.reading import ReadOptions
from tests.conftest import FIXTURES
from tests.parsers.forwarding import FORMS, FORWARDERS, forward

REAL = FIXTURES / "real"
SAMPLES = [path for path in sample_files(REAL) if path.suffix == ".eml"]
# Real mail whose source kept only the text (SOURCES.md: "mail bodies"), not SMS: read as the score reads
# them (the add-text wrapping) and forwarded like that, so that each client's charset and transfer
# encoding carries their Japanese, French and English text (163's GBK, Outlook's iso-8859-1, QQ's GB18030)
MAIL_BODY_FOLDERS = ("nklmthr_finance_mail", "suin_japannetbank_mail", "itonami_paypay_bank", "shoonoise_assistant_inbox")
MAIL_BODIES = [path for path in sample_files(REAL) if path.parent.name in MAIL_BODY_FOLDERS
               or path.name == "phishdb259_post_import_fee_mail_body.txt"]
OPTIONS = ReadOptions(max_message_bytes=10_000_000, allowed_forwarders=FORWARDERS, require_authenticated=False,
                      authserv_id=None)
INLINE_WITHOUT_SECONDS = {"gmail_en", "gmail_de", "outlook_en", "outlook_de", "qq_zh"}

_NESTED_ZONE = ("the sample is itself a forward whose header block names no zone ('On Tuesday, June 10th, 2025 "
                "at 7:42 PM'): read directly, that date is taken in the sample's own Date offset (+0000); "
                "forwarded inline again, that Date header is not in the body and the new forwarder's offset "
                "(MESZ, China time) is all there is")
# (sample file name, form) -> why the forward cannot read the same
EXPECTED: dict[tuple[str, str], str] = {
    (f"rbc_fw-{name}.eml", form): _NESTED_ZONE
    for name in ("approaching-credit-limit", "deposit-notice", "payment-made", "withdrawal-warning",
                 "you-made-a-purchase-no-account", "you-made-a-purchase", "you-received-a-credit")
    for form in ("apple_de", "qq_zh", "netease_zh")
}


def _instant(value: datetime | None, minutes: bool) -> str | None:
    if value is None:
        return None
    value = value.astimezone(tz=None).replace(microsecond=0)
    return value.replace(second=0).isoformat() if minutes else value.isoformat()


def _money(money: Any) -> str | None:
    return f"{money.amount} {money.currency}" if money is not None else None


def reading_of(reading: Reading, minutes: bool) -> dict[str, Any]:
    """What must survive a forward: outcome, the original's sender/subject/date and the records' fields."""
    email, extraction = reading.email, reading.extraction
    parsed = reading.status.value == "parsed" and extraction is not None
    events = extraction.events if parsed and extraction is not None else []
    return {
        "status": reading.status.value,
        "refused": (reading.reason or "").startswith(("sender ", "no allow-listed")),  # by the allow-list
        "parser": extraction.parser.name if parsed and extraction is not None and extraction.parser else None,
        "from": email.from_addr if email else None,
        "subject": email.subject if email else None,
        "date": _instant(email.received, minutes) if email else None,
        "records": [{
            "kind": e.kind.value, "platform": e.platform, "order_number": e.order_number,
            "tracking": sorted((t.number, t.carrier or "") for t in e.tracking),
            "total": _money(e.total), "refund": _money(e.refund_amount), "pickup_code": e.pickup_code,
            "occurred_at": _instant(e.occurred_at, minutes),
            "expected_delivery": e.expected_delivery.isoformat() if e.expected_delivery else None,
        } for e in events],
    }


def compare(raw: bytes, form: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(direct, forwarded) readings of one mail."""
    minutes = form in INLINE_WITHOUT_SECONDS
    direct = reading_of(read_message(raw, "file", OPTIONS, "direct"), minutes)
    forwarded = reading_of(read_message(forward(raw, form), "imap", OPTIONS, "forwarded"), minutes)
    return direct, forwarded


def _differences(direct: dict[str, Any], forwarded: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {key: (direct[key], forwarded[key]) for key in direct if direct[key] != forwarded[key]}


def test_there_are_real_mails_to_forward() -> None:
    assert len(SAMPLES) >= 20
    assert set(EXPECTED) <= {(p.name, f) for p in SAMPLES for f in FORMS}


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_a_forwarded_real_mail_reads_as_the_mail_itself(sample: Path, form: str) -> None:
    direct, forwarded = compare(sample.read_bytes(), form)
    assert not forwarded["refused"], forwarded  # the forwarder is allow-listed
    differences = _differences(direct, forwarded)
    reason = EXPECTED.get((sample.name, form))
    if reason is None:
        assert not differences, differences
    else:
        assert differences, f"reads the same now: drop it from EXPECTED ({reason})"


def test_there_are_real_mail_bodies_to_forward() -> None:
    assert len(MAIL_BODIES) >= 39


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("sample", MAIL_BODIES, ids=[p.name for p in MAIL_BODIES])
def test_a_forwarded_real_mail_body_reads_as_the_body_itself(sample: Path, form: str) -> None:
    raw = load_sample(sample, json.loads(expected_file(sample).read_text(encoding="utf-8")))
    direct, forwarded = compare(raw, form)
    assert not forwarded["refused"], forwarded
    assert not _differences(direct, forwarded), _differences(direct, forwarded)
