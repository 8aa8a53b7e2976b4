"""first_chars.guarded: a pattern behind a look-ahead for its first characters finds the same matches."""

from __future__ import annotations

import importlib
import pkgutil
import random
import re

import pytest

import smartreturn.parsers as parsers_package
from smartreturn.mail.decode import parse_email
from smartreturn.parsers.common_intl import body_text
from smartreturn.first_chars import first_chars, guarded
from tests.conftest import FIXTURES


def _patterns() -> list[re.Pattern[str]]:
    """Every compiled pattern at module level (or in a tuple, dict or class there) of the parsers."""
    found: dict[int, re.Pattern[str]] = {}

    def walk(obj: object, depth: int) -> None:
        if isinstance(obj, re.Pattern):
            found.setdefault(id(obj), obj)
        elif depth < 3 and isinstance(obj, (tuple, list)):
            for item in obj:
                walk(item, depth + 1)
        elif depth < 3 and isinstance(obj, dict):
            for item in obj.values():
                walk(item, depth + 1)
        elif depth < 1 and isinstance(obj, type):
            for item in vars(obj).values():
                walk(item, depth + 1)

    modules = [f"smartreturn.parsers.{info.name}" for info in pkgutil.iter_modules(parsers_package.__path__)]
    for name in [*modules, "smartreturn.mail.forward"]:
        for value in vars(importlib.import_module(name)).values():
            walk(value, 0)
    return [p for p in found.values() if isinstance(p.pattern, str)]


def _texts() -> list[str]:
    texts = []
    for path in sorted(FIXTURES.rglob("*.eml"))[::3]:
        email = parse_email(path.read_bytes())
        texts += [f"{email.subject}\n{body_text(email)[:4000]}"]
    rng = random.Random(5)
    pieces = ["Tracking number: 1Z999AA10123456784", "Order #123-456", "ſ", "ı", "İ", "K", "Ü", "\n", " ", "【顺丰速运】",
              "取件码 3-1-2024", "Ihre Sendung", "REFUNDED", "card x1234", "€12,50", "\t", "#", "-"]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 12))) for _ in range(300)]
    return texts


def test_guarded_patterns_find_the_same_matches() -> None:
    patterns = _patterns()
    texts = _texts()
    assert len(patterns) > 200
    changed = 0
    for pattern in patterns:
        fast = guarded(pattern)
        assert fast.flags == pattern.flags and fast.groupindex == pattern.groupindex
        if fast.pattern == pattern.pattern:
            continue
        changed += 1
        for text in texts:
            assert [m.span() + m.groups() for m in fast.finditer(text)] == \
                [m.span() + m.groups() for m in pattern.finditer(text)], (pattern.pattern, text)
    assert changed > 100


@pytest.mark.parametrize(("pattern", "flags", "chars"), [
    (r"(?<!\w)(?:order|tracking)\s*#", 0, "[ot]"),
    (r"\bcard|\d{4}", re.IGNORECASE, r"[\dc]"),
    (r"(?:x?y)+z", 0, "[xy]"),
    (r"a*", 0, None),                 # can match empty
    (r".abc", 0, None),               # any character
    (r"[^a]bc", 0, None),             # a negated class
    (r"(?i:ab)c", 0, None),           # a group with its own flags
    (r"\-|\]|\^|\\", 0, r"[\-\\\]\^]"),
])
def test_first_chars(pattern: str, flags: int, chars: str | None) -> None:
    assert first_chars(pattern, flags) == chars


def test_inline_global_flags_stay_in_front() -> None:
    fast = guarded(re.compile(r"(?i)card|otp"))
    assert fast.pattern.startswith("(?i)(?=[co])")
    assert fast.search("my CARD") is not None


def test_a_pattern_matches_only_where_one_of_its_required_parts_occurs() -> None:
    from smartreturn.first_chars import may_match, required_parts

    texts = _texts() + ["SHOPIFY.COM/", "Deutſche", "Lıeferung", "CDN.SHOPİFY.COM"]
    checked = 0
    for pattern in _patterns():
        parts = required_parts(pattern.pattern, pattern.flags & ~re.UNICODE)
        if parts is None:
            continue
        checked += 1
        for text in texts:
            if pattern.search(text) is not None:
                assert may_match(parts, text, text.lower()), (pattern.pattern, text, parts)
    assert checked > 50


@pytest.mark.parametrize(("pattern", "parts"), [
    (r"\bups\b|united parcel", {"ups", "united parcel"}),
    (r"fed\s?ex", {"fed"}),
    (r"//(?:www\.)?shopify\.com/", {"shopify.com/"}),
    (r"j&t|jnt\s*express", None),      # the parser shares the "j": one alternative is left with "&t"... or less
    (r"\d+x", None),
])
def test_required_parts(pattern: str, parts: set[str] | None) -> None:
    from smartreturn.first_chars import required_parts

    found = required_parts(pattern, re.IGNORECASE)
    assert (set(found) if found is not None else None) == parts


def test_labelled_fields_are_searched_only_where_a_label_occurs() -> None:
    from smartreturn.parsers import common_intl, generic
    from smartreturn.first_chars import may_match

    tracking = generic._tracking_labels()
    checks = [(generic._label_res()["order"], generic._label_parts("order")),
              (generic._label_res()["pickup_code"], generic._label_parts("pickup_code")),
              (common_intl._labelled_tracking(tracking), common_intl._label_parts(tracking)),
              (common_intl._labelled_tracking(common_intl._TRACKING_LABELS),
               common_intl._label_parts(common_intl._TRACKING_LABELS))]
    assert all(parts is not None for _p, parts in checks)
    for text in _texts() + ["ORDER # 12345678", "Numéro de suivi : 1Z999AA10123456784", "取件码 3-1-2024"]:
        for pattern, parts in checks:
            if pattern.search(text) is not None:
                assert may_match(parts, text, text.lower()), (pattern.pattern[:80], text)
