"""Raw bytes -> :class:`~smartreturn.mail.message.Email`.

MIME structure comes from the stdlib ``email`` parser (compat32: the same ``Message`` that mail-parser
builds first, without mail-parser's own pass over every header, address and part, which cost twice
the stdlib parse and was never read); bodies and headers are
decoded here so that every charset failure has the same, never-crashing fallback:
declared charset -> UTF-8 -> GB18030 -> Latin-1 with replacement. GB2312/GBK labels are read as
GB18030 (its superset; Chinese mailers often label GBK text as GB2312).

Attachments are never decoded: only text/plain and text/html leaves outside attachments are read,
plus ``message/rfc822`` parts (forwards as attachments), which are decoded recursively.

``received`` is the Date header of the (original) mail. When it is missing or unreadable, the newest
date among the Received headers is used; when there is none either, the current time (UTC) is used
and a warning is logged: a mail without any date is rare and the time we saw it is the best we know.
"""

from __future__ import annotations

import email
import email.errors
import email.header
import email.utils
import hashlib
import logging
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.message import Message
from functools import lru_cache

from dateutil import parser as dateutil_parser
from mailparser.utils import receiveds_parsing

from smartreturn import clock
from smartreturn.errors import ParseError
from smartreturn.mail import forward, mime
from smartreturn.mail.html import html_to_text
from smartreturn.mail.message import Email
from smartreturn.mail.storable import visible

log = logging.getLogger(__name__)

__all__ = ["decode_bytes", "decode_header_value", "parse_date", "parse_email"]

