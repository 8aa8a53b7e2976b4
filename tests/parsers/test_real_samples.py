"""The real samples in fixtures/real/ (mail and SMS from public repositories, expectations written by
reading them) stay read right: at least 95 % of their field checks pass (``smartreturn fixtures score``)."""

from __future__ import annotations

import json
from collections import Counter

from smartreturn.parsers.score import expected_file, sample_files, score_folder
from tests.conftest import FIXTURES

REAL = FIXTURES / "real"
_RETURN_KINDS = {"return_requested", "return_approved", "return_rejected", "return_label", "return_shipped",
                 "return_received", "refund_issued"}


def _counts() -> tuple[int, Counter[str], int]:
    samples = sample_files(REAL)
    languages: Counter[str] = Counter()
    returns = 0
    for sample in samples:
        expected = json.loads(expected_file(sample).read_text(encoding="utf-8"))
        languages[expected["language"]] += 1
        returns += any(r.get("kind") in _RETURN_KINDS for r in expected["records"])
    return len(samples), languages, returns


def test_the_real_samples_hold_what_they_held() -> None:
    # what fixtures/real holds (2026-12-06): samples never go missing unnoticed
    total, languages, returns = _counts()
    assert total >= 221
    assert languages["zh"] >= 69
    assert languages["ja"] >= 29 and languages["ko"] >= 27
    assert languages["fr"] >= 4
    assert returns >= 12  # samples with a return or refund record
    assert len(languages) >= 10  # en zh ja ko de it ru fr pl es


def test_real_samples_score_at_least_95_percent() -> None:
    score = score_folder([REAL])
    assert not [s.error for s in score.samples if s.error]
    assert score.accuracy >= 0.95, score.as_dict()["failures"]
    assert score.passed >= 299  # of 302 field checks (2026-12-06)
