"""The generic layer searches only the statuses whose phrases occur in the lower-cased text: the status
it reads must equal the one every status regex gives."""

from __future__ import annotations

import random
import sys

import pytest

from smartreturn.mail.decode import parse_email
from smartreturn.parsers import generic
from smartreturn.parsers.common_intl import body_text
from smartreturn.tracking.carriers import _CASE_ODDITIES
from tests.conftest import FIXTURES


def exhaustive(subject: str, body: str) -> tuple[str | None, bool]:
    """generic._status as it was: every status regex over the subject, then over the body's head."""
    pats = generic.lexicon().status
    for name, _, _ in generic.STATUS_ORDER:
        if name in pats and generic._phrase(name, pats[name], subject):
            return name, True
    best = None
    for order, (name, _, _) in enumerate(generic.STATUS_ORDER):
        m = generic._phrase(name, pats[name], body[:generic._HEAD]) if name in pats else None
        if m and (best is None or (m.start(), order) < best[:2]):
            best = (m.start(), order, name)
    return (best[2] if best else None), False


def test_a_phrase_matches_case_insensitively_only_what_lowers_to_it() -> None:
    """re.IGNORECASE matches a phrase's letter to characters that str.lower() turns into it, or to the
    characters lowers_in_place() refuses (dotless i, long s, dotted capital I): nothing else."""
    letters = {c for phrases in generic.lexicon().phrases.values() for p in phrases for c in p if c.upper() != c}
    everything = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    for letter in sorted(letters):
        for m in generic.re.finditer(generic.re.escape(letter), everything, generic.re.IGNORECASE):
            char = m.group()
            assert char.lower() == letter or char in _CASE_ODDITIES, (letter, char)


def fixture_texts() -> list[tuple[str, str]]:
    texts = []
    for path in sorted(FIXTURES.rglob("*.eml")):
        email = parse_email(path.read_bytes())
        texts.append((email.subject or "", body_text(email)))
    return texts


def test_fixtures_read_the_same_status() -> None:
    texts = fixture_texts()
    assert len(texts) > 100
    for subject, body in texts:
        assert generic._status(subject, body) == exhaustive(subject, body), subject


def test_random_mixtures_of_phrases() -> None:
    phrases = sorted({p for ps in generic.lexicon().phrases.values() for p in ps})
    glue = ["", " ", "x", "\n", "天", "Ü", "-", "9", ": "]
    rng = random.Random(3)
    for _ in range(3_000):
        parts = []
        for _ in range(rng.randrange(1, 5)):
            phrase = rng.choice(phrases)
            parts.append(rng.choice([phrase, phrase.upper(), phrase.title(), phrase.replace("s", "ſ"),
                                     phrase.replace("i", "ı"), phrase.replace("I", "İ").upper()]))
            parts.append(rng.choice(glue))
        subject, body = ("".join(parts), "") if rng.random() < 0.3 else ("", "".join(parts))
        assert generic._status(subject, body) == exhaustive(subject, body), (subject, body)


@pytest.mark.parametrize("body", ["Ihr Paket wurde zugeſtellt", "DELİVERED today", "Delıvered", "", "nothing here"])
def test_case_oddities_fall_back_to_every_status(body: str) -> None:
    assert generic._status("", body) == exhaustive("", body)
