"""The allow-list is decided on the outer envelope the user's provider authenticated (issue 10 item 1).

Each attack is a forward of a real-looking order whose *original* sender and inner headers name the
owner, so a lenient reading of any header would let it through; the outer From is the attack.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from smartreturn.config import load_settings
from smartreturn.pipeline import Source, ingest_bytes
from smartreturn.store.tables import Message, Order

from tests.pipeline.mails import order_mail

OWNER = "owner@example.org"
IMAP = Source(kind="imap", account="main", folder="INBOX", uidvalidity=1, uid=1)


def settings(**env: str):
    base = {"ingest__allowed_forwarders": f'["{OWNER}"]'}
    return load_settings(env={f"SMARTRETURN_{k.upper()}": v for k, v in (base | env).items()})


def with_outer_headers(raw: bytes, *lines: str) -> bytes:
    """The forward with its outer From header replaced by ``lines`` (raw header lines, or none)."""
    head, sep, body = raw.partition(b"\n\n")
    head = re.sub(rb"(?m)^From: .*\n?", b"", head, count=1)
    extra = b"".join(line.encode() + b"\n" for line in lines)
    return extra + head + sep + body


def forward(order: str, *lines: str) -> bytes:
    # the original inside is "from" the owner too: only the outer header may decide
    return with_outer_headers(order_mail(order, sender=OWNER, outer_from=f"Owner <{OWNER}>"), *lines)


def orders(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Order))


BYPASSES = [
    ("missing", (), "no From header"),
    ("empty", ("From: <>",), "empty or incomplete address"),
    ("group", (f"From: {OWNER}:;",), "a group"),
    ("named group", (f"From: Owners: {OWNER};",), "a group"),
    ("route-ish", (f"From: <{OWNER}>@evil.test",), "route-like"),
    ("source route", (f"From: <@evil.test:{OWNER}>",), "source route"),
    ("display name only", (f"From: {OWNER} <stranger@evil.test>",), "display name"),
    ("two mailboxes", (f"From: {OWNER}, stranger@evil.test",), "2 mailboxes"),
    ("two headers", (f"From: {OWNER}", "From: stranger@evil.test"), "2 From headers"),
]


@pytest.mark.parametrize(("form", "lines", "why"), BYPASSES, ids=[b[0] for b in BYPASSES])
def test_each_bypass_form_is_stored_as_ignored_with_the_reason(sqlite_db, form, lines, why):
    raw = forward(f"BY-{form}", *lines)
    outcome = ingest_bytes(sqlite_db, raw, IMAP, settings())
    assert outcome.status == "ignored", outcome
    assert why in outcome.reason and outcome.reason.startswith("sender refused")
    assert orders(sqlite_db) == 0
    with sqlite_db.session() as session:
        assert session.get(Message, outcome.message_pk).raw == raw  # kept as evidence


def test_a_quoted_address_as_display_name_is_judged_by_the_real_address(sqlite_db):
    outcome = ingest_bytes(sqlite_db, forward("Q-1", f'From: "{OWNER}" <stranger@evil.test>'), IMAP, settings())
    assert outcome.status == "ignored" and "stranger@evil.test is not an allow-listed" in outcome.reason


def test_the_owner_with_ordinary_display_names_is_accepted(sqlite_db):
    for number, line in enumerate([f"From: Owner <{OWNER}>", f"From: {OWNER}", f"From: J. Owner <{OWNER}>",
                                   f"From: =?utf-8?q?Ow=C3=A9ner?= <{OWNER.upper()}>"]):
        outcome = ingest_bytes(sqlite_db, forward(f"OK-{number}", line), IMAP, settings())
        assert outcome.status == "parsed", (line, outcome.reason)
    assert orders(sqlite_db) == 4


def authres_mail(order: str, *results: str) -> bytes:
    return forward(order, *[f"Authentication-Results: {r}" for r in results], f"From: Owner <{OWNER}>")


REQUIRED = {"ingest__authserv_id": "mx.google.com", "ingest__require_authenticated": "true"}


def test_a_forged_from_with_dmarc_fail_from_the_trusted_authserv_id_is_ignored(sqlite_db):
    raw = authres_mail("AR-1", "mx.google.com; dkim=fail header.d=example.org; dmarc=fail (p=NONE) header.from=example.org")
    outcome = ingest_bytes(sqlite_db, raw, IMAP, settings(**REQUIRED))
    assert outcome.status == "ignored"
    assert "did not authenticate example.org" in outcome.reason and "dmarc=fail" in outcome.reason
    assert orders(sqlite_db) == 0
    # without require_authenticated such a mail is parsed (the header is only read when asked)
    other = raw.replace(b"AR-1", b"AR-1b")
    assert ingest_bytes(sqlite_db, other, IMAP, settings()).status == "parsed"


def test_aligned_dmarc_or_dkim_pass_from_the_trusted_authserv_id_is_accepted(sqlite_db):
    dmarc = authres_mail("AR-2", "mx.google.com; spf=pass smtp.mailfrom=example.org; dmarc=pass (p=REJECT) header.from=example.org")
    dkim = authres_mail("AR-3", "mx.google.com; dkim=pass header.i=@example.org header.s=s1")
    parent = authres_mail("AR-4", "mx.google.com; dkim=pass header.d=example.org")
    for raw in (dmarc, dkim, parent):
        outcome = ingest_bytes(sqlite_db, raw, IMAP, settings(**REQUIRED))
        assert outcome.status == "parsed", outcome.reason
    assert orders(sqlite_db) == 3


@pytest.mark.parametrize(("case", "results"), [
    ("no header", ()),
    ("other authserv-id", ("mx.evil.test; dmarc=pass header.from=example.org",)),
    ("unaligned dkim", ("mx.google.com; dkim=pass header.d=evil.test",)),
    ("dmarc for another domain", ("mx.google.com; dmarc=pass header.from=evil.test",)),
    ("spf only", ("mx.google.com; spf=pass smtp.mailfrom=example.org",)),
    # the provider's header is the topmost with its id; a pass lower down came with the mail
    ("forged lower header", ("mx.google.com; dmarc=fail header.from=example.org",
                             "mx.google.com; dmarc=pass header.from=example.org")),
    ("unparsable", ("mx.google.com dmarc=pass;;; ===",)),
])
def test_anything_but_an_aligned_pass_from_the_topmost_trusted_header_is_ignored(sqlite_db, case, results):
    outcome = ingest_bytes(sqlite_db, authres_mail(f"AR-{case}", *results), IMAP, settings(**REQUIRED))
    assert outcome.status == "ignored", case
    assert "ingest.require_authenticated" in outcome.reason
    assert orders(sqlite_db) == 0


def test_require_authenticated_without_an_authserv_id_is_a_config_error():
    from smartreturn.errors import ConfigError

    with pytest.raises(ConfigError, match="ingest.*authserv_id"):
        settings(ingest__require_authenticated="true")


def test_local_files_the_user_picked_are_not_allow_listed(sqlite_db):
    outcome = ingest_bytes(sqlite_db, forward("LOCAL-1"), Source(kind="file", path="x.eml"), settings(**REQUIRED))
    assert outcome.status == "parsed"


def test_an_encoded_word_in_a_quoted_display_name_is_judged_by_the_address_alone(sqlite_db):
    # 163.com, QQ Mail and many Chinese mailers quote the encoded display name (RFC 2047 forbids it);
    # the name is never used to decide, so only the <address> after it counts
    name = '"=?GBK?B?wO7EyA==?="'  # 李娜
    outcome = ingest_bytes(sqlite_db, forward("GBK-1", f"From: {name} <{OWNER}>"), IMAP, settings())
    assert outcome.status == "parsed", outcome.reason
    stranger = ingest_bytes(sqlite_db, forward("GBK-2", f"From: {name} <stranger@evil.test>"), IMAP, settings())
    assert stranger.status == "ignored" and "stranger@evil.test is not an allow-listed" in stranger.reason
    name_is_owner = f'"=?utf-8?q?{OWNER}?=" <stranger@evil.test>'
    disguised = ingest_bytes(sqlite_db, forward("GBK-3", f"From: {name_is_owner}"), IMAP, settings())
    assert disguised.status == "ignored" and "stranger@evil.test is not an allow-listed" in disguised.reason
    for number, attack in enumerate([f"{name} <{OWNER}>@evil.test", f"{name} <{OWNER}>, <stranger@evil.test>",
                                     f"{name} <@evil.test:{OWNER}>", f"{name} <>", f"{name} <{OWNER}:;>"]):
        refused = ingest_bytes(sqlite_db, forward(f"GBK-A{number}", f"From: {attack}"), IMAP, settings())
        assert refused.status == "ignored" and refused.reason.startswith("sender refused"), (attack, refused.reason)
    assert orders(sqlite_db) == 1
