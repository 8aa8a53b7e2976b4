"""The quick start: ingest the whole fixtures/ mailbox twice into SQLite; the second run changes nothing."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from smartreturn.cli import app
from smartreturn.store.db import open_database
from smartreturn.store.tables import Base

from tests.conftest import FIXTURES


def test_ingesting_the_sample_mailbox_twice_adds_nothing_the_second_time(tmp_path):
    env = {"SMARTRETURN_CONFIG": "", "SMARTRETURN_GENERAL__STATE_DIR": str(tmp_path)}

    def ingest() -> dict:
        result = CliRunner().invoke(app, ["ingest", str(FIXTURES), "--json"], env=env)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def counts() -> dict[str, int]:
        db = open_database(f"sqlite:///{tmp_path / 'smartreturn.db'}")
        try:
            with db.session() as session:
                return {t.name: session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}
        finally:
            db.dispose()

    first = ingest()
    assert first["failed"] == 0, first["failures"]
    assert first["new"] >= 100 and first["records"] > 0
    before = counts()
    second = ingest()
    assert (second["new"], second["records"], second["duplicate"]) == (0, 0, first["new"] + first["duplicate"])
    assert counts() == before
    orders = json.loads(CliRunner().invoke(app, ["list", "orders", "--json", "--limit", "1000"], env=env).stdout)
    platforms = {o["platform"] for o in orders}
    assert {"amazon", "jd", "taobao", "ebay", "shopify", "aliexpress"} <= platforms
    assert before["return_cases"] > 0 and before["shipments"] > 0
