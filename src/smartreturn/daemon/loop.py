"""The long-running loop: one worker thread per watched IMAP folder, the scheduler in the main thread.

Exactly-once: each fetched batch (``batch_size`` mails) is stored by
:func:`~smartreturn.pipeline.ingest_batch` and the folder's ``last_uid`` is advanced **in the same
transaction**, so a kill -9 at any moment either loses the whole batch (fetched again after restart) or
keeps it with the cursor past it. If the database refuses a batch, its mails are stored one per
transaction, so one mail cannot block the others. The after-processing action
(seen / keyword / move) runs only after the commit; one missed by a crash is caught up on the next
connect (mail at or below the cursor that still lacks it). Mail is never fetched twice on purpose: the
cursor, not flags, decides what is new. On a UIDVALIDITY change the folder is rescanned from UID 1;
mail whose Message-ID this account already stored is skipped without downloading, and the pipeline
drops exact copies by content hash.

Resilience: every worker reconnects with exponential backoff and full jitter (capped at
:data:`BACKOFF_CAP`, 60 s) on any network or server error, and logs the loss and the reconnect with the
outage's length. A database outage (locked past the busy timeout, disconnected, restarting, disk full:
:func:`~smartreturn.store.db.is_outage`) is not a bad mail: the batch is rolled back, the cursor stays
where it was, and the worker retries with the same backoff for as long as it takes (logged, and shown by
``doctor`` from the status file). Only a mail the database refuses on its own (a constraint, bad data)
is skipped after :data:`MAX_ATTEMPTS` tries. The stop event (SIGTERM/SIGINT) lets the mails being
stored finish (at most :data:`STOP_CHECK_EVERY`, about 0.1 s) and commits them; a reload request
(SIGHUP) restarts the workers with the new settings.

Reminders follow the mail: each committed batch puts its message keys on a
:class:`~smartreturn.notify.reactions.ReactionQueue`; the main loop re-evaluates the cases they touched
within a tick (urgent pushes, due drafts). The daily digest and the hourly reminders wait until every
folder finished its first sync after start-up (at most :data:`SYNC_WAIT`), so the first digest of the
day includes the mail that arrived while the daemon was down.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata

from sqlalchemy import select, update

from smartreturn import clock
from smartreturn.config import ImapAccount, Settings
from smartreturn.daemon import status as status_file
from smartreturn.daemon.imap import AuthError, FolderStatus, ImapConnection
from smartreturn.daemon.oauth import TokenSource
from smartreturn.daemon.scheduler import Scheduler
from smartreturn.daemon.sdnotify import SdNotifier
from smartreturn.errors import MailError, StoreError
from smartreturn.notify.reactions import ReactionQueue, react_to_messages
from smartreturn.pipeline import (
    IngestOutcome,
    Source,
    ingest_batch,
    ingest_in_session,
    read_ahead,
)
from smartreturn.reading import Summary, prestart_reader
from smartreturn.store.db import Database, is_outage, open_database
from smartreturn.store.tables import ImapFolderState, Message

log = logging.getLogger(__name__)

TICK = 1.0               # main loop period: signals, reload, scheduler, watchdog
MAX_ATTEMPTS = 3         # a mail the database refuses (not an outage) this often is skipped
BACKOFF_CAP = 60.0       # longest wait between two reconnects (or two tries of a database in an outage)
SYNC_WAIT = 600.0        # the digest waits at most this long for the first sync of every folder
SEARCH_WINDOW = 5_000    # UIDs per UID SEARCH while catching up (FolderWorker._new_uids)
REACT_EVERY = 2.0        # seconds between two reactions to stored mail (each builds the agenda once)
WAIT_FOR_SYNC = ("digest", "reminders", "weekly_stats")  # jobs held until the first sync after start-up
STALE_AFTER = 600.0      # a worker silent this long stops the watchdog pings (systemd restarts us)
STOP_CHECK_EVERY = 100   # mails stored between two looks at the stop event (default batch_size: one look per batch)


@dataclass(slots=True)
class Backoff:
    """Exponential backoff with full jitter: the n-th delay is uniform in [base, min(cap, base*2^n)]."""

    base: float = 1.0
    cap: float = BACKOFF_CAP
    attempt: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def next(self) -> float:
        ceiling = min(self.cap, self.base * (2 ** self.attempt))
        self.attempt += 1
        return self.rng.uniform(self.base, max(self.base, ceiling))

    def reset(self) -> None:
        self.attempt = 0


class StoreUnavailable(StoreError):
    """The database is in an outage: the batch was rolled back and the cursor not moved."""


@dataclass(slots=True)
class WorkerHealth:
    label: str
    beat: float = field(default_factory=time.monotonic)
    ingested: int = 0
    connected: bool = False
    last_error: str | None = None
    last_contact: datetime | None = None   # the last answer from the IMAP server
    store_error: str | None = None         # the database outage this worker is waiting out
    synced: bool = False                   # finished its first sync since start-up

    def tick(self) -> None:
        self.beat = time.monotonic()

    def contact(self) -> None:
        self.beat = time.monotonic()
        self.last_contact = clock.now()


def summarise(outcomes: list[IngestOutcome]) -> str:
    """'3 new (2 parsed, 1 ignored), 1 duplicate' for the per-batch log line."""
    new = [o for o in outcomes if not o.duplicate]
    statuses: dict[str, int] = {}
    for outcome in new:
        statuses[outcome.status.value] = statuses.get(outcome.status.value, 0) + 1
    detail = ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
    return f"{len(new)} new" + (f" ({detail})" if detail else "") + f", {len(outcomes) - len(new)} duplicate"


class _ReadAhead(threading.Thread):
    """Reads a fetched batch in the parse worker (:func:`~smartreturn.pipeline.read_ahead`) while the
    caller stores the previous one. A daemon thread: a stopping daemon does not wait for it."""

    def __init__(self, items: list[tuple[bytes, Source]], settings: Settings) -> None:
        super().__init__(name="read-ahead", daemon=True)
        self._items, self._settings = items, settings
        self._readings: dict[str, Summary] | None = None
        self.start()

    def run(self) -> None:
        try:
            self._readings = read_ahead(self._items, self._settings)
        except Exception:  # noqa: BLE001 - then ingest_batch reads these mails itself
            log.exception("reading a batch ahead failed; it is read when stored")
        self._items = []

    def result(self) -> dict[str, Summary] | None:
        self.join()
        return self._readings


@dataclass(slots=True)
class _Fetched:
    batch: list[int]
    mails: dict[int, bytes]
    known: set[int]
    reading: _ReadAhead


class FolderWorker(threading.Thread):
    """Watches one folder of one account until ``stop`` is set."""

    def __init__(self, db: Database, settings: Settings, account: ImapAccount, folder: str,
                 tokens: TokenSource | None, stop: threading.Event, once: bool = False,
                 reactions: ReactionQueue | None = None) -> None:
        super().__init__(name=f"imap:{account.name}/{folder}", daemon=True)
        self.db = db
        self.settings = settings
        self.account = account
        self.folder = folder
        self.tokens = tokens
        self.stop = stop
        self.once = once
        self.health = WorkerHealth(f"{account.name}/{folder}")
        self.backoff = Backoff()
        self.failures: dict[int, int] = {}
        self.error: BaseException | None = None
        self.rescanning = False  # after a UIDVALIDITY change, until one full sync has finished
        self.reactions = reactions
        self.lost_at: float | None = None       # monotonic time the connection was lost (None: not lost)
        self.store_down_at: float | None = None  # monotonic time the database outage began
        self.announced = False                   # the "connected" line was logged once

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.session()
            except StoreUnavailable as exc:
                self._note_store_outage(exc)
            except MailError as exc:
                self._note_error(exc, auth=isinstance(exc, AuthError))
            except Exception as exc:  # noqa: BLE001 - the worker must survive anything
                if is_outage(exc):
                    self._note_store_outage(exc)
                else:
                    log.exception("%s: unexpected error", self.health.label)
                    self._note_error(exc, auth=False)
            if self.once:
                return
            self._sleep(self.backoff.next())

    def _note_error(self, exc: BaseException, auth: bool) -> None:
        was_connected = self.health.connected
        self.health.connected = False
        self.health.last_error = str(exc)
        self.error = exc
        if self.once:
            return
        if was_connected or self.lost_at is None:
            self.lost_at = self.lost_at or time.monotonic()
            log.log(logging.ERROR if auth else logging.WARNING,
                    "%s: connection lost: %s; reconnecting with backoff (at most %.0f s apart)",
                    self.health.label, exc, self.backoff.cap)
        else:
            log.info("%s: still unreachable (down %.0f s): %s", self.health.label,
                     time.monotonic() - self.lost_at, exc)

    def _note_store_outage(self, exc: BaseException) -> None:
        """The database failed: nothing was stored, the cursor did not move; wait and retry."""
        self.error = exc
        cause = _root_cause(exc)
        self.health.store_error = cause
        if self.store_down_at is None:
            self.store_down_at = time.monotonic()
            log.error("%s: database unavailable (%s); the IMAP cursor stays put and the mails are retried "
                      "with backoff until it is back, none is skipped", self.health.label, cause)
        else:
            log.warning("%s: database still unavailable after %.0f s (%s); retrying", self.health.label,
                        time.monotonic() - self.store_down_at, cause)

    def _store_recovered(self) -> None:
        if self.store_down_at is not None:
            log.info("%s: database available again after %.1f s; storing resumed", self.health.label,
                     time.monotonic() - self.store_down_at)
        self.store_down_at = None
        self.health.store_error = None

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stop.is_set() and (left := deadline - time.monotonic()) > 0:
            self.stop.wait(min(left, TICK))
            self.health.tick()

    # --- one connection -----------------------------------------------------------------------

    def session(self) -> None:
        with ImapConnection(self.account, self.tokens) as conn:
            status = conn.select(self.folder)
            self.health.contact()
            last_uid = self._cursor(status)
            self.health.connected, self.health.last_error, self.error = True, None, None
            self.backoff.reset()
            mode = "IDLE" if self.account.idle and conn.has_idle() else f"polling every {self.account.poll_interval} s"
            if self.announced and self.lost_at is None:
                log.debug("%s: connected again (after a database outage)", self.health.label)
            elif self.lost_at is not None:
                log.info("%s: reconnected after %.1f s outage; %d mails in the folder, cursor at UID %d; %s",
                         self.health.label, time.monotonic() - self.lost_at, status.exists, last_uid, mode)
                self.lost_at = None
            else:
                log.info("%s: connected to %s:%d as %s; %d mails in the folder, cursor at UID %d; %s",
                         self.health.label, self.account.host, self.account.effective_port, self.account.username,
                         status.exists, last_uid, mode)
            self.announced = True
            if self.account.after == "move":
                conn.ensure_folder(self.account.after_target)
            missed = conn.pending_after(last_uid)
            if missed:
                log.info("%s: catching up the after-action on %d mails", self.health.label, len(missed))
                conn.apply_after(missed)
            use_idle = self.account.idle and conn.has_idle()
            if self.account.idle and not use_idle:
                log.warning("%s: server has no IDLE; polling every %d s", self.health.label, self.account.poll_interval)
            while not self.stop.is_set():
                last_uid = self.sync(conn, status.uidvalidity, last_uid, self.rescanning, status.uidnext)
                self._store_recovered()
                self.health.contact()
                if not self.health.synced and not self.stop.is_set():
                    self.health.synced = True
                    log.info("%s: initial sync done (cursor at UID %d)", self.health.label, last_uid)
                self.rescanning = self.rescanning and self.stop.is_set()
                if self.once or self.stop.is_set():
                    return
                if use_idle:
                    conn.wait_for_mail(self.account.poll_interval, self.stop, self.health.contact)
                else:
                    self._sleep(self.account.poll_interval)

    def _cursor(self, status: FolderStatus) -> int:
        """last_uid for this folder; resets it (and starts a rescan) when UIDVALIDITY changed."""
        with self.db.session() as session:
            state = session.scalar(select(ImapFolderState).where(
                ImapFolderState.account == self.account.name, ImapFolderState.folder == self.folder))
            if state is None:
                session.add(ImapFolderState(account=self.account.name, folder=self.folder,
                                            uidvalidity=status.uidvalidity, last_uid=0))
                return 0
            if state.uidvalidity != status.uidvalidity:
                log.warning("%s: UIDVALIDITY changed %d -> %d; rescanning (known mail is skipped)",
                            self.health.label, state.uidvalidity, status.uidvalidity)
                state.uidvalidity, state.last_uid = status.uidvalidity, 0
                self.rescanning = True
            return state.last_uid

    # --- fetching and storing -----------------------------------------------------------------

    def sync(self, conn: ImapConnection, uidvalidity: int, last_uid: int, rescan: bool, uidnext: int | None = None) -> int:
        """Ingest every mail above last_uid; returns the new cursor.

        Overlapped: batch N+1 is fetched, then read in the parse worker (by a thread that waits for it)
        while batch N is stored, so the worker and this process work at the same time instead of by
        turns. The cursor still moves only with a stored batch; a fetched batch not yet stored when the
        worker stops is simply fetched again next time."""
        size = self.account.batch_size
        pending: _Fetched | None = None
        for uids in self._new_uids(conn, last_uid, uidnext):
            for start in range(0, len(uids), size):
                batch = uids[start:start + size]
                known = self._known_uids(conn, batch) if rescan else set()
                mails = {mail.uid: mail.raw for mail in conn.fetch([u for u in batch if u not in known])}
                self.health.contact()
                fetched = _Fetched(batch, mails, known, _ReadAhead(
                    [(raw, self._source(uidvalidity, uid)) for uid, raw in mails.items()], self.settings))
                if pending is not None:
                    last_uid = self._sync_batch(conn, uidvalidity, pending, last_uid)
                    if self.stop.is_set():
                        return last_uid
                pending = fetched
        if pending is not None:
            last_uid = self._sync_batch(conn, uidvalidity, pending, last_uid)
        return last_uid

    def _new_uids(self, conn: ImapConnection, last_uid: int, uidnext: int | None) -> Iterator[list[int]]:
        """The UIDs above ``last_uid``, a window of :data:`SEARCH_WINDOW` UIDs at a time up to the UIDNEXT of
        the SELECT, then everything above it (mail that arrived since). One SEARCH over a 50,000-mail
        folder answers with every UID at once: parsing that answer took ~11 MB, which the process kept
        (the old peak RSS grew with the folder). An empty window doubles the next one (sparse UIDs)."""
        first, window = last_uid + 1, SEARCH_WINDOW
        while uidnext is not None and first + window <= uidnext:
            uids = conn.uids_between(first, first + window - 1)
            first += window
            window = window if uids else min(window * 2, 1 << 24)
            if uids:
                yield uids
        yield conn.uids_after(first - 1)

    def _sync_batch(self, conn: ImapConnection, uidvalidity: int, fetched: _Fetched, last_uid: int) -> int:
        batch, mails, known = fetched.batch, fetched.mails, fetched.known
        ahead = fetched.reading.result()
        try:
            done, last_uid, outcomes = self._store_batch(uidvalidity, batch, mails, known, last_uid, ahead)
        except Exception as exc:  # noqa: BLE001 - an outage waits; a refused batch goes one by one
            if is_outage(exc):
                raise StoreUnavailable(f"storing UIDs {batch[0]}-{batch[-1]}: {_root_cause(exc)}") from exc
            log.warning("%s: storing %d mails in one transaction failed (%s); storing them one by one",
                        self.health.label, len(mails), exc)
            done, last_uid, outcomes = self._store_each(uidvalidity, batch, mails, known, last_uid)
        self._store_recovered()
        log.info("%s: stored UIDs %d-%d: %s", self.health.label, batch[0], last_uid, summarise(outcomes))
        if self.reactions is not None:
            self.reactions.put(o.message_pk for o in outcomes if not o.duplicate)
        conn.apply_after(done)
        return last_uid

    def _store_batch(self, uidvalidity: int, batch: list[int], mails: dict[int, bytes], known: set[int],
                     last_uid: int, ahead: dict[str, Summary] | None = None) -> tuple[list[int], int, list[IngestOutcome]]:
        """Store a fetched batch and move the cursor past it, all in ONE transaction (kill -9 safe).

        The mails go to :func:`~smartreturn.pipeline.ingest_batch` in slices of :data:`STOP_CHECK_EVERY`,
        so a stop request (SIGTERM) is honoured within one slice: the stored part is committed with the
        cursor just past it.
        """
        done: list[int] = []
        stored: list[IngestOutcome] = []
        with self.db.session() as session:
            for start in range(0, len(batch), STOP_CHECK_EVERY):
                part = batch[start:start + STOP_CHECK_EVERY]
                fetched = [uid for uid in part if uid in mails]
                outcomes = ingest_batch(session, [(mails[uid], self._source(uidvalidity, uid)) for uid in fetched],
                                        self.settings, ahead)
                stored += outcomes
                for uid, outcome in zip(fetched, outcomes):
                    log.debug("%s: UID %d -> message %d %s%s", self.health.label, uid, outcome.message_pk,
                              outcome.status.value, " (duplicate)" if outcome.duplicate else "")
                done.extend(uid for uid in part if uid in mails or uid in known)  # else expunged: skip its UID
                last_uid = part[-1]
                self.health.tick()
                if self.stop.is_set():
                    break  # SIGTERM: finish the current slice, commit, leave
            session.execute(self._cursor_update(uidvalidity, last_uid))
        self.health.ingested += sum(uid in mails for uid in done)
        return done, last_uid, stored

    def _store_each(self, uidvalidity: int, batch: list[int], mails: dict[int, bytes], known: set[int],
                    last_uid: int) -> tuple[list[int], int, list[IngestOutcome]]:
        """The fallback: one transaction per mail, so one mail the database refuses cannot block the rest."""
        done: list[int] = []
        stored: list[IngestOutcome] = []
        for uid in batch:
            if uid in mails:
                outcome = self._ingest(uidvalidity, uid, mails[uid])
                if outcome is not None:
                    done.append(uid)
                    stored.append(outcome)
            else:
                self._advance(uidvalidity, uid)
                if uid in known:
                    done.append(uid)
            last_uid = uid
            self.health.tick()
            if self.stop.is_set():
                break
        return done, last_uid, stored

    def _known_uids(self, conn: ImapConnection, batch: list[int]) -> set[int]:
        ids = {uid: mid for uid, mid in conn.message_ids(batch).items() if mid}
        if not ids:
            return set()
        with self.db.session() as session:
            stored = set(session.scalars(select(Message.message_id).where(
                Message.source_account == self.account.name, Message.message_id.in_(set(ids.values())))))
        return {uid for uid, mid in ids.items() if mid in stored}

    def _source(self, uidvalidity: int, uid: int) -> Source:
        return Source(kind="imap", account=self.account.name, folder=self.folder, uidvalidity=uidvalidity, uid=uid)

    def _cursor_update(self, uidvalidity: int, uid: int):
        return (update(ImapFolderState)
                .where(ImapFolderState.account == self.account.name, ImapFolderState.folder == self.folder,
                       ImapFolderState.uidvalidity == uidvalidity, ImapFolderState.last_uid < uid)
                .values(last_uid=uid))

    def _ingest(self, uidvalidity: int, uid: int, raw: bytes) -> IngestOutcome | None:
        """Store one mail and move the cursor past it in one transaction. None: skipped for good."""
        try:
            with self.db.session() as session:
                outcome = ingest_in_session(session, raw, self._source(uidvalidity, uid), self.settings)
                session.execute(self._cursor_update(uidvalidity, uid))
        except Exception as exc:  # noqa: BLE001 - the pipeline never raises for bad mail: this is the DB
            if is_outage(exc):
                raise StoreUnavailable(f"storing UID {uid}: {_root_cause(exc)}") from exc
            attempts = self.failures[uid] = self.failures.get(uid, 0) + 1
            if attempts < MAX_ATTEMPTS:
                log.warning("%s: storing UID %d failed (attempt %d): %s", self.health.label, uid, attempts, exc)
                raise MailError(f"storing UID {uid} failed: {exc}") from exc
            log.error("%s: storing UID %d failed %d times; skipping it: %s", self.health.label, uid, attempts, exc)
            self._advance(uidvalidity, uid)
            return None
        self.failures.pop(uid, None)
        self.health.ingested += 1
        log.debug("%s: UID %d -> message %d %s%s", self.health.label, uid, outcome.message_pk,
                  outcome.status.value, " (duplicate)" if outcome.duplicate else "")
        return outcome

    def _advance(self, uidvalidity: int, uid: int) -> None:
        with self.db.session() as session:
            session.execute(self._cursor_update(uidvalidity, uid))


class Daemon:
    """Workers + scheduler + reactions + systemd notifications; :func:`run` drives it."""

    def __init__(self, db: Database, settings: Settings, notifier: SdNotifier,
                 wakeup: threading.Event | None = None) -> None:
        self.db = db
        self.settings = settings
        self.notifier = notifier
        self.workers: list[FolderWorker] = []
        self.worker_stop = threading.Event()
        self.scheduler = Scheduler(db, settings.general.tz)
        self.reactions = ReactionQueue(wakeup)
        self.next_watchdog = 0.0
        self.last_status = ""
        self.started = time.monotonic()
        self.sync_announced = False
        self.next_reaction = 0.0
        self.tick_outage: str | None = None  # the scheduler / reactions found the database down
        self.file_status = status_file.DaemonStatus(pid=os.getpid(), version=version(),
                                                    started_at=status_file.iso(clock.now()) or "")
        self.last_file_status = ""

    def start(self) -> None:
        prestart_reader(self.settings)  # the first mail need not wait for the parse worker
        self.worker_stop = threading.Event()
        self.workers = make_workers(self.db, self.settings, self.worker_stop, reactions=self.reactions)
        self.scheduler = Scheduler(self.db, self.settings.general.tz)
        jobs = self.scheduler.register_builtin(self.settings)
        log.info("%s", startup_line(self.settings, self.db, jobs))
        if not self.workers:
            log.warning("no IMAP accounts configured ([[imap.accounts]]); only scheduled jobs run")
        for worker in self.workers:
            worker.start()

    def stop(self, timeout: float = 30.0) -> None:
        self.worker_stop.set()
        deadline = time.monotonic() + timeout
        for worker in self.workers:
            worker.join(max(0.1, deadline - time.monotonic()))
            if worker.is_alive():
                log.warning("%s did not stop within %.0f s", worker.name, timeout)

    def reload(self, settings: Settings) -> None:
        self.notifier.reloading()
        self.stop()
        self.settings = settings
        self.start()
        self.notifier.ready(self.status())
        log.info("configuration reloaded")

    def initial_sync_done(self) -> bool:
        """Every folder read once since start-up (or :data:`SYNC_WAIT` passed: a dead account must not
        hold the digest back for ever)."""
        if all(w.health.synced for w in self.workers):
            if not self.sync_announced and self.workers:
                log.info("initial sync of %d folders done after %.1f s; reminders and digest may run",
                         len(self.workers), time.monotonic() - self.started)
            self.sync_announced = True
            return True
        if time.monotonic() - self.started > SYNC_WAIT:
            if not self.sync_announced:
                waiting = [w.health.label for w in self.workers if not w.health.synced]
                log.warning("the digest no longer waits for the first sync of %s (%.0f s since start)",
                            ", ".join(waiting), SYNC_WAIT)
            self.sync_announced = True
            return True
        return False

    def tick(self) -> None:
        """One turn of the main loop: react to stored mail, run due jobs, systemd, the status file."""
        try:
            self.react()
            self.scheduler.run_due(self.settings, hold=() if self.initial_sync_done() else WAIT_FOR_SYNC)
        except Exception as exc:  # noqa: BLE001 - a database outage must not stop the loop
            if not is_outage(exc):
                raise
            if self.tick_outage is None:
                log.error("database unavailable for reminders and jobs (%s); they run when it is back",
                          _root_cause(exc))
            self.tick_outage = _root_cause(exc)
        else:
            if self.tick_outage is not None:
                log.info("database available again for reminders and jobs")
            self.tick_outage = None
        now = time.monotonic()
        interval = self.notifier.watchdog_interval
        if interval and now >= self.next_watchdog and self.healthy(now):
            self.notifier.watchdog()
            self.next_watchdog = now + interval
        status = self.status()
        if status != self.last_status:
            self.notifier.status(status)
            self.last_status = status
        self.write_status_file()

    def react(self) -> None:
        """React to the batches stored since the last time: after the initial sync (a backfill reacts
        once, at its end) and at most every :data:`REACT_EVERY` seconds (a burst costs a few agendas)."""
        now = time.monotonic()
        if now < self.next_reaction or not self.initial_sync_done():
            return
        pending = self.reactions.take()
        if not pending:
            return
        self.next_reaction = now + REACT_EVERY
        try:
            react_to_messages(self.db, self.settings, pending)
        except Exception as exc:
            if is_outage(exc):
                self.reactions.give_back(pending)
                raise
            log.exception("reacting to %d stored mails failed; the hourly reminders job retries", len(pending))

    def healthy(self, now: float) -> bool:
        return all(w.is_alive() and now - w.health.beat < STALE_AFTER for w in self.workers)

    def status(self) -> str:
        if not self.workers:
            return "no IMAP accounts; scheduler only"
        connected = sum(w.health.connected for w in self.workers)
        ingested = sum(w.health.ingested for w in self.workers)
        text = f"{connected}/{len(self.workers)} folders connected; {ingested} mails ingested"
        store = self.store_error()
        if store:
            return text + f"; database unavailable: {store[:200]}"
        errors = [f"{w.health.label}: {w.health.last_error}" for w in self.workers if w.health.last_error]
        return text + (f"; {errors[0][:200]}" if errors else "")

    def store_error(self) -> str | None:
        return next((w.health.store_error for w in self.workers if w.health.store_error), self.tick_outage)

    def write_status_file(self) -> None:
        current = self.file_status
        current.folders = [status_file.FolderStatus(
            account=w.account.name, folder=w.folder, connected=w.health.connected,
            last_contact=status_file.iso(w.health.last_contact), last_error=w.health.last_error,
            ingested=w.health.ingested) for w in self.workers]
        error = self.store_error()
        if error and current.store_error is None:
            current.store_error_since = status_file.iso(clock.now())
        current.store_error = error
        if error is None:
            current.store_error_since = None
        current.initial_sync_done = self.sync_announced
        fingerprint = current.to_json()
        if fingerprint == self.last_file_status:
            return
        self.last_file_status = fingerprint
        current.updated_at = status_file.iso(clock.now()) or ""
        status_file.write_status(self.settings.general.state_dir, current)


def version() -> str:
    try:
        return metadata.version("smartreturn")
    except metadata.PackageNotFoundError:
        return "unknown"


def startup_line(settings: Settings, db: Database, jobs: list[str]) -> str:
    """One line that says what this daemon does: version, config, database, accounts, IDLE or poll, jobs."""
    accounts = "; ".join(
        f"{a.name} {a.username}@{a.host}:{a.effective_port} folders {', '.join(a.folders)} "
        f"({'IDLE' if a.idle else 'poll'}, poll every {a.poll_interval} s)" for a in settings.imap.accounts) or "none"
    return (f"smartreturn {version()} starting: config {settings.source or 'defaults and environment'}; "
            f"database {db.engine.url.render_as_string(hide_password=True)}; accounts: {accounts}; "
            f"jobs: {', '.join(jobs) or 'none'}; timezone {settings.general.timezone}")


def _root_cause(exc: BaseException) -> str:
    """The driver's own words (e.g. 'database is locked'), first line only, without SQL."""
    inner = getattr(exc, "orig", None) or exc.__cause__ or exc
    inner = getattr(inner, "orig", None) or inner
    text = str(inner).strip().splitlines()
    return f"{type(inner).__name__}: {text[0] if text else ''}"[:300]


