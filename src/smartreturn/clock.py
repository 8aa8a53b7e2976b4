"""The one clock of product logic.

Every rule, anomaly, reminder and command asks :func:`now` for the current time; nothing in the
product reads the wall clock any other way (column defaults that record when a row was written are
bookkeeping, never read as "now"). The CLI pins it from ``--now`` or ``$SMARTRETURN_NOW`` so that
``agenda``, ``digest``, ``draft``, ``list``, ``show`` and ``shipments`` show the world as it will look
(or looked) at that moment, and tests pin it instead of depending on the day they run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

_pinned: datetime | None = None


def now() -> datetime:
    """The current time, tz-aware UTC: the pinned moment when one is set, else the wall clock."""
    if _pinned is not None:
        return _pinned
    return datetime.now(timezone.utc)


def pin(moment: datetime | None) -> None:
    """Make :func:`now` return ``moment`` (tz-aware) from here on; ``None`` goes back to the wall clock."""
    global _pinned
    if moment is not None and moment.tzinfo is None:
        raise ValueError("the pinned clock needs a time zone")
    _pinned = moment.astimezone(timezone.utc) if moment is not None else None


def is_pinned() -> bool:
    return _pinned is not None


@contextmanager
def pinned(moment: datetime) -> Iterator[None]:
    """``with pinned(t):`` — :func:`now` is ``t`` inside the block, what it was before after it."""
    global _pinned
    before = _pinned
    pin(moment)
    try:
        yield
    finally:
        _pinned = before
