"""The agenda of the moment, shared: built once per store state and local hour by whichever process
needs it first (a daemon job, a web request, a CLI command) and reused by the others.

The agenda depends on the stored rows, the settings and "now" (days left, "arrived in the last
day"), so it is kept under a key made of a fingerprint of the store (store/agenda_cache.py: the
highest ids and latest updates, a dozen index lookups and three column scans), the local hour and a
digest of the settings and rules files. Any write changes the fingerprint; the next caller rebuilds.
Three levels: this process's memory (the fingerprint read at most once a second), the stored agenda
(table ``agenda_cache``, written by every build: a web server started after the daemon or a command
built the agenda does not build it again), then :func:`~smartreturn.apply.agenda.build_agenda`.

:func:`current_agenda` is what the digest, pushes, drafts and reactions use: the shared agenda
without the items the user snoozed (apply/snooze.py).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy.exc import SQLAlchemyError

from smartreturn.apply.agenda import build_agenda
from smartreturn.apply.snooze import active_snoozes, without_snoozed
from smartreturn import __version__
from smartreturn.rules.agenda import Agenda, AgendaItem
from smartreturn.rules.policies import SHIPPED_DIR, rules_files_state
from smartreturn.store.agenda_cache import load_stored_agenda, save_stored_agenda, store_fingerprint
from smartreturn.store.db import Database

log = logging.getLogger(__name__)

RECHECK = 1.0  # seconds between fingerprint reads
AGENDA_SETTINGS = {"general", "tracking", "rules", "priority"}  # the sections build_agenda reads


# an agenda stored by another version of the program (other fields, other rules code) is not used
_FORMAT = repr((__version__, [f.name for f in fields(Agenda)], [f.name for f in fields(AgendaItem)]))


def settings_digest(settings: Any) -> str:
    """What, besides the store and the hour, an agenda depends on: its settings and rules files (and
    the program's version)."""
    extra = [Path(settings.rules.extra_rules_dir).expanduser()] if settings.rules.extra_rules_dir else []
    text = (_FORMAT + settings.model_dump_json(include=AGENDA_SETTINGS)
            + repr(rules_files_state((SHIPPED_DIR, *extra))))
    return hashlib.sha256(text.encode()).hexdigest()


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(Agenda)


def encode(agenda: Agenda) -> bytes:
    """The agenda as compressed JSON (its dataclasses' fields; money amounts as strings)."""
    return zlib.compress(_ENCODER.encode(agenda), 1)


def decode(body: bytes) -> Agenda | None:
    """The stored agenda; None if it cannot be read back (another version of the program wrote it)."""
    try:
        return _DECODER.decode(zlib.decompress(body))
    except (msgspec.DecodeError, zlib.error) as exc:
        log.info("stored agenda not readable (%s): building it again", type(exc).__name__)
        return None


class AgendaCache:
    """The agenda of one store under one set of settings (get one with :func:`shared_cache`)."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self._digest = settings_digest(settings)
        self._lock = threading.Lock()
        self._check_lock = threading.Lock()  # one fingerprint read at a time
        self._key: str | None = None
        self._hour: datetime | None = None
        self._agenda: Agenda | None = None
        self._checked_at = -1.0  # time.monotonic() of the last fingerprint read that matched
        self._memo: dict[Any, Any] = {}  # values derived from the store under self._key

    def _key_for(self, db: Database, hour: datetime) -> tuple[str, str | None]:
        """(the key for the store as it is now, the key of the agenda stored in it)."""
        with db.session() as session:
            fingerprint, stored = store_fingerprint(session)
        return hashlib.sha256(repr((fingerprint, hour.isoformat(), self._digest)).encode()).hexdigest(), stored

    def get(self, db: Database, now: datetime) -> Agenda:
        """The agenda for ``now``'s local hour and the store as it is (snoozed items included)."""
        hour = now.astimezone(self.settings.general.tz).replace(minute=0, second=0, microsecond=0)
        agenda = self._agenda
        if agenda is not None and self._hour == hour and time.monotonic() - self._checked_at < RECHECK:
            return agenda
        # one fingerprint read at a time: when it is due, concurrent requests would each read it (~20 ms
        # under load, a thundering herd once a second); while one thread reads it the others keep the
        # agenda of this hour they have - unless this process wrote since (invalidate: read your writes)
        checking = self._check_lock.acquire(blocking=False)
        if not checking:
            if agenda is not None and self._hour == hour and self._checked_at >= 0:
                return agenda
            self._check_lock.acquire()
        try:
            key, stored = self._key_for(db, hour)
        finally:
            self._check_lock.release()
        # the stored agenda's key must match too: a store emptied and filled again (tests, a restore)
        # can repeat a fingerprint, but it no longer holds the agenda this process kept
        if key == self._key == stored and self._agenda is not None:
            self._checked_at = time.monotonic()
            return self._agenda
        with self._lock:  # one computation at a time: build_agenda also writes the Deadline rows
            if key == self._key == stored and self._agenda is not None:
                return self._agenda
            with db.session() as session:
                body = load_stored_agenda(session, key)
            agenda = decode(body) if body is not None else None
            if agenda is None:
                agenda = self._build(db, now, key)
            self._key, self._hour, self._agenda, self._checked_at = key, hour, agenda, time.monotonic()
            self._memo = {}
            return agenda

    def preload(self, db: Database, now: datetime) -> bool:
        """Take the agenda another process stored for the store as it is and ``now``'s hour, if there
        is one (a web server starting after the daemon); never builds. True if this cache holds it."""
        hour = now.astimezone(self.settings.general.tz).replace(minute=0, second=0, microsecond=0)
        with self._lock:
            key, stored = self._key_for(db, hour)
            if key != stored:
                return False
            if key == self._key and self._agenda is not None:
                return True
            with db.session() as session:
                body = load_stored_agenda(session, key)
            agenda = decode(body) if body is not None else None
            if agenda is None:
                return False
            self._key, self._hour, self._agenda, self._checked_at = key, hour, agenda, time.monotonic()
            self._memo = {}
            return True

    def _build(self, db: Database, now: datetime, key: str) -> Agenda:
        with db.session() as session:
            agenda = build_agenda(session, now, self.settings)
        store(db, key, agenda)
        return agenda

    def memo(self, db: Database, now: datetime, name: Any, compute: Callable[[], Any]) -> Any:
        """A value derived from the store (filter choices, the ids a filter matches), computed once
        per store state like the agenda itself. Keep ``name`` to a handful of distinct values."""
        self.get(db, now)
        memo = self._memo
        if name not in memo:
            if len(memo) > 64:
                memo.clear()
            memo[name] = compute()
        return memo[name]

    def invalidate(self) -> None:
        """Read the fingerprint on the next call (this process just wrote something)."""
        self._checked_at = -1.0
        self._memo = {}

    def put(self, db: Database, now: datetime, agenda: Agenda) -> None:
        """Share an agenda built elsewhere for ``now`` (the CLI's ``agenda`` command builds its own)."""
        hour = now.astimezone(self.settings.general.tz).replace(minute=0, second=0, microsecond=0)
        key, _ = self._key_for(db, hour)
        with self._lock:
            store(db, key, agenda)
            self._key, self._hour, self._agenda, self._checked_at = key, hour, agenda, time.monotonic()
            self._memo = {}


def store(db: Database, key: str, agenda: Agenda) -> None:
    try:
        with db.session() as session:
            save_stored_agenda(session, key, agenda.generated_at, encode(agenda))
    except SQLAlchemyError as exc:  # a read-only store, or another process stored the same agenda just now
        log.warning("could not store the agenda for other processes: %s", type(exc).__name__)


_SHARED: dict[tuple[str, str], AgendaCache] = {}
_SHARED_LOCK = threading.Lock()


def shared_cache(db: Database, settings: Any) -> AgendaCache:
    """This process's cache for ``db`` under ``settings`` (one per store and settings)."""
    key = (db.engine.url.render_as_string(hide_password=True), settings_digest(settings))
    with _SHARED_LOCK:
        cache = _SHARED.get(key)
        if cache is None:
            if len(_SHARED) >= 8:
                _SHARED.clear()
            cache = _SHARED[key] = AgendaCache(settings)
        return cache


def current_agenda(db: Database, settings: Any, now: datetime, *, fresh: bool = False) -> Agenda:
    """The agenda for ``now`` without the items the user snoozed: what digests, pushes and drafts use.
    ``fresh``: the caller knows the store just changed (mail stored by another thread or process), so
    the fingerprint is read now, not up to a second later."""
    cache = shared_cache(db, settings)
    if fresh:
        cache.invalidate()
    return visible(db, settings, cache.get(db, now), now)


def visible(db: Database, settings: Any, agenda: Agenda, now: datetime) -> Agenda:
    """``agenda`` without the items the user snoozed until ``now``'s local day or later: what every
    view of the agenda shows (digest, pushes, the CLI, the Today page and the API)."""
    with db.session() as session:
        snoozed = active_snoozes(session, now.astimezone(settings.general.tz).date())
    return without_snoozed(agenda, snoozed)
