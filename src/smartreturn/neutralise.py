"""Mail content made harmless for each kind of output: one helper per kind, used by every command.

* :func:`csv_cell` — spreadsheet formula injection (OWASP "CSV Injection"): a text cell starting with
  ``=``, ``+``, ``-``, ``@``, TAB or CR gets a leading ``'`` so that Excel/LibreOffice show it as text
  (https://owasp.org/www-community/attacks/CSV_Injection, checked 2026-12-06). Numbers stay numbers.
* :func:`terminal` — terminal escapes: C0/C1 controls and whole ESC/CSI/OSC sequences are removed
  (no screen clearing, no fake OSC 8 hyperlinks, no title changes); bidi controls and zero-width
  characters, which reorder or hide text (Trojan Source, CVE-2021-42574), are shown visibly as
  ``<U+202E>``. :func:`term_text` wraps the result in a rich ``Text`` so rich markup in mail
  (``[red]``, ``[link=…]``) is printed literally.

HTML output is escaped by Jinja's autoescape (notify/render.py); JSON output by ``json.dumps``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from rich.text import Text

__all__ = ["csv_cell", "csv_row", "term_text", "terminal"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

# ESC sequences: CSI (ESC [ … final), OSC/DCS/SOS/PM/APC (ESC ] … BEL or ST), two-byte ESC X;
# then the 8-bit forms (CSI = U+009B, OSC = U+009D …). Each alternative is a bounded character
# class run, so matching stays linear.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b[\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -~]?"
    r"|\x9b[0-?]*[ -/]*[@-~]?"
    r"|[\x9d\x90\x98\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# bidi embeddings/overrides/isolates/marks, zero-width and invisible formatting characters
_INVISIBLE = re.compile(r"[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u180e\u00ad]")


def terminal(value: Any, *, newlines: bool = False) -> str:
    """``value`` as text that cannot drive the terminal; ``newlines``: keep line breaks (else spaces)."""
    text = "" if value is None else str(value)
    if text.isascii() and text.isprintable():
        return text
    text = _ESCAPES.sub("", text)
    if not newlines:
        text = text.replace("\n", " ").replace("\t", " ")
    text = _CONTROLS.sub("", text)
    return _INVISIBLE.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


def term_text(value: Any, style: str = "", *, newlines: bool = False) -> Text:
    """A rich ``Text`` of :func:`terminal`: printed as is, rich markup in it is not interpreted."""
    return Text(terminal(value, newlines=newlines), style=style)


def csv_cell(value: Any) -> Any:
    """One CSV cell: numbers as they are, text that a spreadsheet would run as a formula prefixed ``'``."""
    if value is None or isinstance(value, (int, float, Decimal)):
        return value
    text = str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_row(row: dict[str, Any]) -> dict[str, Any]:
    return {csv_cell(key): csv_cell(value) for key, value in row.items()}
