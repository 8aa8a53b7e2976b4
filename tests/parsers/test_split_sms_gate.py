"""split_sms skips the NFKC of a text that cannot hold a signature bracket: the gate is exact."""

from __future__ import annotations

import unicodedata

from smartreturn.parsers.courier_cn import BRACKET_SOURCES, split_sms


def test_only_the_listed_characters_bring_a_signature_bracket_through_nfkc() -> None:
    found = [c for c in map(chr, range(0x110000))
             if "【" in unicodedata.normalize("NFKC", c) or "[" in unicodedata.normalize("NFKC", c)]
    assert sorted(found) == sorted(BRACKET_SOURCES)
    # and no composition makes one: a bracket followed by combining marks stays a bracket
    assert unicodedata.normalize("NFKC", "[\u0301【\u0308") == "[\u0301【\u0308"


def test_a_fullwidth_or_presentation_form_signature_is_still_read() -> None:
    for text in ("\ufe3b顺丰速运】您的快递已签收", "\uff3b顺丰速运\uff3d您的快递已签收"):
        assert split_sms(text) == split_sms(unicodedata.normalize("NFKC", text))
    assert split_sms("您的快递已签收，没有签名") == []
