"""``smartreturn fixtures score``: field accuracy over samples with hand-written expectations."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from smartreturn.cli import app
from smartreturn.parsers.score import score_folder
from tests.conftest import FIXTURES


def _sample(folder: Path, source: Path, expected: dict, name: str | None = None) -> Path:
    target = folder / (name or source.name)
    shutil.copy(source, target)
    (target.parent / (target.name + ".json")).write_text(json.dumps(expected), encoding="utf-8")
    return target


def _corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "samples"
    folder.mkdir()
    # Read from the mail: UPS says delivered, tracking number 1ZV2E8470368123454.
    _sample(folder, FIXTURES / "ups" / "delivered_mychoice_en.eml", {
        "language": "en",
        "records": [{"kind": "delivered", "tracking": [{"number": "1ZV2E8470368123454", "carrier": "ups"}]}],
    })
    # The same mail with a wrong expectation: an order number it does not contain, a wrong carrier.
    _sample(folder, FIXTURES / "ups" / "delivered_mychoice_en.eml", {
        "language": "en",
        "records": [{"kind": "delivered", "order_number": "111-2223334-5556667",
                     "tracking": [{"number": "1ZV2E8470368123454", "carrier": "fedex"}]}],
    }, name="wrong_expectation.eml")
    # A UPS promotion: must yield nothing.
    _sample(folder, FIXTURES / "ups" / "promo_mychoice_negative.eml", {"language": "en", "records": []})
    # A pasted pickup SMS as text.
    sms = folder / "pickup.txt"
    sms.write_text("【菜鸟驿站】您的韵达包裹已到富里红波精品超市，请凭取件码 B3-01175 取件。\n", encoding="utf-8")
    (folder / "pickup.txt.json").write_text(json.dumps({
        "language": "zh", "received": "2026-03-02T18:20:00+08:00",
        "records": [{"kind": "pickup_ready", "pickup_code": "B3-01175"}],
    }, ensure_ascii=False), encoding="utf-8")
    return folder


def test_score_counts_each_expected_field_and_groups_them(tmp_path):
    score = score_folder([_corpus(tmp_path)])
    by_field = score.by("field")
    # right sample: kind, number, carrier (3/3); wrong one: kind, number (2/4); promo: nothing (1/1); SMS: kind, code
    assert by_field["order_number"] == (0, 1)
    assert by_field["carrier"] == (1, 2)
    assert by_field["nothing"] == (1, 1)
    assert by_field["pickup_code"] == (1, 1)
    assert score.by("language")["zh"] == (2, 2)
    assert score.by("kind")["delivered"] == (5, 7)
    assert score.by("parser")["ups"] == (5, 7)
    assert (score.passed, score.total) == (8, 10)
    failed = {(c.field, c.expected) for s in score.samples for c in s.checks if not c.passed}
    assert failed == {("order_number", "111-2223334-5556667"), ("carrier", "fedex")}


def test_a_sample_that_yields_records_fails_its_nothing_check(tmp_path):
    folder = tmp_path / "neg"
    folder.mkdir()
    _sample(folder, FIXTURES / "ups" / "delivered_mychoice_en.eml", {"language": "en", "records": []})
    score = score_folder([folder])
    assert (score.passed, score.total) == (0, 1)
    assert score.samples[0].checks[0].actual == "delivered"


def test_score_command_prints_the_figures(tmp_path):
    folder = _corpus(tmp_path)
    result = CliRunner().invoke(app, ["fixtures", "score", str(folder), "--failures"])
    assert result.exit_code == 0, result.output
    assert "fields: 8/10  80.0 % over 4 samples" in result.output
    assert "wrong_expectation.eml [delivered] carrier: expected 'fedex', got 'ups'" in result.output
    as_json = CliRunner().invoke(app, ["fixtures", "score", str(folder), "--json"])
    data = json.loads(as_json.output)
    assert data["by_language"]["en"] == {"passed": 6, "total": 8}
    assert len(data["failures"]) == 2


def test_real_samples_are_not_diffed_as_parser_fixtures(tmp_path):
    from smartreturn.parsers import fixtures

    root = tmp_path / "fixtures"
    (root / "real" / "somewhere").mkdir(parents=True)
    (root / "ups").mkdir()
    (root / "real" / "somewhere" / "a.eml").write_text("x")
    (root / "ups" / "b.eml").write_text("x")
    assert [p.relative_to(root).as_posix() for p in fixtures.fixture_cases(root)] == ["ups/b.eml"]
