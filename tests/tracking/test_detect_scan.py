"""The detector's scan and context passes: what the speed work relies on, checked on hostile input."""

from __future__ import annotations

import random

from smartreturn.tracking.carriers import find_names
from smartreturn.tracking.detect import _scan, detect, normalise_text


def test_candidates_come_in_the_order_of_their_starts() -> None:
    """The windows around the candidates are merged in one pass that needs them sorted by start."""
    rng = random.Random(3)
    pieces = ["1Z 999 AA1 01 2345 678 4", "1 Z 8 V 9 2 A 7 0 3 6 7 2 0 3 0 2 4", "AB12cd345678901", "9400 1112 0108",
              "ABCDEFGHIJ1234klm", "0800 7955 12", "-1 ", " ", "\t", "x", "2026-05-12", "顺丰", "Sendungsnummer"]
    for _ in range(2_000):
        text = normalise_text("".join(rng.choice(pieces) for _ in range(rng.randrange(1, 12))))
        starts = [c.start for c in _scan(text)]
        assert starts == sorted(starts), text


def test_undecodable_bytes_and_astral_characters_do_not_break_the_name_search() -> None:
    """Mail decoded with surrogateescape carries lone surrogates; the name automaton reads UTF-8."""
    text = "UPS \udc80 tracking 1Z999AA10123456784 \U0001F600 DHL \udcff 顺丰"
    assert [d.number for d in detect(text)] == ["1Z999AA10123456784"]
    assert [(s, e, c.code) for s, e, c in find_names(text)] == [(0, 3, "ups"), (36, 39, "dhl"), (42, 44, "sf")]