def make_workers(db: Database, settings: Settings, stop: threading.Event, once: bool = False,
                 reactions: ReactionQueue | None = None) -> list[FolderWorker]:
    workers = []
    for account in settings.imap.accounts:
        tokens = (TokenSource(account.oauth2_token_command, account.oauth2_token_file)
                  if account.auth == "xoauth2" else None)
        for folder in dict.fromkeys(account.folders):
            workers.append(FolderWorker(db, settings, account, folder, tokens, stop, once=once, reactions=reactions))
    return workers


def open_store(settings: Settings) -> Database:
    """The daemon's store: an outdated schema is migrated by a child process, so that Alembic (~11 MB) is
    never kept in a process that runs for months."""
    return open_database(settings.database_url, migrate_in_child=True)


def run(settings: Settings, stop: threading.Event, *, reload: Callable[[], Settings] | None = None,
        reload_requested: threading.Event | None = None, notifier: SdNotifier | None = None,
        db: Database | None = None, wakeup: threading.Event | None = None) -> None:
    """Run until ``stop`` is set. ``reload_requested`` (SIGHUP) calls ``reload()`` for new settings.
    Setting ``wakeup`` (the signal handlers do, after setting ``stop`` or ``reload_requested``) ends
    the loop's wait at once instead of at the next tick."""
    notifier = notifier or SdNotifier()
    own_db = db is None
    db = db or open_store(settings)
    daemon = Daemon(db, settings, notifier, wakeup)
    try:
        daemon.start()
        notifier.ready(daemon.status())
        while not stop.is_set():
            if reload_requested is not None and reload_requested.is_set():
                reload_requested.clear()
                _reload(daemon, reload)
            daemon.tick()
            daemon.reactions.wakeup.wait(TICK)  # a stored batch or a signal wakes the loop early
            daemon.reactions.wakeup.clear()
        log.info("stopping: finishing the current mail")
        notifier.stopping()
    finally:
        daemon.stop()
        notifier.close()
        if own_db:
            db.dispose()


def _reload(daemon: Daemon, reload: Callable[[], Settings] | None) -> None:
    if reload is None:
        return
    try:
        settings = reload()
    except Exception as exc:  # noqa: BLE001 - a broken config keeps the old one running
        log.error("reload failed, keeping the running configuration: %s", exc)
        return
    daemon.reload(settings)


def sync_once(settings: Settings, db: Database, reactions: ReactionQueue | None = None) -> list[FolderWorker]:
    """Fetch everything new in every folder once (no IDLE) and return the workers (errors in .error).
    The keys of the stored mails go to ``reactions`` (``run --once`` reacts to them afterwards)."""
    prestart_reader(settings)  # the parse worker starts while the first folder is opened and searched
    workers = make_workers(db, settings, threading.Event(), once=True, reactions=reactions)
    for worker in workers:
        worker.run()
    return workers
