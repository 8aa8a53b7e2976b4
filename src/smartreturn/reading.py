"""What the store needs of a mail once it was read, and the parse worker's front door.

Reading a mail (decode, allow-list, parse: :mod:`smartreturn.parse_mail`) runs in the parse worker
(:mod:`smartreturn.guard`); what comes back is a :class:`Summary` of plain values. This module is all
that the daemon's main process imports of the reading side: no MIME, HTML or parser code (~25 MB),
which only the worker needs (the daemon's memory is the sum of its processes, what systemd's
MemoryCurrent shows; ``tests/test_layers.py`` checks it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from smartreturn import guard
from smartreturn.model import Event, MessageStatus

if TYPE_CHECKING:  # not imported at run time: the worker must not load pydantic (~20 MB) for them
    from smartreturn.config import Settings
    from smartreturn.rules.stated import Statement

log = logging.getLogger(__name__)

__all__ = ["WORKER_READER", "ReadOptions", "Summary", "prestart_reader", "read_messages"]

# the worker's reader, named (guard imports it in the worker): naming it here imports nothing
WORKER_READER = "smartreturn.parse_mail:read_in_worker"


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """What reading a mail needs of the settings (``[ingest]``), as plain values: this, not the pydantic
    Settings, goes to the parse worker, which then never imports pydantic and the config models."""

    max_message_bytes: int
    allowed_forwarders: tuple[str, ...]
    require_authenticated: bool
    authserv_id: str | None

    @classmethod
    def of(cls, settings: Settings | ReadOptions) -> ReadOptions:
        if isinstance(settings, ReadOptions):
            return settings
        ingest = settings.ingest
        return cls(ingest.max_message_bytes, tuple(ingest.allowed_forwarders), ingest.require_authenticated,
                   ingest.authserv_id)


class Summary(NamedTuple):
    """What the store needs of one :class:`~smartreturn.parse_mail.Reading`, in plain values: all the parse worker sends back.

    Not the Email (its text, HTML and headers, often tens of KB a mail, were unpickled by the daemon's
    main process for nothing), nor the parser object (unpickling it imported every parser there)."""

    status: str                          # a MessageStatus value
    reason: str | None
    columns: dict | None                 # message columns read from the mail; None when it was not decoded
    parser: tuple[str, str] | None       # (name, version) of the parser of a parsed mail
    extracted: bool                      # a parser ran (a re-parse then replaces the earlier records)
    events: tuple[Event, ...] = ()       # the records to write (those of a parsed mail)
    statements: tuple[Statement, ...] = ()  # due dates the mail's text states, when there are events
    sent_at: datetime | None = None      # the mail's date: the events' default time
    user_note: str | None = None


def read_messages(jobs: list[guard.Job], settings: Settings) -> list[Summary]:
    """:func:`~smartreturn.parse_mail.read_message` for each (raw, source kind, label), summarised, in a worker process that is
    stopped when one mail takes longer than ``ingest.parse_timeout`` (that mail: ``failed: parse
    timeout``). The whole batch goes to the worker at once; with a timeout of 0 the mails are read here."""
    timeout = settings.ingest.parse_timeout
    if not timeout:
        return _read_here(jobs, settings)
    try:
        return guard.read_guarded(jobs, ReadOptions.of(settings), timeout, WORKER_READER, _unread,
                                  _memory_limit(settings))
    except guard.WorkerUnavailable as exc:  # mail is still read and kept, only without the time limit
        log.error("%s: reading %d mails in this process, without the %g s limit", exc, len(jobs), timeout)
        return _read_here(jobs, settings)


def prestart_reader(settings: Settings) -> None:
    """Start the parse worker now, in the background, when mail is read in one (the daemon, at start)."""
    if settings.ingest.parse_timeout:
        guard.prestart(WORKER_READER, _memory_limit(settings))


def _memory_limit(settings: Settings) -> int | None:
    return settings.ingest.parse_memory_mb * 2**20 or None


def _unread(job: guard.Job, why: str) -> Summary:
    """The summary of a mail the worker could not read: kept as ``failed`` with ``why``."""
    return Summary(MessageStatus.FAILED.value, why, None, None, False)


def _read_here(jobs: list[guard.Job], settings: Settings) -> list[Summary]:
    """Read in this process, without a time limit (``ingest.parse_timeout = 0``, or no worker)."""
    from smartreturn.parse_mail import read_message, summarise  # the parsers: only when read here

    return [summarise(read_message(raw, kind, settings, label)) for raw, kind, label in jobs]
