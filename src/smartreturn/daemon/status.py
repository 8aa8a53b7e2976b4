"""What the running daemon last knew, in a small JSON file in ``general.state_dir`` for ``doctor``.

A file, not a table: it must still say "the database is unavailable" while the database is. It is
rewritten (atomically: temp file + rename) when something in it changes, at most once per loop tick.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

log = logging.getLogger(__name__)

FILE_NAME = "daemon-status.json"


@dataclass(slots=True)
class FolderStatus:
    account: str
    folder: str
    connected: bool = False
    last_contact: str | None = None     # ISO time of the last answer from the server
    last_error: str | None = None
    ingested: int = 0


@dataclass(slots=True)
class DaemonStatus:
    pid: int
    version: str
    started_at: str
    updated_at: str = ""
    folders: list[FolderStatus] = field(default_factory=list)
    store_error: str | None = None      # set while the database refuses writes (locked, down, full)
    store_error_since: str | None = None
    initial_sync_done: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)


def status_path(state_dir: Path) -> Path:
    return Path(state_dir).expanduser() / FILE_NAME


def write_status(state_dir: Path, status: DaemonStatus) -> None:
    """Write the file; a failure is logged, never raised (the daemon runs on without it)."""
    path = status_path(state_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=".status-", delete=False,
                                         encoding="utf-8") as handle:
            handle.write(status.to_json())
        os.replace(handle.name, path)
    except OSError as exc:
        log.warning("cannot write %s: %s", path, exc)


def read_status(state_dir: Path) -> dict | None:
    """The last status the daemon wrote, or None (never ran with this state_dir, or unreadable)."""
    try:
        return json.loads(status_path(state_dir).read_text("utf-8"))
    except (OSError, ValueError):
        return None


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None
