"""Two threads of one process opening stores at once (the daemon's thread and `doctor`, or two web
requests) must both get a migrated store: Alembic keeps the running migration in module globals."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import inspect

from smartreturn.store.db import open_database


def test_threads_opening_fresh_stores_at_once_all_get_a_migrated_schema(tmp_path: Path) -> None:
    errors: list[BaseException] = []
    tables: list[set[str]] = []
    start = threading.Barrier(4)

    def open_one(index: int) -> None:
        start.wait()
        try:
            for round_ in range(3):
                db = open_database(f"sqlite:///{tmp_path / f'store-{index}-{round_}.sqlite'}")
                tables.append(set(inspect(db.engine).get_table_names()))
                db.dispose()
        except BaseException as exc:  # noqa: BLE001 - the test reports whatever a thread hit
            errors.append(exc)

    threads = [threading.Thread(target=open_one, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(tables) == 12
    assert all({"messages", "orders", "alembic_version"} <= names for names in tables)
