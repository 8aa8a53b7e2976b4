"""carrier_code reads a long text only for the carriers whose names' plain parts occur in it: the carrier
it names must be the one the 30 patterns, tried in order, give."""

from __future__ import annotations

import random

from smartreturn.mail.decode import parse_email
from smartreturn.parsers import common_intl
from smartreturn.parsers.common_intl import body_text, carrier_code
from tests.conftest import FIXTURES


def exhaustive(name: str) -> str | None:
    return next((code for pattern, code in common_intl._CARRIER_RES if pattern.search(name)), None)


def test_fixture_texts_name_the_same_carrier() -> None:
    texts = [body_text(parse_email(p.read_bytes()))[:3000] for p in sorted(FIXTURES.rglob("*.eml"))]
    assert sum(len(t) > common_intl._LONG_NAME for t in texts) > 100
    for text in texts:
        assert carrier_code(text) == exhaustive(text)


def test_random_mixtures_of_carrier_names() -> None:
    words = ["Amazon Logistics", "amzl", "UPS", "United Parcel", "U.S. Postal", "FedEx", "Fed Ex", "DHL Express",
             "DHL Paket", "Deutsche Post", "DHL eCommerce", "Royal Mail", "Evri", "myHermes", "Hermes", "DPD", "GLS",
             "OnTrac", "LaserShip", "Canada Post", "Postes Canada", "Australia Post", "AusPost", "PostNL", "La Poste",
             "Colissimo", "Cainiao", "AliExpress Standard", "4PX", "Yun Express", "Yanwen", "China Post", "EMS",
             "SF Express", "顺丰", "J&T", "JNT Express", "parcel", "post", "express", "ups and downs", "ſ", "ı", "İ",
             "\u212a", "x" * 300]
    rng = random.Random(9)
    for _ in range(2_000):
        text = " ".join(rng.choice([w, w.upper(), w.lower()]) for w in rng.sample(words, 4))
        text = text if rng.random() < 0.5 else text + " " + "lorem ipsum " * 20
        assert carrier_code(text) == exhaustive(text), text
