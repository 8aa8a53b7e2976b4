"""Engine and session factory; migrations are applied automatically on open."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from smartreturn.errors import StoreError

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


SQLITE_BUSY_TIMEOUT = 30.0  # seconds a write waits for another writer's lock; `?timeout=N` in the URL overrides it


def _sqlite_pragmas(busy_timeout: float):
    def apply(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")      # readers (CLI) never block the daemon
        cursor.execute("PRAGMA synchronous=NORMAL")    # durable across process crashes in WAL mode
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.close()
    return apply


def is_outage(exc: BaseException) -> bool:
    """True when the database itself failed (locked past the busy timeout, disconnected, restarting,
    disk full, I/O error), as opposed to refusing one statement (a constraint, bad data). An outage is
    not the mail's fault: callers wait and retry it without giving up on the mail."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError)):
            return True
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        current = current.__cause__ or current.__context__
    return False


def create_db_engine(url: str) -> Engine:
    # hide_parameters: a database error's text (the daemon logs it) must not carry the
    # statement's parameters, which hold raw mail, subjects and addresses.
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        busy_timeout = float(parsed.query.get("timeout", SQLITE_BUSY_TIMEOUT))
        engine = create_engine(parsed.difference_update_query(["timeout"]), connect_args={"timeout": busy_timeout},
                               hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas(busy_timeout))
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def alembic_config(url: str):
    from alembic.config import Config as AlembicConfig  # imported on use: ~0.2 s that `--help` need not pay

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


# Alembic publishes the running migration through module globals (``alembic.context``, ``alembic.op``),
# so two threads of one process migrating at once tear each other's proxy down (KeyError: 'script').
# The daemon's thread and a `doctor` or web request in the same process both open the store.
_MIGRATION_LOCK = threading.Lock()


# The newest migration (store/migrations/versions/). Checked against Alembic's own answer by
# tests/store/test_migrations.py, so a new migration cannot be forgotten here.
HEAD_REVISION = "0006_shipment_verified"


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent; one migration at a time per process).

    A store already at :data:`HEAD_REVISION` (every start but the first after an upgrade) is left
    alone without importing Alembic: ~11 MB that the daemon would otherwise keep for its lifetime."""
    if _at_head(engine):
        return
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with _MIGRATION_LOCK, engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
    except Exception as exc:
        raise StoreError(f"database migration failed: {exc}") from exc


def _at_head(engine: Engine) -> bool:
    """True when the store's ``alembic_version`` holds exactly :data:`HEAD_REVISION`."""
    try:
        with engine.connect() as connection:
            versions = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    except sa_exc.SQLAlchemyError:  # no such table yet (a new store), or not reachable: Alembic decides
        return False
    return list(versions) == [HEAD_REVISION]


class Database:
    """An engine with its session factory. Open with :func:`open_database`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A plain connection for reads (listings, lookups): a third cheaper per request than a
        session, which a read does not need. Whatever it began is rolled back at the end."""
        with self.engine.connect() as connection:
            yield connection

    def change_watch(self) -> "ChangeWatch | None":
        """A :class:`ChangeWatch` on this store; None where the database cannot tell (PostgreSQL, an
        in-memory SQLite)."""
        url = self.engine.url
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:" \
                or url.database.startswith("file:"):
            return None
        return ChangeWatch(Path(url.database).expanduser())

    def dispose(self) -> None:
        self.engine.dispose()


class ChangeWatch:
    """A number that changes whenever a connection other than its own, of this process or any other,
    has committed to the SQLite store since it was last read: ``PRAGMA data_version`` on a connection
    of its own that never writes. Reading it costs a few microseconds (the WAL index in shared
    memory), so a cache of answers derived from the store can ask it on every request."""

    def __init__(self, path: Path) -> None:
        # autocommit (no transaction is ever left open); never waits for a lock: in WAL mode a
        # reader is not blocked, and in any other mode a locked store is an error, not a stall
        self._connection = sqlite3.connect(path, timeout=0, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()

    def __call__(self) -> int | None:
        """The current number; None if the store could not be asked (treat as "changed")."""
        try:
            with self._lock:
                return self._connection.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error:
            return None

    def close(self) -> None:
        with self._lock:
            self._connection.close()


def open_database(url: str, *, migrate_schema: bool = True, migrate_in_child: bool = False) -> Database:
    """The store at ``url``, its schema brought to the newest revision unless ``migrate_schema`` is off.

    ``migrate_in_child``: a long-running process (the daemon) has a needed migration run by a child
    process, so that it never imports Alembic and never keeps its ~11 MB for its lifetime."""
    engine = create_db_engine(url)
    if migrate_schema:
        if not migrate_in_child:
            migrate(engine)  # a no-op at HEAD_REVISION
        elif not _at_head(engine):
            _migrate_in_child(url)
    return Database(engine)


_MIGRATE_CODE = "import sys; from smartreturn.store.db import open_database; open_database(sys.stdin.read()).dispose()"


def _migrate_in_child(url: str) -> None:
    """:func:`migrate` in a child Python process. The URL (it may hold a password) goes over stdin,
    never the command line, which other users can read."""
    log.info("migrating the store's schema to %s in a child process", HEAD_REVISION)
    done = subprocess.run([sys.executable, "-c", _MIGRATE_CODE], input=url, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise StoreError(f"database migration failed: {lines[-1] if lines else f'exit code {done.returncode}'}")
