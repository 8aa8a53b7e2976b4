"""Cheaper regex scans over mail text with the same matches: a look-ahead for the characters a match can begin
with, and the plain strings one of which every match contains.

sre tries a pattern at every position of the text. For a pattern that opens with a look-behind
(``(?<!\\w)``), a word boundary or an alternation under ``re.IGNORECASE`` it cannot skip ahead by
itself: it enters every alternative at every position. ``(?=[...])`` in front, listing the characters
a match can begin with, lets it drop most positions with one class test. The matches are the same
(the look-ahead holds wherever the pattern matches; it inherits the pattern's flags, so its class is
case-insensitive exactly where the pattern is).

Patterns whose first character cannot be told (a leading ``.``, a negated class, a group with its own
flags, one that can match the empty string, verbose or inline-flag patterns) are returned unchanged.
"""

from __future__ import annotations

import re
from functools import lru_cache
from re import _constants as sre
from re import _parser as sre_parse

import ahocorasick_rs

from smartreturn.tracking.carriers import automaton, lowers_in_place

__all__ = ["first_chars", "guarded", "may_match", "required_parts"]

_CATEGORIES = {
    sre.CATEGORY_DIGIT: r"\d", sre.CATEGORY_NOT_DIGIT: r"\D", sre.CATEGORY_SPACE: r"\s",
    sre.CATEGORY_NOT_SPACE: r"\S", sre.CATEGORY_WORD: r"\w", sre.CATEGORY_NOT_WORD: r"\W",
}
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
_ZERO_WIDTH = (sre.ASSERT, sre.ASSERT_NOT, sre.AT)


class _Unknown(Exception):
    """The first character of a match cannot be told."""


def _char(code: int) -> str:
    return re.escape(chr(code))   # escapes what a class treats specially: - ] \\ ^


def _class_items(items: list) -> set[str]:  # type: ignore[type-arg]
    found = set()
    for op, av in items:
        if op is sre.LITERAL:
            found.add(_char(av))
        elif op is sre.RANGE:
            found.add(f"{_char(av[0])}-{_char(av[1])}")
        elif op is sre.CATEGORY and av in _CATEGORIES:
            found.add(_CATEGORIES[av])
        else:  # NEGATE, RANGE_UNI_IGNORE, other categories
            raise _Unknown(op)
    return found


def _first(items: list) -> tuple[set[str], bool]:  # type: ignore[type-arg]
    """Class items a match of the sequence can begin with, and whether the sequence can match empty."""
    chars: set[str] = set()
    for op, av in items:
        if op is sre.LITERAL:
            return chars | {_char(av)}, False
        if op is sre.IN:
            return chars | _class_items(av), False
        if op in _ZERO_WIDTH:
            continue
        if op in _REPEATS:
            low, _high, sub = av
            sub_chars, sub_empty = _first(list(sub))
            chars |= sub_chars
            if low > 0 and not sub_empty:
                return chars, False
        elif op is sre.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            if add_flags or del_flags:
                raise _Unknown(op)
            sub_chars, sub_empty = _first(list(sub))
            chars |= sub_chars
            if not sub_empty:
                return chars, False
        elif op is sre.ATOMIC_GROUP:
            sub_chars, sub_empty = _first(list(av))
            chars |= sub_chars
            if not sub_empty:
                return chars, False
        elif op is sre.BRANCH:
            empty = False
            for branch in av[1]:
                sub_chars, sub_empty = _first(list(branch))
                chars |= sub_chars
                empty = empty or sub_empty
            if not empty:
                return chars, False
        else:  # ANY, NOT_LITERAL, GROUPREF, ...
            raise _Unknown(op)
    return chars, True


def first_chars(pattern: str, flags: int = 0) -> str | None:
    """A character class (``[...]``) holding every character a match of ``pattern`` can begin with,
    or None when that cannot be told."""
    if flags & re.VERBOSE:
        return None
    try:
        parsed = sre_parse.parse(pattern, flags)
        chars, empty = _first(list(parsed))
    except _Unknown:
        return None
    if empty or not chars:
        return None
    return "[" + "".join(sorted(chars)) + "]"


def guarded(pattern: str | re.Pattern[str], flags: int = 0) -> re.Pattern[str]:
    """``pattern`` compiled behind a look-ahead for its first characters (the same matches)."""
    if isinstance(pattern, re.Pattern):
        pattern, flags = pattern.pattern, pattern.flags & ~re.UNICODE
    inline = _INLINE_FLAGS.match(pattern)   # "(?i)...": global flags stay in front
    head, body = pattern[:inline.end()], pattern[inline.end():]
    chars = first_chars(pattern, flags) if sre_parse.parse(head).state.flags & re.VERBOSE == 0 else None
    if chars is None:
        return re.compile(pattern, flags)
    return re.compile(f"{head}(?={chars})(?:{body})", flags)


_INLINE_FLAGS = re.compile(r"(?:\(\?[aiLmsux]+\))*")


def required_parts(pattern: str, flags: int = 0) -> frozenset[str] | None:
    """Lower-cased strings one of which every match of ``pattern`` contains: the longest run of plain
    characters of each top-level alternative. None when an alternative has no such run of two or more
    characters (or the pattern is verbose)."""
    if flags & re.VERBOSE:
        return None
    items = list(sre_parse.parse(pattern, flags))
    branches = items[0][1][1] if len(items) == 1 and items[0][0] is sre.BRANCH else [items]
    found = set()
    for branch in branches:
        best, run = "", ""
        for op, arg in branch:
            run = run + chr(arg) if op is sre.LITERAL else ""
            best = max(best, run, key=len)
        if len(best) < 2:
            return None
        found.add(best.lower())
    return frozenset(found)


def may_match(parts: frozenset[str] | None, text: str, lowered: str) -> bool:
    """False only when ``pattern`` (of which ``parts`` are the :func:`required_parts`) cannot match ``text``:
    none of its parts occurs in ``lowered`` (``text.lower()``). Lowering must keep the text's characters
    apart (same length, none of the characters re.IGNORECASE matches to an ASCII letter that lowering does
    not turn into it); else True."""
    if parts is None or not lowers_in_place(text, lowered):
        return True
    if len(parts) < 8:
        return any(part in lowered for part in parts)
    try:  # one pass of an automaton instead of a substring search per part
        return bool(_automaton(parts).find_matches_as_indexes(lowered))
    except UnicodeEncodeError:  # a lone surrogate (undecodable mail bytes) cannot go to the automaton
        return any(part in lowered for part in parts)


@lru_cache(maxsize=64)
def _automaton(parts: frozenset[str]) -> ahocorasick_rs.AhoCorasick:
    return automaton(sorted(parts))
