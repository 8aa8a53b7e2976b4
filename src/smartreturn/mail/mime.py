"""Raw bytes -> the stdlib's MIME tree (compat32 ``Message``), for any nesting depth, without recursion.

The stdlib parser descends into every multipart and ``message/*`` part by recursion: a few hundred
nested parts (a 20 KB hostile mail) raise ``RecursionError``, and so do ``Message.walk()`` and
``as_bytes()`` on such a tree. Mail nested deeper than :data:`STDLIB_DEPTH` is therefore split here with
an explicit stack: each multipart's body is cut at its delimiter lines (RFC 2046 5.1.1) by offsets into
the one raw buffer, every header block is read by the stdlib (``headersonly``), and every leaf part is
parsed by the stdlib as a whole message (a leaf has no nesting: no recursion there). The result is the
same kind of tree, with the same defects the stdlib records for a missing start or close delimiter, so
everything downstream reads it unchanged (tests/mail/test_mime.py: identical trees for every fixture;
on broken MIME a trailing line break or a secondary defect can differ). Work is linear in the mail's size (about 35 microseconds a
level). Parts nested deeper than :data:`MAX_DEPTH` levels are not split: such a part keeps its body as
one string and carries a :class:`DepthLimitDefect`, which the pipeline names in the mail's status reason.

Mail with at most :data:`STDLIB_DEPTH` possible levels (every real mail: they nest 2-5 levels) goes to
the stdlib parser itself, so its behaviour on ordinary mail is exactly the stdlib's.
"""

from __future__ import annotations

import bisect
import email
import email.errors
import email.parser
import re
from collections.abc import Iterator
from email.message import Message

__all__ = ["MAX_DEPTH", "STDLIB_DEPTH", "DepthLimitDefect", "depth_bound", "parse_mime", "parsed_whole", "walk"]

# The stdlib recurses ~3 Python frames per level; 100 levels stay far below the interpreter's limit
# (1,000 frames) also when the parser runs deep inside a worker's or the daemon's own call stack.
STDLIB_DEPTH = 100
# Parts nested deeper than this are kept unparsed (their text is not read; the mail's status reason says
# so): 2,000 levels take about 0.1 s to split, and no real mail nests more than a dozen.
MAX_DEPTH = 2_000
_NESTING = re.compile(rb"(?=[mM])(?:(multipart)|message/)", re.IGNORECASE)  # the look-ahead: one test a byte


class DepthLimitDefect(email.errors.MessageDefect):
    """A part nested deeper than :data:`MAX_DEPTH`: its body was kept as one unparsed string."""


def depth_bound(raw: bytes, limit: int = STDLIB_DEPTH) -> int:
    """An upper bound of the stdlib parser's recursion depth for ``raw``, counted up to ``limit + 1``.

    Only a part whose Content-Type names ``multipart`` or ``message/`` is descended into, plus the
    parts of a ``multipart/digest`` (implicitly ``message/rfc822``: hence a multipart counts twice).
    """
    lowered = raw.lower()  # bytes: ASCII letters only, as re.IGNORECASE lowers them for a bytes pattern
    # the two words cannot overlap (themselves or each other): their counts are what finditer finds
    depth = 1 + 2 * lowered.count(b"multipart") + lowered.count(b"message/")
    if depth <= limit:
        return depth
    depth = 1
    for match in _NESTING.finditer(raw):
        depth += 2 if match.group(1) else 1
        if depth > limit:
            break
    return depth


def parse_mime(raw: bytes) -> Message:
    """The MIME tree of ``raw``: the stdlib's parse when it cannot recurse deeply, else :func:`_split`."""
    if parsed_whole(raw):
        return email.message_from_bytes(raw)  # compat32: raw header strings, lazy payload decoding
    return _split(raw)


def parsed_whole(raw: bytes) -> bool:
    """Whether :func:`parse_mime` hands ``raw`` to the stdlib parser as a whole (every real mail)."""
    return depth_bound(raw) <= STDLIB_DEPTH


def walk(msg: Message) -> Iterator[Message]:
    """``msg`` and all its subparts, depth first (what ``Message.walk()`` yields), without recursion."""
    stack = [msg]
    while stack:
        part = stack.pop()
        yield part
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            stack.extend(sub for sub in reversed(payload) if isinstance(sub, Message))


