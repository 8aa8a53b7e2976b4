"""The store's schema revision: what the daemon checks at start without importing Alembic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from smartreturn.errors import StoreError
from smartreturn.store.db import HEAD_REVISION, alembic_config, open_database


def test_the_head_revision_constant_is_alembics_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert script.get_heads() == [HEAD_REVISION]


def test_a_store_at_head_opens_without_importing_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    open_database(url).dispose()  # creates and migrates the store (Alembic runs here)
    code = ("import sys; from smartreturn.store.db import open_database; "
            f"open_database({url!r}).dispose(); print(sorted(m for m in sys.modules if m.startswith('alembic')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_store_behind_head_is_migrated(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    db = open_database(url)
    with db.engine.begin() as connection:  # as if written by the release before the newest migration
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0005_agenda_cache'")
        connection.exec_driver_sql("ALTER TABLE shipments DROP COLUMN verified")
    db.dispose()
    db = open_database(url)
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == HEAD_REVISION
        columns = {row[1] for row in connection.exec_driver_sql("PRAGMA table_info(shipments)")}
    db.dispose()
    assert "verified" in columns


def test_the_daemon_migrates_a_new_store_in_a_child_and_never_imports_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    code = ("import sys; from smartreturn.store.db import open_database; "
            f"db = open_database({url!r}, migrate_in_child=True); "
            "names = db.engine.connect().exec_driver_sql('SELECT name FROM sqlite_master').scalars().all(); "
            "print('messages' in names, sorted(m for m in sys.modules if m.startswith('alembic')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True []"


def test_a_failed_migration_in_the_child_is_a_store_error_that_says_why(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    db = open_database(url)
    with db.engine.begin() as connection:  # written by a newer release than this one
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    db.dispose()
    with pytest.raises(StoreError, match="database migration failed: .*0099_from_the_future"):
        open_database(url, migrate_in_child=True)
