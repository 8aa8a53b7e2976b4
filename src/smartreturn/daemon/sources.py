"""Local mail sources for backfill: .eml files, folders of them, Maildir and mbox."""

from __future__ import annotations

import logging
import mailbox
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from smartreturn.pipeline import Source

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LocalMail:
    raw: bytes
    source: Source


@dataclass(frozen=True, slots=True)
class LocalError:
    """A file, folder or mailbox entry that could not be read: reported, and the backfill goes on."""

    path: str
    reason: str


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
        try:
            total += _count(path)
        except OSError:  # reported by iter_local, mail by mail
            continue
    return total


def _count(path: Path) -> int:
    if is_maildir(path):
        return sum(1 for sub in ("cur", "new") for f in (path / sub).iterdir() if f.is_file())
    if path.is_dir():
        return sum(count_messages([child]) for child in sorted(path.iterdir()) if not child.name.startswith("."))
    if is_mbox(path):
        with path.open("rb") as handle:
            return sum(1 for line in handle if line.startswith(b"From "))
    return 1 if path.suffix.lower() == ".eml" or path.is_file() and path.suffix == "" else 0


def iter_local(paths: list[Path]) -> Iterator[LocalMail | LocalError]:
    """Yield every mail below the given paths, in a stable order; what cannot be read is yielded as a
    :class:`LocalError` (never raised: one unreadable file must not end a backfill)."""
    for path in paths:
        if not path.exists():
            yield LocalError(str(path), "no such file or folder")
            continue
        try:
            yield from _iter_path(path)
        except (OSError, mailbox.Error, UnicodeError) as exc:  # a folder or mbox that broke off mid-way
            log.warning("cannot read %s: %s", path, exc)
            yield LocalError(str(path), f"cannot read: {exc}")


def _iter_path(path: Path) -> Iterator[LocalMail | LocalError]:
    if is_maildir(path):
        box = mailbox.Maildir(path, factory=None, create=False)
        for key in sorted(box.iterkeys()):
            try:
                raw = box.get_bytes(key)
            except OSError as exc:
                log.warning("cannot read maildir message %s in %s: %s", key, path, exc)
                yield LocalError(f"{path}#{key}", f"cannot read: {exc}")
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
        try:
            raw = path.read_bytes()
        except OSError as exc:
            log.warning("cannot read %s: %s", path, exc)
            yield LocalError(str(path), f"cannot read: {exc}")
            return
        yield LocalMail(raw, Source(kind="file", path=str(path)))
