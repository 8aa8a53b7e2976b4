"""The reason classifier on a labelled set of short texts in English, Chinese and German."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from smartreturn.model import ReasonCategory
from smartreturn.stats.reasons import classify, label

LABELLED = Path(__file__).with_name("reasons_labelled.tsv")


def _cases() -> list[tuple[ReasonCategory, str]]:
    rows = []
    for line in LABELLED.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            category, text = line.split("\t", 1)
            rows.append((ReasonCategory(category), text))
    return rows


def test_accuracy_on_the_labelled_set_is_at_least_85_percent():
    cases = _cases()
    assert len(cases) >= 60
    languages = Counter("zh" if any("\u4e00" <= ch <= "\u9fff" for ch in t) else "de/en" for _, t in cases)
    assert languages["zh"] >= 20
    wrong = [(expected, text, classify(text).category) for expected, text in cases if classify(text).category != expected]
    accuracy = 1 - len(wrong) / len(cases)
    print(f"reason classifier accuracy: {accuracy:.1%} on {len(cases)} texts; misses: {wrong}")
    assert accuracy >= 0.85, wrong


def test_confidence_is_low_for_nothing_and_high_for_a_clear_reason():
    assert classify("").confidence == 0.0
    assert classify("asdf qwer").category == ReasonCategory.OTHER
    assert classify("asdf qwer").confidence < 0.5
    clear = classify("尺码偏小，鞋子挤脚")
    assert clear.category == ReasonCategory.SIZE_FIT and clear.confidence >= 0.8


def test_labels_exist_in_three_languages():
    assert label("size_fit", "zh") == "尺码不合适"
    assert label(ReasonCategory.DEFECTIVE, "de") == "Defekt / beschädigt"
