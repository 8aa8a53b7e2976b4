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


def test_a_square_signature_is_only_found_where_a_bracket_opens_a_line() -> None:
    from pathlib import Path

    from smartreturn.mail.decode import parse_email
    from smartreturn.parsers.courier_cn import _QUOTE, _SQUARE_HEAD, _bracket_opens_a_line

    root = Path(__file__).resolve().parents[2] / "fixtures"
    texts = [parse_email(p.read_bytes()).text for p in sorted(root.rglob("*.eml"))]
    texts += [p.read_text(encoding="utf-8", errors="replace") for p in sorted(root.rglob("*.txt"))]
    texts += ["[兔喜生活]您的包裹已到", "> > [菜鸟驿站] 取件码 1-2-3", "x\n\t[京东] 已签收", "see [1] below", "a [b]\n c"]
    hits = 0
    for text in texts:
        text = unicodedata.normalize("NFKC", text.replace("\r\n", "\n"))
        if _SQUARE_HEAD.search(_QUOTE.sub("", text)):
            hits += 1
            assert _bracket_opens_a_line(text), text[:200]
    assert hits >= 3
