"""Who really sent a mail: the outer From, parsed strictly, and what the user's provider authenticated.

The allow-list is decided here and only here, on the message as it arrived (never on a forwarded
original's headers, which the forwarder's mail body supplies):

* **Strict From.** Exactly one ``From:`` header holding exactly one syntactically valid RFC 5322
  mailbox. The stdlib's ``email.headerregistry`` parser reads the header and records every deviation
  as a defect; any ``InvalidHeaderDefect`` or obsolete route rejects it, so the lenient readings that
  let ``From: <owner@example.org>@evil.test`` or ``From: owner@example.org <stranger@evil.test>``
  pass as the owner are never used. Empty (``<>``), group (``owner@example.org:;``), several
  mailboxes and a missing header are refused with a reason saying which. One deviation is accepted:
  an RFC 2047 encoded word inside a quoted display name (``From: "=?GBK?B?...?=" <user@163.com>``,
  what 163.com, QQ Mail and many Chinese mailers write). RFC 2047 section 5 forbids it, but it
  concerns only the display name, which the decision never reads: it is accepted when the display
  name is one plain quoted string and the ``<address>`` after it is, on its own, one valid mailbox.
* **Authentication-Results** (RFC 8601), parsed with ``authres``. Only headers stamped with the
  authserv-id the user configured (``ingest.authserv_id``, e.g. ``mx.google.com``) count, and of those
  only the topmost: the provider prepends its own header, so any header with that id further down
  was in the mail before it reached the provider and may be forged. With
  ``ingest.require_authenticated`` a mail is accepted only with ``dmarc=pass`` whose ``header.from``
  is the From domain, or ``dkim=pass`` whose signing domain (``header.d``/``header.i``) is aligned
  with it (equal, or the From domain is a subdomain of it: DMARC's relaxed alignment).
"""

from __future__ import annotations

import email.parser
import email.policy
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import HeaderRegistry
from functools import lru_cache
from typing import TYPE_CHECKING

import authres

from smartreturn.mail.decode import decode_bytes

if TYPE_CHECKING:
    from smartreturn.config import IngestSettings
    from smartreturn.reading import ReadOptions

__all__ = ["Sender", "authenticated", "merchant_address", "outer_headers", "refusal", "strict_sender"]

HEADER_BLOCK_LIMIT = 256 * 1024  # no provider writes more header than this; the rest is body
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_REGISTRY = HeaderRegistry()
_GROUP_END = re.compile(r":[\s;]*;\s*$")  # "owner@example.org:;" (anchored at ':': linear)
MAX_FROM = 2048  # characters; a longer From header is refused before any parsing
_SHOWN = 80  # characters of a hostile header value quoted in a reason


@dataclass(frozen=True, slots=True)
class Sender:
    """The outer sender: ``address`` when the From header is one valid mailbox, else ``refusal``."""

    address: str | None
    refusal: str | None = None

    @property
    def domain(self) -> str:
        return (self.address or "").rpartition("@")[2]


def refusal(raw: bytes, settings: IngestSettings | ReadOptions,
            parsed: Sequence[tuple[str, str]] | None = None) -> str | None:
    """Why a mail that arrived must not be parsed (the reason stored with ``ignored``), or None.
    ``parsed``: ``Email.outer_items`` (see :func:`outer_headers`)."""
    allowed = settings.allowed_forwarders
    if not allowed:
        return "no allow-listed forwarders configured (ingest.allowed_forwarders)"
    headers = outer_headers(raw, parsed)
    sender = strict_sender(headers)
    if sender.address is None:
        return f"sender refused: {sender.refusal}"
    exact, domains = _allow_index(tuple(allowed))
    if sender.address not in exact and not sender.address.endswith(domains):
        return f"sender {sender.address} is not an allow-listed forwarder"
    if settings.require_authenticated and settings.authserv_id:
        return authenticated(headers, settings.authserv_id, sender)
    return None


