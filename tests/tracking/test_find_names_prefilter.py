"""find_names skips alias regexes whose word is absent: the result must equal the exhaustive scan."""

from __future__ import annotations

import random

import pytest

from smartreturn.tracking import carriers
from smartreturn.tracking.carriers import all_carriers, find_names


def exhaustive(text: str) -> list[tuple[int, int, str]]:
    hits = [(m.start(), m.end(), a.carrier) for a in carriers._alias_table() for m in a.regex.finditer(text)]
    hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    kept: list[tuple[int, int, carriers.Carrier]] = []
    for hit in hits:
        if not kept or hit[0] >= kept[-1][1]:
            kept.append(hit)
    return [(s, e, c.code) for s, e, c in kept]


def found(text: str) -> list[tuple[int, int, str]]:
    return [(s, e, c.code) for s, e, c in find_names(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Ihr DHL Paket mit der Sendungsnummer 00340434161234567895 kommt heute.",
        "Shipped with ups: UPS tracking 1Z999AA10123456784 via United  Parcel\nService",
        "您的中通快递包裹已由菜鸟驿站代收，京东物流、顺丰速运均可查询。EMS / 邮政EMS",
        "Royal mail, royal MAIL, ROYAL MAIL and Deutsche Post; fedex.com; J&T Express",
        # re.IGNORECASE matches these to ASCII letters, str.lower() does not: the scan stays exhaustive
        "Deutſche Poſt: Ihre Sendung", "Amazon Logıstıcs", "AMAZON LOGİSTİCS", "Pac\u212astation 12, PAC\u212aSTATION",
        "",
    ],
)
def test_prefiltered_scan_equals_the_exhaustive_one(text: str) -> None:
    assert found(text) == exhaustive(text)


def test_random_mixtures_of_every_name() -> None:
    names = [n for c in all_carriers() for n in c.names]
    rng = random.Random(7)
    for _ in range(500):
        words = [rng.choice(names) for _ in range(3)]
        text = " … ".join(rng.choice([w, w.upper(), w.lower(), w.title(), w.replace(" ", "\n ")]) for w in words)
        assert found(text) == exhaustive(text), text
    assert found("DHL Paket") == [(0, 9, "dhl_paket")]


def test_names_run_together_or_glued_to_words() -> None:
    """Names back to back, inside words, overlapping themselves ("天天天"), in any case: the
    automaton's hits, checked in Python, equal the exhaustive regex scan."""
    names = [n for c in all_carriers() for n in c.names]
    glue = ["", "", " ", "x", "9", "-", "\n", "天", "Ü"]
    rng = random.Random(11)
    for _ in range(2_000):
        parts = []
        for _ in range(rng.randrange(1, 5)):
            name = rng.choice(names)
            parts.append(rng.choice([name, name.upper(), name.lower(), name.swapcase(), name[: max(1, len(name) // 2)]]))
            parts.append(rng.choice(glue))
        text = "".join(parts)
        assert found(text) == exhaustive(text), text
    assert found("天天天") == exhaustive("天天天")
    assert found("EMSEMS EMS") == [(7, 10, "ems")]
