"""A real, throwaway PostgreSQL server on 127.0.0.1 for the store tests (Debian's packages).

Started once per test session from a temp folder (initdb + pg_ctl, as the ``postgres`` user when the
tests run as root, since initdb refuses root). ``scripts/test.sh`` installs the packages when they are
missing. If ``SMARTRETURN_TEST_POSTGRES_URL`` is set, that server is used instead.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text


def _pg_bin() -> Path:
    base = Path("/usr/lib/postgresql")
    versions = sorted((p for p in base.glob("*/bin/initdb")), key=lambda p: int(p.parts[-3]))
    if not versions:
        raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql: run scripts/test.sh "
                           "(it installs the 'postgresql' Debian package)")
    return versions[-1].parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


class PostgresServer:
    """One throwaway cluster in a temp folder; :meth:`stop` and :meth:`start` again keep its data and port."""

    def __init__(self) -> None:
        self.bindir = _pg_bin()
        self.root = Path(tempfile.mkdtemp(prefix="sr-pg-"))
        os.chmod(self.root, 0o755)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self.port = _free_port()
        self.data = self.root / "data"
        subprocess.run(_as_server_user([str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U",
                                        "postgres", "--no-sync", "-E", "UTF8"]), check=True, capture_output=True)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        subprocess.run(_as_server_user([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"),
                                        "-w", "-o", f"-h 127.0.0.1 -p {self.port} -k {self.root} -c fsync=off",
                                        "start"]), check=True, capture_output=True)

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(_as_server_user([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]),
                       capture_output=True)

    def cleanup(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """URL of a running PostgreSQL server (superuser, database 'postgres')."""
    if os.environ.get("SMARTRETURN_TEST_POSTGRES_URL"):
        yield os.environ["SMARTRETURN_TEST_POSTGRES_URL"]
        return
    server = PostgresServer()
    server.start()
    try:
        yield server.url
    finally:
        server.cleanup()


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test's own, which the test may stop and start (an outage)."""
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the session's server, dropped afterwards."""
    name = "sr_" + uuid.uuid4().hex[:12]
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_server.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
