"""HTML -> plain text for parsers: block structure kept as lines, table cells separated by a tab.

Pure: the HTML is parsed by lxml (libxml2) and nothing it references (images, links, stylesheets)
is ever fetched.

:func:`html_to_text` is on every mail's path (the decoder and several parsers' ``identify()`` read
it), so it walks lxml's own tree instead of building a BeautifulSoup: the same libxml2 parse and the
same text as :func:`soup_to_text` (tests/mail/test_html.py compares the two), about ten times faster,
and cached by its input string so that one mail's HTML is rendered once however many parsers ask.
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache

from bs4 import BeautifulSoup, NavigableString, PageElement, Tag
from lxml import etree

__all__ = ["html_to_text", "parse_html", "soup_to_text"]

log = logging.getLogger(__name__)

# Elements whose content is never text a reader sees.
_DROP = frozenset(("script", "style", "head", "title", "noscript", "template", "svg", "object", "iframe"))
# Elements that start and end a line.
_BLOCK = frozenset(
    "address article aside blockquote caption center dd details dialog div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody "
    "thead tfoot tr ul".split()
)
_CELL = frozenset(("td", "th"))

_SPACES = re.compile(r"[ \f\v\r\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad\u034f]")
_TABS = re.compile(r"[^\S\t]?\t\s*")  # spaces are collapsed first: at most one before a tab (linear)
_BLANK_LINES = re.compile(r"\n{2,}")


def parse_html(html: str) -> BeautifulSoup:
    """The one place that builds a soup from mail HTML (lxml: fast and lenient)."""
    return BeautifulSoup(html, "lxml")


@lru_cache(maxsize=8)
def html_to_text(html: str) -> str:
    """Readable text of an HTML mail body: one line per block/table row, cells split by a tab.

    Cached by the HTML string (a few entries: a mail's parsers ask within microseconds of each other).
    """
    if not html or not html.strip():
        return ""
    try:
        return _tidy(_lxml_text(html))
    except (etree.LxmlError, ValueError, RecursionError):  # markup libxml2 rejects: bs4's own fallbacks
        log.debug("fast HTML rendering failed, using BeautifulSoup", exc_info=True)
        return soup_to_text(parse_html(html))


_PARSERS = threading.local()  # lxml parsers (and their error logs) must not be shared between threads


def _lxml_parser() -> etree.HTMLParser:
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = etree.HTMLParser(recover=True, no_network=True, remove_comments=True, remove_pis=True, huge_tree=True)
        _PARSERS.parser = parser
    return parser


def _lxml_text(html: str) -> str:
    """Untidied text of ``html`` walked on lxml's tree: same rules as :func:`soup_to_text`, iterative."""
    parser = _lxml_parser()
    root = etree.fromstring(html, parser)
    if any(error.type_name == "ERR_RESOURCE_LIMIT" for error in parser.error_log):
        raise ValueError("HTML nested beyond libxml2's depth limit")  # content was dropped: use bs4
    if root is None:
        return ""
    out: list[str] = []
    stack: list[object] = [root]  # elements to render, or literal strings to emit
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        tail = item.tail
        if tail:
            stack.append(tail)
        name = item.tag if isinstance(item.tag, str) else None  # comments/PIs have a function as tag
        if name is None or name in _DROP:
            continue
        if name == "br":
            out.append("\n")
            continue
        if name == "img":
            alt = (item.get("alt") or "").strip()
            out.append(f" {alt} " if alt else "")
            continue
        if name in _BLOCK:
            out.append("\n")
            stack.append("\n")
        elif name in _CELL:
            stack.append("\t")
        stack.extend(reversed(item))
        if item.text:
            stack.append(item.text)
    return "".join(out)


def soup_to_text(soup: BeautifulSoup | Tag) -> str:
    """Like :func:`html_to_text` for an already parsed soup (not modified).

    One iterative pass in document order: linear in the size of the tree (mutating the tree with
    insert_before/after is quadratic in the number of siblings) and safe for hostile nesting depth.
    """
    out: list[str] = []
    stack: list[tuple[PageElement, bool]] = [(soup, False)]
    while stack:
        node, closing = stack.pop()
        if closing:
            out.append("\t" if node.name in _CELL else "\n")
            continue
        if isinstance(node, NavigableString):
            if type(node) is NavigableString:  # not a Comment, CData, Doctype, script/style text...
                out.append(str(node))
            continue
        if not isinstance(node, Tag):
            continue
        name = node.name
        if name in _DROP:
            continue
        if name == "br":
            out.append("\n")
            continue
        if name == "img":
            alt = (node.get("alt") or "").strip()
            out.append(f" {alt} " if alt else "")
            continue
        if name in _BLOCK:
            out.append("\n")
            stack.append((node, True))
        elif name in _CELL:
            stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.contents))
    return _tidy("".join(out))


def _tidy(text: str) -> str:
    text = _ZERO_WIDTH.sub("", text)
    lines = []
    for line in text.split("\n"):
        line = _SPACES.sub(" ", line)
        line = _TABS.sub("\t", line).strip(" \t")
        lines.append(line)
    return _BLANK_LINES.sub("\n", "\n".join(lines)).strip()
