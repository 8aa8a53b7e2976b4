"""Every page text exists in English, Chinese and German, and every text a template asks for exists."""

from __future__ import annotations

import re
from pathlib import Path

from smartreturn.web.i18n import LANGUAGES, catalogue, pick_language, translator

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "smartreturn" / "templates" / "web"


def test_every_text_has_all_languages() -> None:
    missing = {key: sorted(set(LANGUAGES) - set(entry)) for key, entry in catalogue().items()
               if set(entry) != set(LANGUAGES) or not all(entry.values())}
    assert missing == {}


def test_every_key_a_template_uses_exists() -> None:
    used = set()
    for template in TEMPLATES.glob("*.j2"):
        used |= set(re.findall(r'\bt\("([a-z0-9_]+)"\s*[,)]', template.read_text(encoding="utf-8")))
    assert used and sorted(used - set(catalogue())) == []


def test_placeholders_match_across_languages() -> None:
    for key, entry in catalogue().items():
        fields = {lang: sorted(re.findall(r"\{(\w+)\}", text)) for lang, text in entry.items()}
        assert len({tuple(v) for v in fields.values()}) == 1, key


def test_language_choice() -> None:
    assert pick_language(None, "de-DE,de;q=0.9,en;q=0.8", "en") == "de"
    assert pick_language(None, "zh-CN,zh;q=0.9", "en") == "zh"
    assert pick_language("en", "zh-CN", "de") == "en"       # the user's choice wins
    assert pick_language(None, "fr-FR", "zh") == "zh"        # else the configured language
    assert translator("de")("days_left", n=3) == "noch 3 T."