_GB_ALIASES = frozenset({"gb2312", "gbk", "x-gbk", "cp936", "gb_2312-80", "gb2312-80", "euc-cn", "x-euc-cn", "csgb2312", "ms936", "windows-936"})
_ALIASES = {"ks_c_5601-1987": "cp949", "x-sjis": "shift_jis", "unicode-1-1-utf-8": "utf-8", "utf8": "utf-8"}
_HTML_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*+["']?\s*+([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_WS = re.compile(r"\s+")
MAX_FORWARD_DEPTH = 5  # a real Italian thread (fixtures/real/spamscope_mail_parser) nests 3, forwarded once more 4


def normalise_charset(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in _GB_ALIASES or label.startswith("gb2312"):
        return "gb18030"
    return _ALIASES.get(label, label)


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode text with the fallback chain; never raises."""
    tried: list[str] = []
    for charset in (normalise_charset(declared), "utf-8", "gb18030"):
        if not charset or charset in tried:
            continue
        tried.append(charset)
        try:
            return data.decode(charset)
        except (LookupError, ValueError):  # unknown, undecodable, or a label with a NUL in it
            continue
    return data.decode("latin-1", errors="replace")


def _unsurrogate(value: str) -> str:
    """Raw 8-bit header bytes arrive as surrogate escapes from the stdlib parser: decode them properly."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return decode_bytes(value.encode("ascii", "surrogateescape"))


def decode_header_value(value: str | email.header.Header | None) -> str:
    """RFC 2047 encoded words (any charset, incl. GBK), folded lines and raw 8-bit bytes -> one line
    (long runs of blanks and separators cut, as in bodies)."""
    return _cut_filler(_decode_header_value(value))


def _decode_header_value(value: str | email.header.Header | None) -> str:
    if value is None:
        return ""
    if isinstance(value, email.header.Header):
        value = str(value)
    if value.isascii() and value.isprintable() and "  " not in value and "=?" not in value:
        # the common case, with the same result: no fold, raw byte, control character, NUL, encoded
        # word or run of blanks (the only blank in printable ASCII is the space), so only the ends to strip
        return value.strip(" ")
    value = _unsurrogate(_FOLD.sub("", value))
    if "=?" not in value:
        return visible(_WS.sub(" ", value).strip())
    try:
        chunks = email.header.decode_header(value)
    except (email.errors.HeaderParseError, ValueError, LookupError):
        return visible(_WS.sub(" ", value).strip())
    out: list[str] = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            out.append(chunk)
        elif charset is None:
            try:
                out.append(chunk.decode("raw-unicode-escape"))
            except UnicodeError:
                out.append(chunk.decode("latin-1"))
        else:
            out.append(decode_bytes(chunk, charset))
    return visible(_WS.sub(" ", "".join(out)).strip())


# The stdlib's address parser recurses once per group start (":") not closed by ";" and once per nested
# comment "(": a To header of "a:From: From: ..." (a mutated mail) raised RecursionError. No real address
# header has this many; beyond the limit those characters are read as spaces (addresses in it still found).
MAX_ADDRESS_NESTING = 50


def _address_text(value: object) -> str:
    raw = _unsurrogate(_FOLD.sub("", str(value)))
    if raw.count(":") > MAX_ADDRESS_NESTING:
        raw = raw.replace(":", " ")
    if raw.count("(") > MAX_ADDRESS_NESTING:
        raw = raw.replace("(", " ").replace(")", " ")
    return raw


# Address headers repeat from mail to mail (a shop's sender, the user's own address in To), and the
# stdlib's address parser is a large part of decoding; the results are pure functions of the header
# value (immutable tuples), kept for the last distinct values of at most _CACHED_VALUE characters.
_CACHED_VALUE = 1000


def parse_address(value: str | None) -> tuple[str, str]:
    """(display name, lower-cased address) of the first address in a header value."""
    if not value:
        return "", ""
    if isinstance(value, str) and len(value) <= _CACHED_VALUE:
        return _parse_address_cached(value)
    return _parse_address(value)


@lru_cache(maxsize=256)
def _parse_address_cached(value: str) -> tuple[str, str]:
    return _parse_address(value)


def _parse_address(value: str) -> tuple[str, str]:
    raw = _address_text(value)
    name, addr = email.utils.parseaddr(raw)
    name = decode_header_value(name) if name else ""
    if not addr and not name:
        return decode_header_value(raw), ""
    return name, visible(addr.strip().lower())


def parse_addresses(values: list[str]) -> tuple[str, ...]:
    if all(isinstance(v, str) for v in values) and sum(map(len, values)) <= _CACHED_VALUE:
        return _parse_addresses_cached(tuple(values))
    return _parse_addresses(values)


@lru_cache(maxsize=256)
def _parse_addresses_cached(values: tuple[str, ...]) -> tuple[str, ...]:
    return _parse_addresses(values)


def _parse_addresses(values: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    raw = [_address_text(v) for v in values]
    return tuple(visible(addr.lower()) for _, addr in email.utils.getaddresses(raw) if addr)


def parse_date(value: str | None) -> datetime | None:
    """A mail date (RFC 2822 or anything dateutil reads) as a tz-aware datetime; naive means UTC."""
    if not value:
        return None
    value = _WS.sub(" ", value).strip()
    parsed: datetime | None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        try:
            parsed = dateutil_parser.parse(value, fuzzy=True)
        except (ValueError, OverflowError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _received_date(msg: Message) -> datetime | None:
    """When the mail reached its mailbox: the newest hop of the Received chain, read by mail-parser's
    trace parser (it copes with the many Received dialects; only used when the Date header is missing)."""
    headers = [str(h) for h in (msg.get_all("Received", []) or [])]
    if not headers:
        return None
    try:
        hops = receiveds_parsing(headers)
    except Exception:  # a parser bug on hostile input must not stop decoding: fall back to the raw dates
        hops = [{"date": h.rpartition(";")[2]} for h in headers]
    dates = [parse_date(hop.get("date_utc") or hop.get("date")) for hop in hops]
    dates = [d for d in dates if d is not None]
    return max(dates) if dates else None


@dataclass(frozen=True, slots=True)
class _Decoded:
    """One MIME message, decoded; not yet forward-unwrapped."""

    message_id: str
    from_addr: str
    from_name: str
    subject: str
    date: datetime | None
    to_addrs: tuple[str, ...]
    headers: tuple[tuple[str, str], ...]
    text: str               # from text/plain parts ("" when there are none)
    html: str | None
    attached: tuple[Message, ...] = field(default=())  # message/rfc822 parts, in order


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # a malformed part: keep what the stdlib left us
        log.debug("undecodable payload in a %s part", part.get_content_type(), exc_info=True)
        data = None
    if data is None:
        payload = part.get_payload()
        data = payload.encode("ascii", "surrogateescape") if isinstance(payload, str) else b""
    return data


# A run of blanks or separator characters longer than this is cut to this length. No mail needs more
# (a separator line is well under 80), and every parser's regexes then see short runs: a 1 MB line of
# spaces, tabs or dashes costs one linear pass here instead of a pass per pattern over 1 MB.
MAX_FILLER_RUN = 80
_FILLER = "[" + " \t\f\v\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000" + re.escape("-‐‑‒–—―─━═_=*~.·•#|+") + "]"
# a match starts only where a run starts (the look-behind, after the first character, which lets the
# engine skip ahead to candidates quickly), so each run is scanned once: linear
_FILLER_RUN = re.compile(f"{_FILLER}(?<!{_FILLER}{_FILLER}){_FILLER}{{{MAX_FILLER_RUN},}}")


def _cut_filler(text: str) -> str:
    """Long runs of horizontal blanks and separator characters cut to :data:`MAX_FILLER_RUN`."""
    if len(text) <= MAX_FILLER_RUN:  # a header value: no run to cut
        return text
    return _FILLER_RUN.sub(lambda m: m.group()[:MAX_FILLER_RUN], text)


def _part_text(part: Message) -> str:
    data = _payload_bytes(part)
    charset = part.get_content_charset()
    if charset is None and part.get_content_subtype() == "html":
        meta = _HTML_META_CHARSET.search(data[:2048])
        charset = meta.group(1).decode("ascii") if meta else None
    # NUL has no meaning in mail text, and neither PostgreSQL nor lxml accepts it
    text = decode_bytes(data, charset).replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")
    return _cut_filler(text)


def _is_attachment(part: Message) -> bool:
    # str(): a header with raw 8-bit bytes comes back as an email.header.Header object, not a str
    disposition = str(part.get("Content-Disposition") or "").split(";", 1)[0].strip().lower()
    return disposition == "attachment"


_HTML_DOCUMENT = re.compile(r"\s{0,200}+<(?:!doctype\s+html|html)\b", re.IGNORECASE)


def _walk_bodies(msg: Message, plain: list[str], html: list[str], attached: list[Message]) -> None:
    """Collect body texts and attached messages in document order, without descending into
    attachments or attached messages; iterative (a hostile mail nests thousands of levels)."""
    stack = [msg]
    while stack:
        part = stack.pop()
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                attached.append(inner[0])
            continue
        if part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                stack.extend(sub for sub in reversed(payload) if isinstance(sub, Message))
            continue
        if _is_attachment(part):
            continue
        if ctype == "text/plain":
            text = _part_text(part)
            # no Content-Type at all (a header-stripped export, a bare saved body) defaults to text/plain,
            # but a whole HTML document is HTML: read as text it would be markup and style sheets
            if part.get("Content-Type") is None and _HTML_DOCUMENT.match(text):
                html.append(text)
            else:
                plain.append(text)
        elif ctype == "text/html":
            html.append(_part_text(part))


def _raw_headers(msg: Message) -> list[tuple[str, str]]:
    """Header values as on the wire (raw 8-bit bytes as surrogate escapes), not as compat32's Header objects."""
    return [(str(k), v if isinstance(v, str) else str(v)) for k, v in msg.raw_items()]


def _decode_message(msg: Message, raw_for_id: bytes) -> _Decoded:
    plain: list[str] = []
    html: list[str] = []
    attached: list[Message] = []
    _walk_bodies(msg, plain, html, attached)
    if msg.get_content_type() == "multipart/report":
        attached = []  # a bounce or read receipt quotes the user's own mail: not a forward
    raw_headers = _raw_headers(msg)

    def first(*names: str) -> str | None:
        for name in names:
            for key, value in raw_headers:
                if key.lower() == name:
                    return value
        return None

    def every(*names: str) -> list[str]:
        return [value for key, value in raw_headers if key.lower() in names]

    from_name, from_addr = parse_address(first("from", "sender"))
    message_id = visible(_WS.sub("", first("message-id") or ""))
    if not message_id:
        message_id = f"<{hashlib.sha256(raw_for_id).hexdigest()[:32]}@smartreturn.invalid>"
    date = parse_date(decode_header_value(first("date"))) or _received_date(msg)
    headers = tuple((key, decode_header_value(value)) for key, value in raw_headers)
    return _Decoded(
        message_id=message_id,
        from_addr=from_addr,
        from_name=from_name,
        subject=decode_header_value(first("subject")),
        date=date,
        to_addrs=parse_addresses(every("to", "cc")),
        headers=headers,
        text="\n".join(t.strip("\r\n") for t in plain if t.strip()),
        html="\n".join(html) if html else None,
        attached=tuple(attached),
    )


_BODY_START = re.compile(rb"\n\r?\n(?=[A-Za-z0-9+/]{40,100}\r?\n)")
_PART_TYPE = re.compile(rb"(?im)^content-type:[ \t]*([a-z0-9.+-]+/[a-z0-9.+-]+)")
LARGE_BODY = 256 * 1024


def _without_large_attachments(raw: bytes) -> bytes:
    """Cut the bodies of large base64 non-text parts before MIME parsing.

    The stdlib parser keeps every line of every part as a string: a 20 MB attachment costs about
    100 MB and half a second, only to be thrown away (attachments are never read). A base64 body
    cannot contain a line starting with ``--``, so it ends at the next boundary line; the part's
    own Content-Type (after the last boundary line above it) decides. Text, message and multipart
    parts are always kept, and ``Email.raw`` keeps the original bytes.
    """
    if len(raw) < 4 * LARGE_BODY:
        return raw
    pieces: list[bytes] = []
    last = pos = 0
    while (match := _BODY_START.search(raw, pos)) is not None:
        start = match.end()
        end = raw.find(b"\n--", start)
        end = len(raw) if end < 0 else end + 1
        pos = end
        if end - start < LARGE_BODY:
            continue
        head = raw[max(0, match.start() - 4096) : match.start()]
        head = head[head.rfind(b"\n--") + 1 :]
        ctype = _PART_TYPE.search(head)
        if ctype is None or ctype.group(1).lower().startswith((b"text/", b"message/", b"multipart/")):
            continue
        pieces.append(raw[last:start])
        last = end
    if not pieces:
        return raw
    pieces.append(raw[last:])
    return b"".join(pieces)


def _parse_mime(raw: bytes) -> Message:
    try:
        return mime.parse_mime(raw)  # compat32 tree; any nesting depth, without recursion
    except MemoryError:  # the parse worker's memory limit (guard.py), not a broken mail
        raise
    except Exception as exc:  # stdlib errors on hostile input
        raise ParseError(f"MIME structure could not be parsed: {exc!r}") from exc


def parse_email(raw: bytes) -> Email:
    """Decode one raw mail. Raises :class:`ParseError` for empty input or input without headers."""
    if not raw:
        raise ParseError("empty mail: 0 bytes")
    if raw.isspace():  # (not raw.strip(): that would copy a 20 MB mail)
        raise ParseError(f"empty mail: {len(raw)} bytes of whitespace only")
    cut = _without_large_attachments(raw)
    msg = _parse_mime(cut)
    if len(msg.keys()) == 0 or not any(msg.get(h) for h in ("From", "Date", "Subject", "Message-ID", "Received", "To", "Sender")):
        raise ParseError("not a mail: no headers (From/Date/Subject/Message-ID) found at the start")
    outer = _decode_message(msg, raw)
    defects = tuple(dict.fromkeys(type(d).__name__ for part in mime.walk(msg) for d in part.defects))
    # the outer header fields, for the allow-list (mail/envelope.py), when the stdlib parsed the mail as a
    # whole: then they are what its header parser reads from the header block alone (cut bodies only)
    outer_items = tuple((str(k), v) for k, v in msg.raw_items()) if mime.parsed_whole(cut) else None
    return _to_email(outer, raw, defects, outer_items)


def _to_email(outer: _Decoded, raw: bytes, defects: tuple[str, ...] = (),
              outer_items: tuple[tuple[str, str], ...] | None = None) -> Email:
    original, note = _unwrap(outer)
    text = original.text or (html_to_text(original.html) if original.html else "")
    received = original.date or outer.date
    if received is None:
        log.warning("mail %s has no Date or Received header: using the current time", outer.message_id)
        received = clock.now()
    is_forward = original is not outer
    return Email(
        message_id=outer.message_id,
        from_addr=original.from_addr,
        from_name=original.from_name,
        subject=original.subject,
        received=received,
        text=text,
        html=original.html,
        raw=raw,
        to_addrs=original.to_addrs,
        forwarded_by=(outer.from_addr or None) if is_forward else None,
        user_note=note,
        outer_from=outer.from_addr,
        headers=original.headers,
        defects=defects,
        outer_items=outer_items,
    )


def _unwrap(outer: _Decoded) -> tuple[_Decoded, str | None]:
    """The original mail inside a forward (attached or inline) and the user's note; else (outer, None)."""
    current, note = outer, None
    for _ in range(MAX_FORWARD_DEPTH):
        inner = _unwrap_once(current)
        if inner is None:
            break
        current, found_note = inner
        note = note or found_note
    return current, note


def _unwrap_once(msg: _Decoded) -> tuple[_Decoded, str | None] | None:
    if msg.attached:
        inner = _decode_message(msg.attached[0], b"")
        body = msg.text or (html_to_text(msg.html) if msg.html else "")
        return inner, forward.clean_note(body)
    found = forward.find_forward(msg.text, msg.html, msg.date.tzinfo if msg.date else None)
    if found is None:
        return None
    # header values as the decoder reads real header fields: blanks collapsed (the client wrote the
    # decoded value into the body, runs of spaces and all)
    headers = tuple((key, _WS.sub(" ", value).strip()) for key, value in found.headers)
    hdr = dict(headers)
    from_name, from_addr = _forwarded_sender(hdr.get("from"))
    date = found.date
    inner = replace(
        msg,
        from_addr=from_addr or msg.from_addr,
        from_name=from_name,
        # the original's own subject as its header block gives it ("Fwd: SMS from X" stays what the original
        # said); only the forward's subject, when the block has none, loses the prefix the forwarder added
        subject=hdr["subject"] if "subject" in hdr else forward.strip_subject_prefix(msg.subject),
        date=date or msg.date,
        to_addrs=parse_addresses([hdr["to"]]) if hdr.get("to") else (),
        headers=tuple((k.title(), v) for k, v in headers),
        text=found.text,
        html=found.html,
        attached=(),
    )
    return inner, found.note


def _forwarded_sender(value: str | None) -> tuple[str, str]:
    """(name, address) of a forward's From line. Clients write the display name unquoted
    (``From: admin@uber.com [via Relay] <otps@relay.example>``, ``发件人: "京东" <a@jd.com>;``, Outlook's
    ``Da: export@shop.example [mailto:sales@shop.example]``), which the RFC 5322 parser misreads when the
    name holds an "@" or brackets: a trailing ``<address>`` or ``[mailto:address]`` is the address,
    whatever stands before it."""
    if not value:
        return "", ""
    line = value.strip().rstrip(";,").rstrip()
    start, skip = line.rfind("<"), 1
    if line.endswith("]") and line.lower().rfind("[mailto:") >= 0:  # Outlook: "Name [mailto:address]"
        start, skip = line.lower().rfind("[mailto:"), len("[mailto:")
    if line.endswith((">", "]")) and start >= 0:
        addr = line[start + skip : -1].strip()
        if "@" in addr and not any(c.isspace() or c in "<>" for c in addr):
            name = line[:start].strip().strip('"').strip()
            return decode_header_value(name) if name else "", visible(addr.lower())
    return parse_address(value)
