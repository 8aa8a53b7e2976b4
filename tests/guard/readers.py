"""Readers for the guard tests: module-level, so that the worker process can import them by name."""

from __future__ import annotations

import logging
import os
import re
import time

_RUNAWAY = re.compile(r"(a+)+$")  # catastrophic backtracking, in C, holding the GIL


def echo_or_misbehave(raw: bytes, source_kind: str, settings: object, label: str) -> tuple[str, str, object]:
    """(label, raw text, settings); b"RUNAWAY" runs a regex that takes practically forever,
    b"CRASH" ends the worker process, b"RAISE" raises, b"SLEEP" waits 1.5 s without using the CPU."""
    if b"SLEEP" in raw:
        time.sleep(1.5)
    if b"RUNAWAY" in raw:
        _RUNAWAY.match("a" * 64 + "!")
    if b"CRASH" in raw:
        os._exit(3)
    if b"RAISE" in raw:
        raise ValueError("reader bug")
    return label, raw.decode(), settings


def pid(raw: bytes, source_kind: str, settings: object, label: str) -> int:
    return os.getpid()


def logs(raw: bytes, source_kind: str, settings: object, label: str) -> str:
    """Logs a warning and a traceback about the mail, as a parser would, and returns its label."""
    log = logging.getLogger("smartreturn.parsers.example")
    log.warning("mail %s: %s looks odd", label, raw.decode())
    log.debug("mail %s: debug detail", label)
    try:
        raise KeyError(label)
    except KeyError:
        log.exception("mail %s: a parser bug", label)
    return label


_KEPT: list[bytearray] = []


def hog(raw: bytes, source_kind: str, settings: object, label: str) -> int:
    """Allocates (and keeps, as an allocator keeps freed memory) the number of MB the mail says; returns the pid."""
    _KEPT.append(bytearray(int(raw) * 2**20))
    return os.getpid()


def pid_or_runaway(raw: bytes, source_kind: str, settings: object, label: str) -> int:
    """The worker's pid; b"RUNAWAY" first runs the regex that takes practically forever."""
    if b"RUNAWAY" in raw:
        _RUNAWAY.match("a" * 64 + "!")
    return os.getpid()
