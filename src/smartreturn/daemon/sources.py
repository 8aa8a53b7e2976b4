"""Local mail sources for backfill: .eml files, folders of them, Maildir and mbox."""

from __future__ import annotations

import logging
import mailbox
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from smartreturn.errors import MailError
from smartreturn.pipeline import Source

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LocalMail:
    raw: bytes
    source: Source


def is_maildir(path: Path) -> bool:
    return path.is_dir() and all((path / sub).is_dir() for sub in ("cur", "new", "tmp"))


def is_mbox(path: Path) -> bool:
    if not path.is_file() or path.suffix.lower() == ".eml":
        return False
    with path.open("rb") as handle:
        return handle.read(5) == b"From "


def count_messages(paths: list[Path]) -> int:
    """Cheap count for the progress bar (mbox files are scanned once for 'From ' lines)."""
    total = 0
    for path in paths:
        if is_maildir(path):
            total += sum(1 for sub in ("cur", "new") for f in (path / sub).iterdir() if f.is_file())
        elif path.is_dir():
            total += sum(count_messages([child]) for child in sorted(path.iterdir()) if not child.name.startswith("."))
        elif is_mbox(path):
            with path.open("rb") as handle:
                total += sum(1 for line in handle if line.startswith(b"From "))
        elif path.suffix.lower() == ".eml" or path.is_file() and path.suffix == "":
            total += 1
    return total


def iter_local(paths: list[Path]) -> Iterator[LocalMail]:
    """Yield every mail below the given paths, in a stable order."""
    for path in paths:
        if not path.exists():
            raise MailError(f"{path}: no such file or folder")
        yield from _iter_path(path)


def _iter_path(path: Path) -> Iterator[LocalMail]:
    if is_maildir(path):
        box = mailbox.Maildir(path, factory=None, create=False)
        for key in sorted(box.iterkeys()):
            try:
                raw = box.get_bytes(key)
            except OSError as exc:
                log.warning("cannot read maildir message %s in %s: %s", key, path, exc)
                continue
            yield LocalMail(raw, Source(kind="maildir", path=f"{path}#{key}"))
    elif path.is_dir():
        for child in sorted(path.iterdir()):
            if child.name.startswith("."):
                continue
            if child.is_dir() or child.suffix.lower() == ".eml" or is_mbox(child):
                yield from _iter_path(child)
    elif is_mbox(path):
        box = mailbox.mbox(path, factory=None, create=False)
        for index, key in enumerate(box.iterkeys()):
            yield LocalMail(box.get_bytes(key, from_=False), Source(kind="mbox", path=f"{path}#{index}"))
    else:
        yield LocalMail(path.read_bytes(), Source(kind="file", path=str(path)))
