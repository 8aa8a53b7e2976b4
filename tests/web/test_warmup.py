"""Web start-up: a new web process takes the agenda another process stored instead of building it,
and compiles the page templates before the first request (web/warmup.py)."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from smartreturn import clock
from smartreturn.apply.agenda_cache import AgendaCache
from smartreturn.cli.agenda import agenda_json
from smartreturn.config import load_settings
from smartreturn.notify.render import environment
from smartreturn.store.db import Database, open_database
from smartreturn.store.tables import Merchant, StoredAgenda
from smartreturn.web.app import create_app
from smartreturn.web.warmup import page_templates, warm_up
from tests.web.conftest import NOW, _env, ingest_sample_mailbox, write_config


@pytest.fixture()
def stored(tmp_path: Path) -> Iterator[tuple[Path, Database]]:
    """The sample mailbox ingested, and its agenda built and stored by another process (the CLI)."""
    config, _ = write_config(tmp_path)
    ingest_sample_mailbox(config)
    result = subprocess.run([sys.executable, "-m", "smartreturn", "--config", str(config), "agenda", "--json"],
                            capture_output=True, text=True, timeout=120, env=_env(config))
    assert result.returncode == 0, result.stderr
    db = open_database(load_settings(config, env={}).database_url)
    with clock.pinned(datetime.fromisoformat(NOW)):
        yield config, db
    db.dispose()


def stored_key(db: Database) -> str | None:
    with db.session() as session:
        return session.scalar(select(StoredAgenda.key))


def test_preload_takes_the_stored_agenda_and_never_builds(stored) -> None:
    config, db = stored
    settings = load_settings(config, env={})
    cache = AgendaCache(settings)
    assert cache.preload(db, clock.now())
    built = AgendaCache(settings).get(db, clock.now())  # the agenda as any reader of the store sees it
    assert agenda_json(cache.get(db, clock.now())) == agenda_json(built)

    key = stored_key(db)
    with db.session() as session:  # the store changes (a new row: timestamps follow the pinned clock)
        session.add(Merchant(platform="amazon", name="A new shop"))
    fresh = AgendaCache(settings)
    assert not fresh.preload(db, clock.now())
    assert stored_key(db) == key  # preload built nothing (a build stores its agenda)


def test_warm_up_compiles_the_pages_and_loads_the_agenda(stored) -> None:
    config, db = stored
    settings = load_settings(config, env={})
    app = create_app(settings, db)
    app.state.web.agenda = AgendaCache(settings)  # not this test process's shared one
    try:
        warm_up(app.state.web)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert app.state.web.agenda.preload(db, clock.now())
    env = environment(settings.notify.template_dir)
    cached = {name for _, name in env.cache.keys()} if env.cache is not None else set()
    assert set(page_templates()) <= cached and "web/today.html.j2" in cached
