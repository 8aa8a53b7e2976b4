"""Every carrier code a parser can emit is a code of the carrier registry (tracking uses it)."""

from __future__ import annotations

import re
from pathlib import Path

from smartreturn.parsers import common_intl, courier_cn
from smartreturn.tracking import carriers

ROOT = Path(__file__).resolve().parents[2]


def test_codes_in_fixtures_are_registered():
    codes = set()
    for path in (ROOT / "fixtures").rglob("*.eml.json"):
        codes |= set(re.findall(r'"carrier": "([a-z0-9_]+)"', path.read_text(encoding="utf-8")))
    unknown = {c for c in codes if c not in {x.code for x in carriers.all_carriers()}}
    assert not unknown


def test_codes_the_parser_helpers_can_return_are_registered():
    registered = {c.code for c in carriers.all_carriers()}
    source = "\n".join(Path(m.__file__).read_text(encoding="utf-8") for m in (common_intl, courier_cn))
    emitted = set(re.findall(r'"(?:carrier|code)"?\s*[:=]\s*"([a-z0-9_]+)"', source))
    emitted |= set(getattr(common_intl, "_S10_COUNTRY", {}).values())
    emitted |= {code for _, code in getattr(common_intl, "_CARRIER_RES", ())}
    assert emitted and not (emitted - registered), emitted - registered
