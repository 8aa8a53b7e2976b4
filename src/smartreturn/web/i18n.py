"""Page text in English, Chinese and German: one table (messages.toml), one entry per text.

The language is the ``lang`` cookie (set by the language links), else the browser's
Accept-Language, else ``general.language``. A missing translation falls back to English; a missing
key is an error in tests (tests/web/test_i18n.py checks that every key has all three languages).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from functools import lru_cache
from importlib import resources

LANGUAGES = ("en", "zh", "de")
LANGUAGE_NAMES = {"en": "English", "zh": "中文", "de": "Deutsch"}


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    text = resources.files("smartreturn.web").joinpath("messages.toml").read_text("utf-8")
    return tomllib.loads(text)


def translator(language: str) -> Callable[..., str]:
    table = catalogue()

    def t(key: str, **values: object) -> str:
        entry = table[key]
        text = entry.get(language) or entry["en"]
        return text.format(**values) if values else text

    return t


def value_translator(language: str) -> Callable[[str, str | None], str]:
    """``tv("rs_", status)``: the translation of an enum value shown on a page, or the value itself
    when there is none (a status another part of SmartReturn added later still shows)."""
    table = catalogue()

    def tv(prefix: str, value: str | None) -> str:
        if value is None:
            return ""
        entry = table.get(prefix + value)
        return (entry.get(language) or entry["en"]) if entry else value

    return tv


def pick_language(cookie: str | None, accept_language: str | None, default: str) -> str:
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(",")[:10]:
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return default if default in LANGUAGES else "en"
