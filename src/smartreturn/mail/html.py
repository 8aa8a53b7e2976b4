"""HTML -> plain text for parsers: block structure kept as lines, table cells separated by a tab.

Pure: the HTML is parsed with BeautifulSoup on lxml and nothing it references (images, links,
stylesheets) is ever fetched.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment

__all__ = ["html_to_text", "parse_html", "soup_to_text"]

# Elements whose content is never text a reader sees.
_DROP = ("script", "style", "head", "title", "noscript", "template", "svg", "object", "iframe")
# Elements that start and end a line.
_BLOCK = frozenset(
    "address article aside blockquote caption center dd details dialog div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody "
    "thead tfoot tr ul".split()
)
_CELL = frozenset(("td", "th"))

_SPACES = re.compile(r"[ \f\v\r\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad\u034f]")
_TABS = re.compile(r"\s*\t[\s\t]*")
_BLANK_LINES = re.compile(r"\n{2,}")


def parse_html(html: str) -> BeautifulSoup:
    """The one place that builds a soup from mail HTML (lxml: fast and lenient)."""
    return BeautifulSoup(html, "lxml")


def html_to_text(html: str) -> str:
    """Readable text of an HTML mail body: one line per block/table row, cells split by a tab."""
    if not html or not html.strip():
        return ""
    return soup_to_text(parse_html(html))


def soup_to_text(soup: BeautifulSoup) -> str:
    """Like :func:`html_to_text` for an already parsed soup. The soup is modified (copy it first if needed)."""
    for tag in soup.find_all(_DROP):
        tag.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for tag in soup.find_all(True):
        name = tag.name
        if name in _BLOCK:
            tag.insert_before("\n")
            tag.insert_after("\n")
        elif name in _CELL:
            tag.insert_after("\t")
        elif name == "img":
            alt = (tag.get("alt") or "").strip()
            tag.replace_with(f" {alt} " if alt else "")
    return _tidy(soup.get_text())


def _tidy(text: str) -> str:
    text = _ZERO_WIDTH.sub("", text)
    lines = []
    for line in text.split("\n"):
        line = _SPACES.sub(" ", line)
        line = _TABS.sub("\t", line).strip(" \t")
        lines.append(line)
    return _BLANK_LINES.sub("\n", "\n".join(lines)).strip()
