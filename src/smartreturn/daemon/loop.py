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

Resilience: every worker reconnects with exponential backoff and full jitter on any network or server
error; a mail that keeps failing to store is skipped after :data:`MAX_ATTEMPTS` tries (logged). The
stop event (SIGTERM/SIGINT) lets the mails being stored finish (at most :data:`STOP_CHECK_EVERY`, about
0.1 s) and commits them; a reload request (SIGHUP) restarts the workers with the new settings.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select, update

from smartreturn.config import ImapAccount, Settings
from smartreturn.daemon.imap import AuthError, FolderStatus, ImapConnection
from smartreturn.daemon.oauth import TokenSource
from smartreturn.daemon.scheduler import Scheduler
from smartreturn.daemon.sdnotify import SdNotifier
from smartreturn.errors import MailError
from smartreturn.pipeline import Source, ingest_batch, ingest_in_session
from smartreturn.store.db import Database, open_database
from smartreturn.store.tables import ImapFolderState, Message

log = logging.getLogger(__name__)

TICK = 1.0               # main loop period: signals, reload, scheduler, watchdog
MAX_ATTEMPTS = 3         # a mail that fails to store this often is skipped
STALE_AFTER = 600.0      # a worker silent this long stops the watchdog pings (systemd restarts us)
STOP_CHECK_EVERY = 100   # mails stored between two looks at the stop event (default batch_size: one look per batch)


@dataclass(slots=True)
class Backoff:
    """Exponential backoff with full jitter: the n-th delay is uniform in [base, min(cap, base*2^n)]."""

    base: float = 1.0
    cap: float = 300.0
    attempt: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def next(self) -> float:
        ceiling = min(self.cap, self.base * (2 ** self.attempt))
        self.attempt += 1
        return self.rng.uniform(self.base, max(self.base, ceiling))

    def reset(self) -> None:
        self.attempt = 0


@dataclass(slots=True)
class WorkerHealth:
    label: str
    beat: float = field(default_factory=time.monotonic)
    ingested: int = 0
    connected: bool = False
    last_error: str | None = None

    def tick(self) -> None:
        self.beat = time.monotonic()


class FolderWorker(threading.Thread):
    """Watches one folder of one account until ``stop`` is set."""

    def __init__(self, db: Database, settings: Settings, account: ImapAccount, folder: str,
                 tokens: TokenSource | None, stop: threading.Event, once: bool = False) -> None:
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

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.session()
            except MailError as exc:
                self._note_error(exc, auth=isinstance(exc, AuthError))
            except Exception as exc:  # noqa: BLE001 - the worker must survive anything
                log.exception("%s: unexpected error", self.health.label)
                self._note_error(exc, auth=False)
            if self.once:
                return
            self._sleep(self.backoff.next())

    def _note_error(self, exc: BaseException, auth: bool) -> None:
        self.health.connected = False
        self.health.last_error = str(exc)
        self.error = exc
        if not self.once:
            log.log(logging.ERROR if auth else logging.WARNING, "%s: %s; reconnecting with backoff",
                    self.health.label, exc)

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stop.is_set() and (left := deadline - time.monotonic()) > 0:
            self.stop.wait(min(left, TICK))
            self.health.tick()

    # --- one connection -----------------------------------------------------------------------

    def session(self) -> None:
        with ImapConnection(self.account, self.tokens) as conn:
            status = conn.select(self.folder)
            self.health.connected, self.health.last_error, self.error = True, None, None
            self.backoff.reset()
            last_uid = self._cursor(status)
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
                last_uid = self.sync(conn, status.uidvalidity, last_uid, self.rescanning)
                self.rescanning = self.rescanning and self.stop.is_set()
                if self.once or self.stop.is_set():
                    return
                if use_idle:
                    conn.wait_for_mail(self.account.poll_interval, self.stop, self.health.tick)
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

    def sync(self, conn: ImapConnection, uidvalidity: int, last_uid: int, rescan: bool) -> int:
        """Ingest every mail above last_uid; returns the new cursor."""
        uids = conn.uids_after(last_uid)
        if uids:
            log.info("%s: %d new mails", self.health.label, len(uids))
        size = self.account.batch_size
        for start in range(0, len(uids), size):
            batch = uids[start:start + size]
            known = self._known_uids(conn, batch) if rescan else set()
            mails = {mail.uid: mail.raw for mail in conn.fetch([u for u in batch if u not in known])}
            try:
                done, last_uid = self._store_batch(uidvalidity, batch, mails, known, last_uid)
            except Exception as exc:  # noqa: BLE001 - the database refused the batch: one by one
                log.warning("%s: storing %d mails in one transaction failed (%s); storing them one by one",
                            self.health.label, len(mails), exc)
                done, last_uid = self._store_each(uidvalidity, batch, mails, known, last_uid)
            conn.apply_after(done)
            if self.stop.is_set():
                break
        return last_uid

    def _store_batch(self, uidvalidity: int, batch: list[int], mails: dict[int, bytes], known: set[int],
                     last_uid: int) -> tuple[list[int], int]:
        """Store a fetched batch and move the cursor past it, all in ONE transaction (kill -9 safe).

        The mails go to :func:`~smartreturn.pipeline.ingest_batch` in slices of :data:`STOP_CHECK_EVERY`,
        so a stop request (SIGTERM) is honoured within one slice: the stored part is committed with the
        cursor just past it.
        """
        done: list[int] = []
        with self.db.session() as session:
            for start in range(0, len(batch), STOP_CHECK_EVERY):
                part = batch[start:start + STOP_CHECK_EVERY]
                fetched = [uid for uid in part if uid in mails]
                outcomes = ingest_batch(session, [(mails[uid], self._source(uidvalidity, uid)) for uid in fetched],
                                        self.settings)
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
        return done, last_uid

    def _store_each(self, uidvalidity: int, batch: list[int], mails: dict[int, bytes], known: set[int],
                    last_uid: int) -> tuple[list[int], int]:
        """The fallback: one transaction per mail, so one mail the database refuses cannot block the rest."""
        done: list[int] = []
        for uid in batch:
            if uid in mails:
                if self._ingest(uidvalidity, uid, mails[uid]):
                    done.append(uid)
            else:
                self._advance(uidvalidity, uid)
                if uid in known:
                    done.append(uid)
            last_uid = uid
            self.health.tick()
            if self.stop.is_set():
                break
        return done, last_uid

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

    def _ingest(self, uidvalidity: int, uid: int, raw: bytes) -> bool:
        """Store one mail and move the cursor past it in one transaction. False: skipped for good."""
        try:
            with self.db.session() as session:
                outcome = ingest_in_session(session, raw, self._source(uidvalidity, uid), self.settings)
                session.execute(self._cursor_update(uidvalidity, uid))
        except Exception as exc:  # noqa: BLE001 - the pipeline never raises for bad mail: this is the DB
            attempts = self.failures[uid] = self.failures.get(uid, 0) + 1
            if attempts < MAX_ATTEMPTS:
                log.warning("%s: storing UID %d failed (attempt %d): %s", self.health.label, uid, attempts, exc)
                raise MailError(f"storing UID {uid} failed: {exc}") from exc
            log.error("%s: storing UID %d failed %d times; skipping it: %s", self.health.label, uid, attempts, exc)
            self._advance(uidvalidity, uid)
            return False
        self.failures.pop(uid, None)
        self.health.ingested += 1
        log.debug("%s: UID %d -> message %d %s%s", self.health.label, uid, outcome.message_pk,
                  outcome.status.value, " (duplicate)" if outcome.duplicate else "")
        return True

    def _advance(self, uidvalidity: int, uid: int) -> None:
        with self.db.session() as session:
            session.execute(self._cursor_update(uidvalidity, uid))


