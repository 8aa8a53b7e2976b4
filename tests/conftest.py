"""Shared fixtures. Server fixtures live in tests/servers/ and are loaded as plugins here."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartreturn.store.db import Database, open_database

pytest_plugins: list[str] = [
    # "tests.servers.<name>" modules add real-server fixtures (Dovecot, PostgreSQL, SMTP/HTTP sinks)
    "tests.servers.postgres",
    "tests.servers.sinks",        # real SMTP sink (aiosmtpd) and HTTP receiver for Apprise
    "tests.servers.dovecot",      # real Dovecot IMAP: `dovecot` (session), `imap_mailbox` (fresh user)
    "tests.clockshift",           # --clock-shift=DATE: the whole run with the process clock moved (time-machine)
]

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Database:
    """A fresh, migrated SQLite file database."""
    db = open_database(f"sqlite:///{tmp_path / 'smartreturn.db'}")
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    """The same test on a real SQLite file and on the real PostgreSQL server."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'smartreturn.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    db = open_database(url)
    yield db
    db.dispose()
