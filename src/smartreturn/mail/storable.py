"""Text from mail made storable: what no database column can hold, written as escapes.

Kept apart from :mod:`smartreturn.mail.decode` (which imports the MIME and HTML machinery) so that
the daemon's main process, which stores what the parse worker read, need not import any of it.
"""

from __future__ import annotations

import re

__all__ = ["visible"]

_INVALID = re.compile(r"[\x00\ud800-\udfff]")


def _escape_one(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(value: str) -> str:
    """``value`` with what no database column can hold written as escapes: NUL as ``\\x00`` and raw
    8-bit bytes (the stdlib's surrogate escapes) as ``\\xNN``. Valid text is returned unchanged."""
    return _INVALID.sub(_escape_one, value)
