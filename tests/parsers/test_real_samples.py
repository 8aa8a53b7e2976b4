"""The real samples in fixtures/real/ (mail and SMS from public repositories, expectations written by
reading them) stay read right: at least 95 % of their field checks pass (``smartreturn fixtures score``)."""

from __future__ import annotations

from smartreturn.parsers.score import sample_files, score_folder
from tests.conftest import FIXTURES

REAL = FIXTURES / "real"


def test_real_samples_score_at_least_95_percent() -> None:
    # what fixtures/real holds (2026-12-06): samples never go missing unnoticed
    assert len(sample_files(REAL)) >= 161
    score = score_folder([REAL])
    assert not [s.error for s in score.samples if s.error]
    assert score.accuracy >= 0.95, score.as_dict()["failures"]
