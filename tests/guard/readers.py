"""Readers for the guard tests: module-level, so that the worker process can import them by name."""

from __future__ import annotations

import os
import re

_RUNAWAY = re.compile(r"(a+)+$")  # catastrophic backtracking, in C, holding the GIL


def echo_or_misbehave(raw: bytes, source_kind: str, settings: object, label: str) -> tuple[str, str, object]:
    """(label, raw text, settings); b"RUNAWAY" runs a regex that takes practically forever,
    b"CRASH" ends the worker process, b"RAISE" raises."""
    if b"RUNAWAY" in raw:
        _RUNAWAY.match("a" * 64 + "!")
    if b"CRASH" in raw:
        os._exit(3)
    if b"RAISE" in raw:
        raise ValueError("reader bug")
    return label, raw.decode(), settings


def pid(raw: bytes, source_kind: str, settings: object, label: str) -> int:
    return os.getpid()
