"""Helpers for the daemon tests: a config file for a Dovecot mailbox, waiting on the database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, TypeVar

from smartreturn.config import Settings, load_settings
from smartreturn.daemon import loop
from smartreturn.store.db import Database, open_database
from tests.daemon.mails import FORWARDER
from tests.servers.dovecot import Mailbox
from tests.timing import patience

T = TypeVar("T")


def wait_for(condition: Callable[[], T], timeout: float, what: str, interval: float = 0.05) -> T:
    """Poll ``condition`` until it returns something truthy; fail naming ``what`` after ``timeout`` s
    (scaled by :func:`patience` when the machine is busy)."""
    timeout *= patience()
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what} (last value {value!r})")
        time.sleep(interval)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def write_config(folder: Path, accounts: list[dict[str, Any]], **sections: dict[str, Any]) -> Path:
    """A config.toml with a SQLite database in ``folder`` and these IMAP accounts."""
    sections.setdefault("ingest", {"allowed_forwarders": [FORWARDER]})
    sections.setdefault("database", {"url": f"sqlite:///{folder / 'smartreturn.db'}"})
    sections.setdefault("general", {"state_dir": str(folder / "state")})
    lines: list[str] = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in values.items()]
    for account in accounts:
        lines.append("[[imap.accounts]]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in account.items()]
    path = folder / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def settings_for(folder: Path, mailbox: Mailbox, **account: Any) -> Settings:
    """Settings watching ``mailbox`` (plain on loopback, IDLE) with a fresh SQLite file in ``folder``."""
    return load_settings(write_config(folder, [mailbox.account_settings(**account)]), env={})


# the real command, as systemd starts it (the installed entry point may be missing in a bare checkout)
SMARTRETURN = [sys.executable, "-c", "from smartreturn.cli import main; main()"]


def start_daemon(config: Path, log: Path, env: dict[str, str] | None = None,
                 verbose: bool = True) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen([*SMARTRETURN, "--config", str(config), *(["-v"] if verbose else []), "run"], stdout=out,
                                stderr=subprocess.STDOUT, env=env or {**os.environ, "SMARTRETURN_CONFIG": ""})


def db_count(path: Path, sql: str = "SELECT count(*) FROM messages") -> int:
    if not path.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as connection:
            return connection.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:  # the schema is not created yet
        return 0


@contextmanager
def running(settings: Settings, join_seconds: float = 60) -> Iterator[Database]:
    """The daemon loop in a thread (as `smartreturn run` runs it), stopped and joined afterwards."""
    db = open_database(settings.database_url)
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(settings, stop), kwargs={"db": db}, name="daemon")
    thread.start()
    try:
        yield db
    finally:
        stop.set()
        thread.join(join_seconds)
        assert not thread.is_alive(), f"the daemon did not stop within {join_seconds:g} s of the stop event"
        db.dispose()