class Daemon:
    """Workers + scheduler + systemd notifications; :func:`run` drives it."""

    def __init__(self, db: Database, settings: Settings, notifier: SdNotifier) -> None:
        self.db = db
        self.settings = settings
        self.notifier = notifier
        self.workers: list[FolderWorker] = []
        self.worker_stop = threading.Event()
        self.scheduler = Scheduler(db, settings.general.tz)
        self.next_watchdog = 0.0
        self.last_status = ""

    def start(self) -> None:
        self.worker_stop = threading.Event()
        self.workers = make_workers(self.db, self.settings, self.worker_stop)
        for worker in self.workers:
            worker.start()
        self.scheduler = Scheduler(self.db, self.settings.general.tz)
        jobs = self.scheduler.register_builtin(self.settings)
        if not self.workers:
            log.warning("no IMAP accounts configured ([[imap.accounts]]); only scheduled jobs run")
        log.info("watching %d folders; jobs: %s", len(self.workers), ", ".join(jobs) or "none")

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

    def tick(self) -> None:
        self.scheduler.run_due(self.settings)
        now = time.monotonic()
        interval = self.notifier.watchdog_interval
        if interval and now >= self.next_watchdog and self.healthy(now):
            self.notifier.watchdog()
            self.next_watchdog = now + interval
        status = self.status()
        if status != self.last_status:
            self.notifier.status(status)
            self.last_status = status

    def healthy(self, now: float) -> bool:
        return all(w.is_alive() and now - w.health.beat < STALE_AFTER for w in self.workers)

    def status(self) -> str:
        if not self.workers:
            return "no IMAP accounts; scheduler only"
        connected = sum(w.health.connected for w in self.workers)
        ingested = sum(w.health.ingested for w in self.workers)
        text = f"{connected}/{len(self.workers)} folders connected; {ingested} mails ingested"
        errors = [f"{w.health.label}: {w.health.last_error}" for w in self.workers if w.health.last_error]
        return text + (f"; {errors[0][:200]}" if errors else "")


def make_workers(db: Database, settings: Settings, stop: threading.Event, once: bool = False) -> list[FolderWorker]:
    workers = []
    for account in settings.imap.accounts:
        tokens = (TokenSource(account.oauth2_token_command, account.oauth2_token_file)
                  if account.auth == "xoauth2" else None)
        for folder in dict.fromkeys(account.folders):
            workers.append(FolderWorker(db, settings, account, folder, tokens, stop, once=once))
    return workers


def run(settings: Settings, stop: threading.Event, *, reload: Callable[[], Settings] | None = None,
        reload_requested: threading.Event | None = None, notifier: SdNotifier | None = None,
        db: Database | None = None) -> None:
    """Run until ``stop`` is set. ``reload_requested`` (SIGHUP) calls ``reload()`` for new settings."""
    notifier = notifier or SdNotifier()
    own_db = db is None
    db = db or open_database(settings.database_url)
    daemon = Daemon(db, settings, notifier)
    try:
        daemon.start()
        notifier.ready(daemon.status())
        while not stop.is_set():
            if reload_requested is not None and reload_requested.is_set():
                reload_requested.clear()
                _reload(daemon, reload)
            daemon.tick()
            stop.wait(TICK)
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


def sync_once(settings: Settings, db: Database) -> list[FolderWorker]:
    """Fetch everything new in every folder once (no IDLE) and return the workers (errors in .error)."""
    workers = make_workers(db, settings, threading.Event(), once=True)
    for worker in workers:
        worker.run()
    return workers
