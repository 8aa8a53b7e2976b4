"""Does a status phrase state a fact, or only mention it? "Amazon refunded to your card?" asks, "your
refund will be credited within 5 days" promises, "has not been refunded" / "noch nicht erstattet" /
"尚未退款" / "退款失败" deny: none of them is a refund that was issued.

A phrase counts only where its clause asserts it. The clause is the stretch of its sentence between
clause breaks (punctuation; "and", "but", "und", "但是" … from the lexicons), at most ``WINDOW``
characters either side. The phrase does not count when

* its sentence is a question (it ends with "?" / "？", or its clause has a question word: 吗, 是否 …);
* its clause denies it (``[guards] negation``: "not", "no refund", "nicht", "kein", "pas", "未", "失败" …);
* its clause puts it in the future, under a condition or still pending (``[guards] not_yet``: "will",
  "if", "pending", "wird", "将", "预计", "如果" …; ``until``: "once", "sobald", "一旦", which also reach
  across a comma: "Die Erstattung erfolgt, sobald die Ware eingegangen ist").

The words are data, one ``[guards]`` table per language in ``lexicon/<lang>.toml``, matched like the
status phrases (literal, Latin words on word boundaries, CJK anywhere). Every regex here is a literal
alternation or a character class, and each phrase match looks at a bounded window only: linear time.
Pure: no I/O beyond the packaged lexicon files.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from smartreturn.parsers.literal import alternation

__all__ = ["UNSPACED", "Guards", "asserted", "first_asserted", "guards", "is_asserted"]

WINDOW = 200  # characters of context either side of a phrase: a sentence, not a page

# A sentence ends at CJK stops, a line end, and at . ! ? ; that end a word: not in "23.90", "?id=1", "&amp;".
_SENTENCE_END = r"[。！？；\n]|[.!?;](?=\s|$)"
_QUESTION_MARKS = frozenset("?？")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "＇": "'"})


@dataclass(frozen=True, slots=True)
class Guards:
    sentence_end: re.Pattern[str]   # where a sentence ends
    comma: re.Pattern[str]          # a comma between words: ends a clause for every cue but ``until``
    clause_break: re.Pattern[str]   # a conjunction: ends a clause for every cue
    cue: re.Pattern[str]            # negation, not-yet and question words, one alternation
    until: re.Pattern[str]          # time conditions ("once", "sobald", "一旦"): they reach across a comma


# scripts written without spaces between words (Han, kana, Hangul): their words are matched anywhere
# ("尚未退款", "되지 않았습니다"); Latin, Cyrillic … words on word boundaries ("no" is not in "notice")
UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def _phrases(phrases: Iterable[str]) -> str:
    return alternation(phrases, UNSPACED)


@lru_cache(maxsize=1)
def guards() -> Guards:
    words: dict[str, list[str]] = {"negation": [], "not_yet": [], "until": [], "question": [], "clause_breaks": []}
    folder = resources.files("smartreturn.parsers") / "lexicon"
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if not re.fullmatch(r"[a-z]{2}\.toml", path.name):  # one file per language; senders.toml is no language
            continue
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("guards", {})
        unknown = set(table) - set(words)
        if unknown:
            raise ValueError(f"lexicon/{path.name} [guards] names unknown lists: {sorted(unknown)}")
        for key, phrases in table.items():
            words[key].extend(p.translate(_APOSTROPHES) for p in phrases)
    # a comma ends a clause where it separates words ("issued, if you…"), not inside "1,299.00"
    return Guards(
        sentence_end=re.compile(_SENTENCE_END),
        comma=re.compile(r"[,，、](?=\D)"),
        clause_break=re.compile(_phrases(words["clause_breaks"]), re.IGNORECASE),
        cue=re.compile(_phrases(words["negation"] + words["not_yet"] + words["question"]), re.IGNORECASE),
        until=re.compile(_phrases(words["until"]), re.IGNORECASE),
    )


def _limits(breaks: Iterable[re.Match[str]], here: int, there: int, size: int) -> tuple[int, int]:
    """(start of the last break before the phrase, end of the first one after it): a cue counts when it
    ends after the first and starts before the second, so a cue that begins with a break word ("en
    cours" after Dutch "en") still counts."""
    left, right = 0, size
    for m in breaks:
        if m.end() <= here:
            left = m.start()
        elif m.start() >= there:
            right = m.end()
            break
    return left, right


def _cued(cue: re.Pattern[str], sentence: str, limits: tuple[int, int]) -> bool:
    left, right = limits
    return any(m.end() > left and m.start() < right for m in cue.finditer(sentence))


def is_asserted(text: str, start: int, end: int) -> bool:
    """True when the phrase at ``text[start:end]`` is stated as a fact that happened (see the module doc)."""
    g = guards()
    lo = max(0, start - WINDOW)
    before = text[lo:start].translate(_APOSTROPHES)
    after = text[end:end + WINDOW].translate(_APOSTROPHES)
    stop = g.sentence_end.search(after)
    if stop is not None and stop.group(0) in _QUESTION_MARKS:
        return False  # the sentence is a question
    sentence_start = 0
    for m in g.sentence_end.finditer(before):
        sentence_start = m.end()
    sentence = before[sentence_start:] + text[start:end] + (after[:stop.start()] if stop else after)
    here, there = len(before) - sentence_start, len(before) - sentence_start + (end - start)  # the phrase
    words = _limits(g.clause_break.finditer(sentence), here, there, len(sentence))
    commas = _limits(g.comma.finditer(sentence), here, there, len(sentence))
    clause = (max(words[0], commas[0]), min(words[1], commas[1]))
    return not (_cued(g.cue, sentence, clause) or _cued(g.until, sentence, words))


def asserted(pattern: re.Pattern[str], text: str) -> Iterable[re.Match[str]]:
    """The matches of ``pattern`` in ``text`` that state a fact (denied, asked, promised ones skipped)."""
    return (m for m in pattern.finditer(text) if is_asserted(text, m.start(), m.end()))


def first_asserted(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    return next(iter(asserted(pattern, text)), None)
