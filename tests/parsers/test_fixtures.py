"""Every parser fixture still extracts to its .eml.json; the fixture machinery itself."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from smartreturn.model import Event, EventKind, Item, Money, ShipmentStatus, TrackingRef
from smartreturn.parsers import fixtures

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
CASES = fixtures.fixture_cases(FIXTURES)


def test_the_fixture_tree_is_not_empty() -> None:
    assert len(CASES) >= 3, "fixtures/ holds no parser fixtures"


@pytest.mark.parametrize("eml", CASES, ids=[str(p.relative_to(FIXTURES)) for p in CASES])
def test_fixture_matches_its_json(eml: Path) -> None:
    diff = fixtures.check_one(eml)
    assert diff == "", f"extraction differs from the stored fixture:\n{diff}"


def _event() -> Event:
    return Event(
        kind=EventKind.SHIPPED,
        platform="schema_org",
        order_number="114-3941689-8772232",
        merchant="Bücherstube 书店",
        occurred_at=datetime(2026, 11, 3, 15, 12, tzinfo=timezone(timedelta(hours=8))),
        items=(Item(name="Kindle", quantity=2, price=Money(Decimal("89.90"), "eur")),),
        total=Money(Decimal("179.80"), "EUR"),
        tracking=(TrackingRef("1Z999AA10123456784", "ups"),),
        expected_delivery=date(2026, 11, 6),
        shipment_status=ShipmentStatus.IN_TRANSIT,
        extra=(("b", "2"), ("a", "1")),
    )


def test_dump_records_is_stable_readable_json() -> None:
    text = fixtures.dump_records("schema_org", 1, [_event()])
    assert text.endswith("}\n")
    assert "Bücherstube 书店" in text  # ensure_ascii=False
    doc = json.loads(text)
    assert doc["parser"] == "schema_org" and doc["parser_version"] == 1
    record = doc["records"][0]
    assert record == {
        "kind": "shipped",
        "platform": "schema_org",
        "order_number": "114-3941689-8772232",
        "merchant": "Bücherstube 书店",
        "occurred_at": "2026-11-03T15:12:00+08:00",
        "items": [{"name": "Kindle", "quantity": 2, "price": {"amount": "89.90", "currency": "EUR"}}],
        "total": {"amount": "179.80", "currency": "EUR"},
        "tracking": [{"number": "1Z999AA10123456784", "carrier": "ups", "direction": "outbound"}],
        "expected_delivery": "2026-11-06",
        "shipment_status": "in_transit",
        "extra": {"a": "1", "b": "2"},
    }
    # sorted keys, indent 2: the same events always give the same bytes
    assert text == json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert text.index('"expected_delivery"') < text.index('"kind"') < text.index('"total"')


def test_none_fields_and_empty_tuples_are_left_out() -> None:
    record = fixtures.event_to_dict(Event(kind=EventKind.ORDER_PLACED, platform="x"))
    assert record == {"kind": "order_placed", "platform": "x"}


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        fixtures.dump_records("x", 1, [Event(kind=EventKind.DELIVERED, platform="x", occurred_at=datetime(2026, 1, 1))])


def test_empty_extraction_dumps_nulls() -> None:
    assert json.loads(fixtures.dump_records(None, None, [])) == {"parser": None, "parser_version": None, "records": []}


def test_sample_and_underscore_folders_are_not_fixtures(tmp_path: Path) -> None:
    for rel in ("ups/a.eml", "sample-mailbox/b.eml", "_wip/c.eml", "jd/sub/d.eml"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"From: a@b.c\n\nx\n")
    assert [p.relative_to(tmp_path).as_posix() for p in fixtures.fixture_cases(tmp_path)] == ["jd/sub/d.eml", "ups/a.eml"]


def test_find_root_searches_upwards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "src" / "deep").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "src" / "deep")
    assert fixtures.find_root() == tmp_path / "fixtures"


# --- generate / check / CLI on a copy of real fixtures ---------------------------------------------

SCHEMA = FIXTURES / "schema_org"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "fixtures"
    shutil.copytree(SCHEMA, root / "schema_org")
    return root


def test_check_passes_on_an_untouched_copy(tree: Path) -> None:
    assert fixtures.check(tree) == []


def test_check_shows_a_unified_diff_when_the_json_differs(tree: Path) -> None:
    target = tree / "schema_org" / "order_confirmation_jsonld.eml.json"
    target.write_text(target.read_text(encoding="utf-8").replace('"BF-48213377"', '"BF-00000000"'), encoding="utf-8")
    [diff] = fixtures.check(tree)
    assert diff.startswith(f"--- {target}\n+++ ")
    assert '-      "order_number": "BF-00000000",\n+      "order_number": "BF-48213377",' in diff


def test_check_reports_a_negative_case_that_yields_records(tree: Path) -> None:
    (tree / "schema_org" / "parcel_delivery_microdata.eml.json").unlink()
    [diff] = fixtures.check(tree)
    assert diff.startswith("negative case ") and '"number": "1Z999AA10123456784"' in diff


def test_check_reports_an_orphan_json(tree: Path) -> None:
    (tree / "schema_org" / "newsletter_not_an_order.eml").rename(tree / "schema_org" / "newsletter.txt")
    (tree / "schema_org" / "gone.eml.json").write_text("{}\n", encoding="utf-8")
    assert fixtures.check(tree) == [f"orphan {tree / 'schema_org' / 'gone.eml.json'}: no .eml beside it\n"]


def test_generate_refuses_to_overwrite_without_force(tree: Path) -> None:
    target = tree / "schema_org" / "order_confirmation_jsonld.eml.json"
    target.write_text("stale\n", encoding="utf-8")
    [result] = fixtures.generate([target.with_suffix("")])
    assert result.status == "exists" and target.read_text(encoding="utf-8") == "stale\n"
    [result] = fixtures.generate([target.with_suffix("")], force=True)
    assert result.status == "written" and result.parser == "schema_org"
    assert target.read_bytes() == (SCHEMA / target.name).read_bytes()


def test_generate_writes_nothing_for_a_negative_case(tree: Path) -> None:
    results = {r.eml.name: r.status for r in fixtures.generate([tree], force=True)}
    assert results["newsletter_not_an_order.eml"] == "negative"
    assert not (tree / "schema_org" / "newsletter_not_an_order.eml.json").exists()
    assert sorted(p.name for p in (tree / "schema_org").glob("*.json")) == sorted(p.name for p in SCHEMA.glob("*.json"))


def test_cli_check_and_generate(tree: Path) -> None:
    from typer.testing import CliRunner

    from smartreturn.cli.fixtures import fixtures_app

    runner = CliRunner()
    ok = runner.invoke(fixtures_app, ["check", str(tree)])
    assert ok.exit_code == 0, ok.output
    target = tree / "schema_org" / "parcel_delivery_microdata.eml.json"
    target.write_text(target.read_text(encoding="utf-8").replace('"ups"', '"fedex"'), encoding="utf-8")
    bad = runner.invoke(fixtures_app, ["check", "--root", str(tree)])
    assert bad.exit_code == 1
    assert '-          "carrier": "fedex",\n+          "carrier": "ups",' in bad.output
    refused = runner.invoke(fixtures_app, ["generate", str(target.with_suffix(""))])
    assert refused.exit_code == 1 and "use --force" in refused.output
    forced = runner.invoke(fixtures_app, ["generate", "--force", str(target.with_suffix(""))])
    assert forced.exit_code == 0 and runner.invoke(fixtures_app, ["check", str(tree)]).exit_code == 0
