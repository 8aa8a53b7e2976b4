"""Inline forward unwrapping: find the forwarded original inside the text or HTML of a mail.

Knows the wrappers of Gmail, Outlook, Apple Mail, QQ Mail and 163/126 NetEase in English, Chinese
and German. Forwards sent as ``message/rfc822`` attachments are handled in :mod:`decode` (they are
real MIME messages); this module only works on text, so it has no MIME knowledge.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

from bs4 import BeautifulSoup, CData, NavigableString, PageElement, Tag
from dateutil import parser as dateutil_parser

from smartreturn.first_chars import may_match
from smartreturn.mail.html import html_to_text, parse_html
from smartreturn.tracking.carriers import automaton, lowers_in_place, overlapping_hits

__all__ = ["Forward", "clean_note", "find_forward", "parse_localised_date", "strip_subject_prefix"]

# A line that starts a forwarded block. Header lines follow (possibly after blank lines).
_MARKERS = re.compile(
    r"""^[ \t>]*(?:
        -{3,}\s*(?:Forwarded\ message|Weitergeleitete\ Nachricht|Original\ Message|Ursprüngliche\ Nachricht
                 |Urspr\S*ngliche\ Nachricht|Message\ transféré|Mensaje\ reenviado|Messaggio\ inoltrato
                 |已转发邮件|转发的邮件|原始邮件|转发邮件信息|Original|Forwarding\ messages?)\s*-{3,}
      | Begin\ forwarded\ message\s*+:
      | Anfang\ der\ weitergeleiteten\ Nachricht\s*+:
      | Inizio\ messaggio\ inoltrato\s*+:
      | (?:以下是|下面是)?(?:开始)?转发的邮件\s*+[:：]
      | -{2,}\s*Forwarded\ by\ .*-{2,}
    )[ \t]*$""",
    re.IGNORECASE | re.MULTILINE | re.VERBOSE,
)

_KEYS: dict[str, str] = {
    "from": "from", "von": "from", "发件人": "from", "發件人": "from", "寄件者": "from", "de": "from",
    "date": "date", "sent": "date", "datum": "date", "gesendet": "date", "发送时间": "date",
    "发送日期": "date", "日期": "date", "时间": "date", "時間": "date", "envoyé": "date",
    "to": "to", "an": "to", "收件人": "to", "收件者": "to", "à": "to",
    "cc": "cc", "抄送": "cc", "kopie": "cc", "副本": "cc",
    "subject": "subject", "betreff": "subject", "主题": "subject", "主 题": "subject", "主旨": "subject",
    "objet": "subject", "reply-to": "reply-to", "antwort an": "reply-to",
    # Italian Outlook ("Da: / Inviato: / A: / Oggetto:") and Apple Mail ("Inizio messaggio inoltrato:",
    # "Data:"), as in fixtures/real/spamscope_mail_parser/it_forwarded_ordine_question.eml
    "da": "from", "inviato": "date", "data": "date", "a": "to", "oggetto": "subject",
}
_HEADER_LINE = re.compile(
    # possessive (*+): no run of spaces is ever split two ways (20,000 spaces took 37 s with plain *).
    # Stars around the key ("**From:** ...", bold written as text) are read only when the line starts
    # with one: otherwise they belong to the value ("Subject: *** ATTENZIONE *** - ...")
    r"^[ \t>]*+(?P<stars>\*++)?+\s*+(?P<key>" + "|".join(sorted((re.escape(k) for k in _KEYS), key=len, reverse=True))
    + r")\s*+(?(stars)\**+\s*+)[:：]\s*+(?(stars)\**+\s*+)(?P<value>.*)$",
    re.IGNORECASE,
)
# forward and reply prefixes of mail clients: en, de (WG, AW), fr (TR), es (RV, RE), it (I, R, RIF), nl (Doorst),
# sv/da/nb (VB, VS, SV, VL), fi (VL, VS), pl (PD, Odp), hu (Tov), pt (Enc, Res), zh
_SUBJECT_PREFIX = re.compile(r"^\s*+(?:(?:fwd?|fw|wg|tr|rv|i|r|rif|doorst|vb|vs|sv|vl|pd|odp|tov|enc|res|转发|轉寄|转寄|aw|re|"
                             r"回复|答复)\s*+(?:\[\d++\])?+\s*+[:：]\s*+)+",
                             re.IGNORECASE)
_SIGNATURE = re.compile(r"^--\s*$", re.MULTILINE)
_SENT_FROM = re.compile(
    r"^[ \t]*+(?:Sent from my \w+.*|Von meinem \w++ gesendet|Gesendet von meinem \w+.*|发自我的[ \t]*+\w+.*|"
    r"Get Outlook for \w+.*|Diese Nachricht wurde von meinem \w++ gesendet\.?)[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
# Plain strings one of which every match of _MARKERS contains: "--" (the dashed markers) or the whole
# phrase of a marker without dashes (Latin ones lower-cased: looked for with may_match)
_MARKER_PARTS = frozenset({"begin forwarded message", "anfang der weitergeleiteten nachricht", "inizio messaggio inoltrato"})
_CHINESE = "x-chinese-client"  # pseudo header key passed from _header_block to find_forward
_CJK = re.compile(r"[\u4e00-\u9fff]")
_HTML_HINT = re.compile(
    r"gmail_quote|type=.?cite|divRplyFwdMsg|forwarded|weitergeleitet|original message|urspr|原始邮件|转发|"
    r"from:|von:|发件人",
    re.IGNORECASE,
)
# what each alternative of _HTML_HINT begins with (lower-cased): a match starts only where one of them does
_HTML_HINT_STARTS = ("gmail_quote", "type=", "divrplyfwdmsg", "forwarded", "weitergeleitet", "original message",
                     "urspr", "原始邮件", "转发", "from:", "von:", "发件人")
_HINT_AUTOMATON = automaton(_HTML_HINT_STARTS)
_RULE_LINE = re.compile(r"^[ \t]*+[_=*-]{8,}[ \t]*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Forward:
    """An inline forward: the original's pseudo headers, text and HTML, and the user's note."""

    headers: tuple[tuple[str, str], ...]  # normalised keys: from, date, to, cc, subject
    text: str
    html: str | None
    note: str | None
    date: datetime | None = None          # the original's date, when the header block has a readable one


def strip_subject_prefix(subject: str) -> str:
    """'Fwd: WG: 转发：Your order' -> 'Your order'."""
    return _SUBJECT_PREFIX.sub("", subject).strip()


def clean_note(note: str | None) -> str | None:
    """What the user wrote above a forward: signature, 'Sent from my iPhone' and rules removed."""
    if not note:
        return None
    sig = _SIGNATURE.search(note)
    if sig:
        note = note[: sig.start()]
    note = _SENT_FROM.sub("", note)
    note = _RULE_LINE.sub("", note)
    lines = [line.rstrip() for line in note.strip().splitlines()]
    note = "\n".join(lines).strip()
    note = re.sub(r"\n{3,}", "\n\n", note)
    return note or None


def _header_block(lines: list[str], start: int) -> tuple[list[tuple[str, str]], int] | None:
    """Parse header lines from ``start`` (leading blank lines skipped). Returns (headers, first body line)."""
    i = start
    while i < len(lines) and not lines[i].strip(" \t>"):
        i += 1
    headers: list[tuple[str, str]] = []
    chinese = False
    while i < len(lines):
        match = _HEADER_LINE.match(lines[i])
        if match:
            chinese = chinese or bool(_CJK.search(match["key"]))
            key = _KEYS[match["key"].lower()]
            value = match["value"].strip()
            headers.append((key, value.strip("*").strip() if match["stars"] else value))
        elif headers and lines[i].startswith((" ", "\t")) and lines[i].strip() and not _is_blank(lines, i - 1):
            key, value = headers[-1]  # a folded header value
            headers[-1] = (key, f"{value} {lines[i].strip()}")
        else:
            break
        i += 1
    if chinese:  # a Chinese client: dates without a zone are China time (see find_forward)
        headers.append((_CHINESE, "1"))
    keys = {k for k, _ in headers}
    if "from" not in keys or not ({"subject", "date"} & keys):
        return None
    return headers, i


def _is_blank(lines: list[str], i: int) -> bool:
    return i < 0 or not lines[i].strip()


def _dequote(lines: list[str]) -> list[str]:
    if lines and all(line.startswith(">") or not line.strip() for line in lines):
        return [re.sub(r"^> ?", "", line) for line in lines]
    return lines


def split_text(text: str, from_html: bool = False) -> tuple[str, list[tuple[str, str]], str] | None:
    """(note, headers, body) of the first forward found in plain text, else None.

    ``from_html``: the text was rendered from HTML, which has no blank lines to look for.
    """
    if not text:
        return None
    lines = text.splitlines()
    marker = _find_marker(text)
    if marker:
        marker_line = text.count("\n", 0, marker.start())
        block = _header_block(lines, marker_line + 1)
        if block:
            headers, body_start = block
            note = "\n".join(lines[:marker_line])
            return note, headers, "\n".join(_dequote(lines[body_start:])).strip("\n")
    # Outlook without a separator: a bare "From: / Sent: / To: / Subject:" block after a blank or
    # a rule line, whose From names an address (so that "Von: seller123" in a marketplace message
    # is not taken for a forward).
    for i, line in enumerate(lines):
        # a line without "@" cannot be that From (its value is part of the line): no regex on it
        match = _HEADER_LINE.match(line) if "@" in line else None
        if match and _KEYS[match["key"].lower()] == "from" and "@" in match["value"]:
            if not from_html and i > 0 and lines[i - 1].strip() and not _RULE_LINE.match(lines[i - 1]):
                continue
            block = _header_block(lines, i)
            if block and len(block[0]) >= 3:
                headers, body_start = block
                return "\n".join(lines[:i]), headers, "\n".join(_dequote(lines[body_start:])).strip("\n")
    return None


def _may_have_marker(text: str, lowered: str | None = None) -> bool:
    """False only when :data:`_MARKERS` cannot match ``text`` (it scans every position of a long text);
    ``lowered``: ``text.lower()`` when the caller has it."""
    if "--" in text or "转发的邮件" in text:
        return True
    return may_match(_MARKER_PARTS, text, text.lower() if lowered is None else lowered)


_MARKER_STARTS = ("--", "转发的邮件", *sorted(_MARKER_PARTS))


def _find_marker(text: str) -> re.Match[str] | None:
    """``_MARKERS.search(text)``, trying the pattern only at the start of the lines that hold one of its
    parts (sre tried every position: 0.6 ms for a 30 KB text). Every match starts at a line start and
    holds its part on that first line: ``[ \t>]*`` and the dashes or phrase that follow never cross a
    line end. Lines are tried in order, so the first match is the leftmost one."""
    lowered = text.lower()
    if not _may_have_marker(text, lowered):
        return None
    if not lowers_in_place(text, lowered):
        return _MARKERS.search(text)
    starts = set()
    for part in _MARKER_STARTS:
        at = lowered.find(part)
        while at >= 0:
            starts.add(lowered.rfind("\n", 0, at) + 1)
            line_end = lowered.find("\n", at)
            at = lowered.find(part, line_end + 1) if line_end >= 0 else -1
    for start in sorted(starts):
        match = _MARKERS.match(text, start)
        if match:
            return match
    return None


def _has_html_hint(html: str) -> bool:
    """``_HTML_HINT.search(html)``, tried only where one of the alternatives' first words is (a 40 KB
    HTML took 2.7 ms; a Shopify mail 0.2 ms), or everywhere when lowering moves positions."""
    lowered = html.lower()
    if not lowers_in_place(html, lowered):
        return _HTML_HINT.search(html) is not None
    return any(_HTML_HINT.match(html, start) for _index, start, _end in overlapping_hits(_HINT_AUTOMATON, lowered))


def find_forward(text: str, html: str | None, local_tz: tzinfo | None = None) -> Forward | None:
    """Find an inline forward in the text part; in the HTML part only when there is no text part.

    ``local_tz``: the forwarder's UTC offset (that of the forward's own Date header). Gmail and Outlook
    write the original's date in the forwarder's local time without naming a zone: such a date is read
    in ``local_tz`` (else UTC). A Chinese header block (QQ, 163) without a zone is China time.

    The HTML is parsed only when a forward was found in the text (to cut out the original's HTML)
    or when it is all there is and it looks like a forward: most mails cost a regex or two.
    """
    if text.strip():
        found = split_text(text)
    elif html and _has_html_hint(html):
        found = split_text(html_to_text(html), from_html=True)
    else:
        return None
    if found is None:
        return None
    note, headers, body = found
    original_html = _original_html(parse_html(html)) if html else None
    if not body.strip() and original_html:
        body = html_to_text(original_html)
    chinese = (_CHINESE, "1") in headers
    headers = [(k, v) for k, v in headers if k != _CHINESE]
    date = parse_forward_date(dict(headers).get("date"), _CN_TZ if chinese else local_tz)
    return Forward(headers=tuple(headers), text=body, html=original_html, note=clean_note(note), date=date)


def parse_forward_date(value: str | None, default_tz: tzinfo | None = None) -> datetime | None:
    """A date from a forward's header block: RFC 2822 first, then the clients' localised formats."""
    if not value:
        return None
    if not _RFC2822.match(value):
        return parse_localised_date(value, default_tz)
    try:
        parsed = email.utils.parsedate_to_datetime(" ".join(value.split()))
    except (TypeError, ValueError, IndexError):
        return parse_localised_date(value, default_tz)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=default_tz or timezone.utc)


def _original_html(soup: BeautifulSoup) -> str | None:
    """The HTML of the forwarded original: the content after its header block."""
    quote = soup.select_one("div.gmail_quote, blockquote.gmail_quote")
    if quote is not None:  # Gmail: div.gmail_quote > div.gmail_attr (headers) + original
        attr = quote.select_one(".gmail_attr")
        if attr is not None:
            attr.decompose()
        else:
            _drop_header_nodes(quote)
        return quote.decode_contents().strip() or None
    cites = [c for c in soup.select("blockquote[type=cite]") if c.find_parent("blockquote", type="cite") is None]
    if cites:  # Apple Mail: blockquote type=cite (sometimes several), header <div>s first
        _drop_header_nodes(cites[0])
        return "".join(c.decode_contents() for c in cites).strip() or None
    return _after_header_block(soup)


def _drop_header_nodes(container: Tag) -> None:
    """Remove the leading children of ``container`` that are forward markers or header lines."""
    seen_header = False
    for child in list(container.children):
        text = child.get_text(" ", strip=True) if isinstance(child, Tag) else str(child).strip()
        if not text:
            if seen_header and isinstance(child, Tag) and child.name not in ("br",):
                break
            child.extract()
            continue
        if _MARKERS.match(text) or _HEADER_LINE.match(text):
            seen_header = True
            child.extract()
            continue
        break


_BLOCKS = ("div", "p", "tr", "li", "td", "blockquote")
_MAX_SCAN = 3000


def _after_header_block(soup: BeautifulSoup) -> str | None:
    """Outlook/QQ/163: everything in document order after the element holding the last header line."""
    body = soup.body or soup
    last: Tag | None = None
    in_block = False
    # Bounded: at most _MAX_SCAN elements, and no element's text is read past 400 characters, so a
    # huge or hostile HTML part cannot make this quadratic.
    for element in body.find_all(("div", "p", "tr", "li", "span", "font", "b", "strong"), limit=_MAX_SCAN):
        text = _short_text(element, 400)
        if not text:
            continue
        own = " ".join(s.strip() for s in element.find_all(string=True, recursive=False)).strip()
        probe = text if element.name in ("div", "p", "tr", "li") else own or text
        if _MARKERS.match(probe):
            in_block = True
            continue
        match = _HEADER_LINE.match(probe)
        if match and (in_block or _KEYS[match["key"].lower()] == "from"):
            in_block = True
            if _HEADER_LINE.match(text) and not any(c.name in _BLOCKS for c in element.find_all(True)):
                last = element if element.name in _BLOCKS else (element.find_parent(_BLOCKS) or element)
        elif in_block and last is not None and element.name in ("div", "p", "tr", "li"):
            break
    if last is None:
        return None
    parts: list[str] = []
    node: Tag | None = last
    while node is not None and node is not body:
        for sibling in node.next_siblings:
            parts.append(str(sibling))
        node = node.parent
    html = "".join(parts).strip()
    return html or None


_MAX_NODES = 120
_TEXT_NODES = (NavigableString, CData)  # what bs4's stripped_strings reads


def _short_text(element: Tag, limit: int) -> str | None:
    """The element's text (stripped pieces joined by spaces), or None when empty, longer than ``limit``
    or made of more than :data:`_MAX_NODES` nodes (a header line is a handful). Reads at most that many
    nodes: bs4's own string iterators first walk the whole subtree, quadratic in the nesting depth."""
    pieces: list[str] = []
    size = 0
    stack: list[Iterator[PageElement]] = [iter(element.contents)]
    for _ in range(_MAX_NODES):
        node = next(stack[-1], None)
        while node is None:
            stack.pop()
            if not stack:
                return " ".join(pieces) or None
            node = next(stack[-1], None)
        if isinstance(node, Tag):
            stack.append(iter(node.contents))
        elif type(node) in _TEXT_NODES and (piece := node.strip()):  # not comments, doctypes, script text
            size += len(piece) + 1
            if size > limit + 1:
                return None
            pieces.append(piece)
    return None


_ZH_DATE = re.compile(
    r"(\d{4})\s*+年\s*+(\d{1,2})\s*+月\s*+(\d{1,2})\s*+日\s*+(?:\(?[^)\d]*\)?)?\s*(?:(上午|下午|晚上|凌晨|中午)?\s*+(\d{1,2})\s*+[:：]\s*+(\d{2})(?:\s*+[:：]\s*+(\d{2}))?)?"
)
_DE_MONTHS = {
    "januar": "January", "jänner": "January", "februar": "February", "märz": "March", "april": "April",
    "mai": "May", "juni": "June", "juli": "July", "august": "August", "september": "September",
    "oktober": "October", "november": "November", "dezember": "December",
    "jan": "Jan", "feb": "Feb", "mär": "Mar", "mrz": "Mar", "apr": "Apr", "jun": "Jun", "jul": "Jul",
    "aug": "Aug", "sep": "Sep", "sept": "Sep", "okt": "Oct", "nov": "Nov", "dez": "Dec",
}
_DE_MONTHS.update({  # Italian, as Outlook writes them ("venerdì 9 giugno 2017 15:50")
    "gennaio": "January", "febbraio": "February", "marzo": "March", "aprile": "April", "maggio": "May",
    "giugno": "June", "luglio": "July", "agosto": "August", "settembre": "September", "ottobre": "October",
    "novembre": "November", "dicembre": "December",
})
_DE_DAYS = re.compile(r"\b(?:Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag|Mo|Di|Mi|Do|Fr|Sa|So"
                      r"|(?:lune|marte|mercole|giove|vener)d[iì]|sabato|domenica)\.?,?\s", re.IGNORECASE)
_CN_TZ = timezone(timedelta(hours=8))
_RFC2822 = re.compile(r"^\s*+(?:[A-Za-z]{3},\s*)?\d{1,2}\s++[A-Za-z]{3}\s++\d{4}\s++\d{1,2}:\d{2}(?::\d{2})?\s*+(?:[+-]\d{4}|[A-Z]{1,5})?\s*+(?:\(.*\))?\s*$")
_GMT_OFFSET = re.compile(r"\b(?:GMT|UTC)\s*([+-])(\d{1,2})(?::?(\d{2}))?\b")
_TZ_NAMES = {
    name: hours * 3600
    for name, hours in (("MEZ", 1), ("MESZ", 2), ("CET", 1), ("CEST", 2), ("WEZ", 0), ("WESZ", 1), ("BST", 1),
                        ("PST", -8), ("PDT", -7), ("MST", -7), ("MDT", -6), ("EST", -5), ("EDT", -4),
                        ("JST", 9), ("KST", 9), ("HKT", 8), ("SGT", 8))
}


def _gmt_offset(match: re.Match[str]) -> str:
    sign, hours, minutes = match.groups()
    return f" {sign}{int(hours):02d}{minutes or '00'}"


def parse_localised_date(value: str, default_tz: tzinfo | None = None) -> datetime | None:
    """Dates as forward headers write them: '2026年11月3日(星期二) 下午3:12', 'Di., 3. Nov. 2026 um 15:12'.

    Chinese dates without a zone are China time (UTC+8); others without a zone are UTC.
    """
    value = value.strip()
    zh = _ZH_DATE.search(value)
    if zh:
        year, month, day, half, hour, minute, second = zh.groups()
        h = int(hour or 0)
        if half in ("下午", "晚上") and h < 12:
            h += 12
        elif half == "中午" and h < 11:
            h += 12
        try:
            return datetime(int(year), int(month), int(day), h, int(minute or 0), int(second or 0), tzinfo=default_tz or _CN_TZ)
        except ValueError:
            return None
    text = _DE_DAYS.sub(" ", value)
    text = re.sub(r"\bum\b", " ", text)
    text = re.sub(r"\b([A-Za-zäÄ]+)\.?", lambda m: _DE_MONTHS.get(m.group(1).lower(), m.group(1)), text)
    text = re.sub(r"(\d{1,2})\.\s+", r"\1 ", text)  # "3. Nov" -> "3 Nov"
    text = re.sub(r"\bat\b", " ", text)
    text = re.sub(r"\bUhr\b", " ", text)
    text = _GMT_OFFSET.sub(_gmt_offset, text)  # dateutil reads "GMT+1" POSIX-style, i.e. as UTC-1
    try:
        parsed = dateutil_parser.parse(
            text, fuzzy=True, tzinfos=_TZ_NAMES, dayfirst=bool(re.search(r"\d{1,2}\.\d{1,2}\.\d{2,4}", text))
        )
    except (ValueError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_tz or timezone.utc)
    return parsed