@lru_cache(maxsize=4)
def _allow_index(allowed: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...]]:
    """The allow-list as a set of addresses and a tuple of "@domain" endings: an entry allows the sender
    when it is the address, or begins with "@" and the address ends with it (one lookup, not a loop)."""
    return frozenset(allowed), tuple(entry for entry in allowed if entry.startswith("@"))


def outer_headers(raw: bytes, parsed: Sequence[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """The header fields of the message as received, in order (8-bit bytes decoded, never raises).

    ``parsed``: the (name, raw value) fields the stdlib's compat32 parser read when it parsed all of
    ``raw`` (``Email.outer_items``). Its header parser reads the same lines either way and stops at the
    first line that is no header field, which is at or before the first blank line: so when the block
    up to that blank line is read whole (it lies within HEADER_BLOCK_LIMIT), the fields are the same
    and are not parsed a second time."""
    match = _HEADER_END.search(raw, 0, HEADER_BLOCK_LIMIT)
    if parsed is not None and match is not None:
        return [(str(name), _text(value)) for name, value in parsed]
    block = raw[: match.end()] if match else raw[:HEADER_BLOCK_LIMIT]
    fields = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(block)
    return [(str(name), _text(value)) for name, value in fields.raw_items()]


def _text(value: object) -> str:
    text = str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # raw 8-bit bytes arrive as surrogate escapes
        text = decode_bytes(text.encode("ascii", "surrogateescape"))
    return re.sub(r"\r?\n(?=[ \t])", "", text)


def _shown(value: str) -> str:
    return repr(value[:_SHOWN] + ("…" if len(value) > _SHOWN else ""))


def strict_sender(headers: list[tuple[str, str]]) -> Sender:
    """The one mailbox of the single From header, or why there is none."""
    values = [value for name, value in headers if name.lower() == "from"]
    if not values:
        return Sender(None, "no From header")
    if len(values) > 1:
        return Sender(None, f"{len(values)} From headers (exactly one is allowed)")
    value = values[0]
    if not value.strip():
        return Sender(None, "empty From header")
    if len(value) > MAX_FROM:
        return Sender(None, f"From header longer than {MAX_FROM} characters")
    return _sender_of(value)


# The outer From of mail that arrived is an allow-listed forwarder's: a handful of values, each parsed by
# the stdlib's header registry (~0.3 ms, a quarter of reading a mail). Sender is immutable and the
# verdict depends on the value alone, so one parse per distinct value gives the same Sender (values of
# at most MAX_FROM characters: the cache holds at most 256 × 2 KB).
@lru_cache(maxsize=256)
def _sender_of(value: str) -> Sender:
    try:
        header = _REGISTRY("From", value)
    except Exception:  # noqa: BLE001 - the stdlib parser on hostile input: refuse, never crash
        return Sender(None, f"From {_shown(value)} cannot be parsed")
    problem = _problem(value, header)
    if problem:
        return Sender(None, f"From {_shown(value)} is {problem}")
    return Sender(header.addresses[0].addr_spec.lower())


def _problem(value: str, header) -> str | None:
    addresses = header.addresses
    invalid = [str(d) for d in header.defects if not _harmless(d)]
    if _quoted_encoded_name(value, invalid, header):
        invalid = []
    if any(group.display_name is not None for group in header.groups) or re.search(r":[\s;]*;\s*$", value):
        return "a group, not a mailbox"
    if len(addresses) > 1:
        return f"{len(addresses)} mailboxes, not one"
    if not addresses or not addresses[0].username or not addresses[0].domain:
        return "an empty or incomplete address"
    if ">" in value and "@" in value.rpartition(">")[2]:
        return "a route-like form (text after the address)"
    if any("route" in d for d in invalid):
        return "a source route"
    if invalid and "@" in value.partition("<")[0] and "<" in value:
        return "an address shown as display name in front of another address"
    if invalid:
        return f"not a valid RFC 5322 mailbox ({invalid[0]})"
    return None


# the parser's defects for an encoded word in a quoted display name: about the name, not the address
_NAME_ONLY_DEFECTS = ("encoded word inside quoted string", "missing trailing whitespace after encoded-word",
                      "missing whitespace before encoded word")
# one quoted string without escapes or nested quotes, then one <address> and nothing after it
# (anchored and possessive: linear however it is applied, not only under fullmatch)
_QUOTED_NAME_THEN_ADDRESS = re.compile(r'\A\s*+"[^"\\]*+"\s*+(<[^<>"\\]*+>)\s*+\Z')


def _quoted_encoded_name(value: str, invalid: list[str], header) -> bool:
    """The 163.com form: every defect is about an encoded word in the quoted display name, and the
    angle address alone is one mailbox without any defect (the name is not used to decide)."""
    if not invalid or not all(d in _NAME_ONLY_DEFECTS for d in invalid):
        return False
    match = _QUOTED_NAME_THEN_ADDRESS.fullmatch(value)
    if match is None:
        return False
    try:
        alone = _REGISTRY("From", match.group(1))
    except Exception:  # noqa: BLE001 - hostile input: not accepted
        return False
    return (not alone.defects and len(alone.addresses) == 1 == len(header.addresses)
            and bool(alone.addresses[0].username) and bool(alone.addresses[0].domain)
            and alone.addresses[0].addr_spec == header.addresses[0].addr_spec)


def _harmless(defect: Exception) -> bool:
    """Obsolete but valid syntax that real mailers still write ("J. Smith <j@example.org>")."""
    return type(defect).__name__ == "ObsoleteHeaderDefect" and "period in 'phrase'" in str(defect)


def _aligned(signing: str, from_domain: str) -> bool:
    signing = signing.lower().lstrip("@").rpartition("@")[2].rstrip(".")
    return bool(signing) and "." in signing and (from_domain == signing or from_domain.endswith("." + signing))


def merchant_address(candidate: str | None, sender_domain: str) -> str | None:
    """A support address a mail names (Reply-To, "contact us at …"), kept only when it belongs to the
    domain that sent the mail (the same domain, or one a subdomain of the other: ``help@shop.example``
    for mail from ``orders@mail.shop.example``). Anything else is what the mail's author chose to
    write, so it never becomes a draft recipient (issue 10)."""
    if not candidate or "@" not in candidate:
        return None
    domain = candidate.rpartition("@")[2].lower().rstrip(".")
    sender_domain = sender_domain.lower().rstrip(".")
    if not sender_domain or "." not in domain or "." not in sender_domain:
        return None
    return candidate if _aligned(domain, sender_domain) or _aligned(sender_domain, domain) else None


def authenticated(headers: list[tuple[str, str]], authserv_id: str, sender: Sender) -> str | None:
    """None when the provider's topmost Authentication-Results vouch for the From domain, else why not."""
    wanted = authserv_id.lower()
    for name, value in headers:
        if name.lower() != "authentication-results":
            continue
        try:
            parsed = authres.AuthenticationResultsHeader.parse_value(value)
        except Exception:  # noqa: BLE001 - authres raises its own errors and others on hostile input
            continue
        if (parsed.authserv_id or "").lower() != wanted:
            continue
        return _verdict(parsed, sender.domain, authserv_id)  # the topmost one only
    return f"no Authentication-Results from {authserv_id} (ingest.require_authenticated)"


def _verdict(parsed, from_domain: str, authserv_id: str) -> str | None:
    seen: list[str] = []
    for result in parsed.results:
        method, outcome = str(result.method).lower(), str(result.result).lower()
        props = {f"{p.type}.{p.name}".lower(): str(p.value) for p in result.properties}
        if method == "dmarc":
            domain = props.get("header.from", "").lower().rstrip(".")
            seen.append(f"dmarc={outcome}")
            if outcome == "pass" and domain == from_domain:
                return None
        elif method == "dkim":
            signing = props.get("header.d") or props.get("header.i") or ""
            seen.append(f"dkim={outcome}")
            if outcome == "pass" and _aligned(signing, from_domain):
                return None
    found = ", ".join(seen) or "no dkim or dmarc result"
    return (f"{authserv_id} did not authenticate {from_domain} ({found}; aligned dmarc=pass or dkim=pass needed, "
            "ingest.require_authenticated)")