def _split(raw: bytes) -> Message:
    """Parse ``raw`` with an explicit stack: (start, end, the list the part's Message goes into)."""
    delimiters = _DelimiterIndex(raw)
    top: list[Message] = []
    stack: list[tuple[int, int, list[Message], int]] = [(0, len(raw), top, 0)]
    while stack:
        start, end, into, depth = stack.pop()
        body = _body_start(raw, start, end)
        headers = email.parser.BytesParser().parsebytes(raw[start:body], headersonly=True)
        maintype = headers.get_content_maintype()
        boundary = headers.get_boundary() if maintype == "multipart" else None
        if depth >= MAX_DEPTH and (boundary is not None or maintype == "message"):
            headers.defects.append(DepthLimitDefect(f"MIME parts nested deeper than {MAX_DEPTH} levels not read"))
            headers.set_payload(raw[body:end].decode("ascii", "surrogateescape"))
            into.append(headers)
        elif boundary is not None:
            into.append(headers)
            parts = delimiters.parts(_token(boundary), body, end, headers)
            if parts is None:  # no delimiter line at all: the body stays one string, as the stdlib does
                headers.set_payload(raw[body:end].decode("ascii", "surrogateescape"))
                continue
            children: list[Message] = []
            headers.set_payload(children)  # type: ignore[arg-type]  # compat32 keeps subparts as a list
            stack.extend((s, e, children, depth + 1) for s, e in reversed(parts))
        elif maintype == "message" and headers.get_content_subtype() != "delivery-status":
            inner: list[Message] = []
            headers.set_payload(inner)  # type: ignore[arg-type]  # the stdlib's shape: [the inner message]
            into.append(headers)
            stack.append((body, end, inner, depth + 1))
        else:  # a leaf (or a multipart without boundary: the stdlib reads it flat, with its defect)
            into.append(email.message_from_bytes(raw[start:end]))
    return top[0]


_LINE_END = re.compile(rb"\r\n|\r|\n")
# the stdlib's feedparser.headerRE, matched only at line starts; a field name is read from where a run
# of name bytes begins, so that a search over a long run of them (a line of dashes) is linear
_HEADER_START = re.compile(rb"From |(?<![\041-\071\073-\176])[\041-\071\073-\176]*+:|[\t ]")
# a line starting with "--": a delimiter candidate; what follows (up to 200 bytes, RFC 2046 allows 70) is
# its token, trailing blanks dropped
_DASH_LINE = re.compile(rb"(?:\A|(?<=[\r\n]))--([^\r\n]{0,200})(?:\r\n|\r|\n|\Z)")


def _body_start(raw: bytes, start: int, end: int) -> int:
    """Offset of the body of the part raw[start:end], where the stdlib's parser puts it: after the empty
    line that ends the headers, or at the first line that is neither a header nor a continuation
    (the stdlib's MissingHeaderBodySeparatorDefect; the header parse below records it)."""
    pos = start
    while pos < end:
        eol = _LINE_END.search(raw, pos, end)
        after = eol.end() if eol else end
        if raw[pos:after].strip(b"\r\n") == b"":
            return after  # the empty line
        if not _HEADER_START.match(raw, pos, end):
            return pos
        pos = after
    return end


def _token(boundary: str) -> bytes:
    try:
        return boundary.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return boundary.encode("utf-8", "surrogateescape")


class _DelimiterIndex:
    """Every line of the mail that starts with ``--``, by token, in order: each multipart finds its
    delimiter lines by bisection instead of scanning its body (a scan per level is quadratic when
    thousands of levels close at the end of the mail)."""

    def __init__(self, raw: bytes) -> None:
        self._raw = raw
        self._lines: dict[bytes, list[tuple[int, int]]] = {}  # token -> [(line start, after its line break)]
        for match in _DASH_LINE.finditer(raw):
            self._lines.setdefault(match.group(1).rstrip(b" \t"), []).append((match.start(), match.end()))

    def _within(self, token: bytes, start: int, end: int) -> list[tuple[int, int]]:
        lines = self._lines.get(token, [])
        return lines[bisect.bisect_left(lines, (start, -1)) : bisect.bisect_left(lines, (end, -1))]

    def parts(self, boundary: bytes, body: int, end: int, msg: Message) -> list[tuple[int, int]] | None:
        """The (start, end) of each part of the multipart body raw[body:end] (None: no delimiter line);
        records the stdlib's defects on ``msg`` for a missing first or closing delimiter line. The line
        break before a delimiter belongs to the delimiter (RFC 2046), not to the part before it."""
        closes = self._within(boundary + b"--", body, end)
        close = closes[0] if closes else None
        opens = self._within(boundary, body, close[0] if close else end)
        if not opens:
            msg.defects.append(email.errors.StartBoundaryNotFoundDefect())
            return None
        if close is None:
            msg.defects.append(email.errors.CloseBoundaryNotFoundDefect())
        bounds = [*opens, close] if close else opens
        parts = [(after, next_at) for (_, after), (next_at, _) in zip(bounds, bounds[1:], strict=False)]
        if close is None:
            parts.append((opens[-1][1], end))
        return [(start, self._before_eol(start, at)) for start, at in parts]

    def _before_eol(self, start: int, at: int) -> int:
        """``at`` moved before the line break that precedes it (never before ``start``)."""
        if at - 2 >= start and self._raw[at - 2 : at] == b"\r\n":
            return at - 2
        if at - 1 >= start and self._raw[at - 1 : at] in (b"\n", b"\r"):
            return at - 1
        return at
