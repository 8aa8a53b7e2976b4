"""One regex alternation of literal phrases taken from lexicon data (no regex syntax from the data).

Shared by the generic layer's status and lure phrases and by the assertion guard's cue words."""

from __future__ import annotations

import re
from collections.abc import Iterable


def alternation(phrases: Iterable[str], unspaced: re.Pattern[str]) -> str:
    """Literal phrases, longest first. Phrases with a character of ``unspaced`` (scripts written without
    spaces between words) match anywhere; the others only on word boundaries ("no" is not in "notice")."""
    words = sorted({p.lower() for p in phrases if p.strip()}, key=len, reverse=True)
    spaced = [re.escape(p) for p in words if not unspaced.search(p)]
    anywhere = [re.escape(p) for p in words if unspaced.search(p)]
    parts = []
    if spaced:
        parts.append(r"(?<![^\W\d_])(?:" + "|".join(spaced) + r")(?![^\W\d_])")
    if anywhere:
        parts.append("(?:" + "|".join(anywhere) + ")")
    return "|".join(parts) or r"(?!x)x"
