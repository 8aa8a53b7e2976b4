"""Read mail in a worker process with a time limit per mail, so that no mail can hold the caller.

The regular expressions over mail text are linear-time (tests/test_regex_linear.py), but decoding and
parsing also run the stdlib's, dateutil's, mail-parser's and lxml's code on hostile input, and a
runaway in any of them would hold the GIL: IMAP, the scheduler, the watchdog and SIGTERM would all
stall. So mail is read in a separate process. A batch of mails goes to the worker in one message and
the worker answers mail by mail; when one answer takes longer than the limit (CPU time of the worker,
so that a machine busy with other work does not cut off ordinary mail), the worker is killed
(SIGKILL cannot be blocked by a regex), that mail becomes ``failed: parse timeout``, a fresh worker
is started and the rest of the batch goes to it.

Memory is bounded too: the worker runs under an ``RLIMIT_DATA`` of ``memory_limit`` bytes (heap and
private mappings, native ones such as libxml2's included), so an allocation past it fails inside the
worker instead of growing it; that mail becomes ``failed: parse memory limit`` and the worker, whose
state after a failed allocation is not trusted, is replaced. A worker whose resident size passed half
the limit after a mail (memory kept by the allocator after a big mail) retires after answering, so
the next mail starts with a fresh one and is not cut off by what an earlier mail left behind.

A worker is a Python program of its own (``python -c "…guard.serve(fd)"``, the pipe passed as a file
descriptor), not a ``multiprocessing`` child: those re-import the caller's ``__main__`` — for
``smartreturn run`` the whole command line interface, SQLAlchemy and pydantic included, ~40 MB in
every worker — and a ``forkserver`` that keeps the parsers imported costs ~30 MB more for the whole
life of the daemon. The worker imports only what reading needs (:data:`_PRELOAD`) and reads a few
mails to warm up before it reports ready (~0.5 s). It is started from one long-lived thread so that
its parent-death signal (Linux: sent when the *thread* that started it ends) fires only when this
process ends. Several threads may read mail at the same time; each takes a worker from a small pool.

What the worker logs while reading a mail is sent back with its result and handed to the caller's
loggers, so it reaches the daemon's own handlers (format, journal, the secret-masking filter) as if
it had been logged there.
"""

from __future__ import annotations

import atexit
import importlib
import logging
import multiprocessing
import os
import pkgutil
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from smartreturn.child import die_with_parent, python_env

log = logging.getLogger(__name__)

__all__ = ["ParseGuard", "WorkerUnavailable", "Job", "TIMEOUT", "CRASHED", "MEMORY", "prestart", "read_guarded",
           "shutdown"]

Job = tuple[bytes, str, str]   # raw mail, source kind, label for log lines
# (raw, source kind, settings, label) -> result; or its name, "module:function", imported in the worker
# only, so that the caller need not import what the worker reads mail with
Reader = Callable[[bytes, str, Any, str], Any] | str

TIMEOUT = "parse timeout"
CRASHED = "parse worker crashed"
MEMORY = "parse memory limit"
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
START_TIMEOUT = 120.0  # seconds for a new worker to report ready (it imports the parsers)
_PRELOAD = ["smartreturn.parse_mail", "smartreturn.parse_warmup"]  # the second reads a few mails: warm workers
_WORKER_PROGRAM = "import sys; from smartreturn.guard import serve; serve(int(sys.argv[1]), int(sys.argv[2]))"
WALL_FACTOR = 10  # a mail is given up after this many times the limit in wall-clock time, CPU used or not
_SLICE = 0.05  # seconds between two looks at the worker's CPU time while a mail takes long
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds of a process so far (Linux /proc), or None when not available."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14, 15 of stat(5))
    except (OSError, ValueError, IndexError):
        return None


def _resident_bytes() -> int | None:
    """This process's resident set size (Linux /proc), or None when not available."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


def _peak_resident_bytes() -> int:
    """This process's peak resident set size (VmHWM; Linux /proc), or 0 when not available."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _limit_memory(limit: int | None) -> None:
    """At most ``limit`` bytes of data (heap, anonymous and private writable mappings) in this process."""
    if not limit:
        return
    try:
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    except (ValueError, OSError) as exc:  # e.g. below what the worker already uses: it runs without one
        logging.getLogger(__name__).warning("cannot limit the parse worker's memory to %d MB: %s",
                                            limit // 2**20, exc)


class _OutOfMemory:
    """What the worker answers for a mail whose reading passed the memory limit."""

    def __init__(self, detail: str) -> None:
        self.detail = detail


class _Collect(logging.Handler):
    """The worker's only log handler: keeps each record, made picklable, to send with the result."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args = record.getMessage(), None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        self.records.append(record)

    def take(self) -> list[logging.LogRecord]:
        records, self.records = self.records, []
        return records


def _replay(records: list[logging.LogRecord]) -> None:
    """The worker's records, through this process's loggers (their levels, handlers and filters)."""
    for record in records:
        logger = logging.getLogger(record.name)
        if logger.isEnabledFor(record.levelno):
            logger.handle(record)


def _log_level() -> int:
    """The lowest level this process logs for the package (the worker need not build other records)."""
    return min(logging.getLogger().getEffectiveLevel(), logging.getLogger("smartreturn").getEffectiveLevel())


def serve(fd: int, parent: int) -> None:
    """The worker program: the start message on the pipe ``fd`` (reader, log level, memory limit), the
    modules of :data:`_PRELOAD` imported (the parsers, a warm-up), then :func:`_worker`'s loop."""
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    conn = Connection(fd)
    reader, level, memory_limit = conn.recv()
    for module in _PRELOAD:
        importlib.import_module(module)
    try:
        _worker(conn, reader, level, memory_limit)
    except (BrokenPipeError, ConnectionResetError):  # the daemon is gone
        pass


def _worker(conn: Connection, reader: Reader, level: int = logging.WARNING, memory_limit: int | None = None) -> None:
    """The worker's loop: ("settings", s) sets the settings; ("batch", jobs) answers (index, result, log
    records, retiring) per job; after an answer with ``retiring`` set (its peak RSS, bytes) the worker ends."""
    collect = _Collect()
    root = logging.getLogger()
    root.handlers[:] = [collect]
    root.setLevel(level)
    logging.getLogger("smartreturn").setLevel(logging.NOTSET)
    settings = None
    if isinstance(reader, str):
        reader = pkgutil.resolve_name(reader)  # "module:function"
    _limit_memory(memory_limit)
    conn.send(("ready", None))
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        kind, payload = message
        if kind == "settings":
            settings = payload
            continue
        for index, (raw, source_kind, label) in enumerate(payload):
            try:
                result = reader(raw, source_kind, settings, label)
            except MemoryError as exc:  # the limit: this mail fails, and the worker is not trusted further
                result = _OutOfMemory(f"{type(exc).__name__} at {memory_limit // 2**20 if memory_limit else '?'} MB")
            except BaseException as exc:  # noqa: BLE001 - the reader should not raise; report it, go on
                result = exc if isinstance(exc, Exception) else RuntimeError(repr(exc))
            resident = _resident_bytes() if memory_limit else None
            retiring = isinstance(result, _OutOfMemory) or bool(resident and resident > memory_limit // 2)
            # the parent must see a retirement even where /proc cannot give the peak (then 1 byte):
            # a 0 would make it wait on a worker that is gone and fail the next mail as crashed
            conn.send((index, result, collect.take(), max(_peak_resident_bytes(), 1) if retiring else 0))
            if retiring:
                conn.close()
                os._exit(0)


class WorkerUnavailable(RuntimeError):
    """No parse worker process could be started (the caller may read the mail itself)."""


class ParseGuard:
    """One worker process and its pipe. ``read(jobs, settings)`` -> one result per job, in order;
    a job that took longer than ``timeout`` seconds, passed the memory limit (bytes; None: no limit) or
    killed the worker gets ``on_failure(job, why)``."""

    def __init__(self, reader: Reader, on_failure: Callable[[Job, str], Any]) -> None:
        self.reader = reader
        self.on_failure = on_failure
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._settings: Any = None
        self._memory_limit: int | None = None

    def limit_memory(self, memory_limit: int | None) -> None:
        """Workers started from now on get this limit (bytes; None: none); a running one with another is stopped."""
        if memory_limit != self._memory_limit:
            self.close()  # the limit is set when a worker starts
            self._memory_limit = memory_limit

    def read(self, jobs: Sequence[Job], settings: Any, timeout: float, memory_limit: int | None = None) -> list[Any]:
        self.limit_memory(memory_limit)
        results: list[Any] = []
        while len(results) < len(jobs):
            results.extend(self._read_some(jobs[len(results):], settings, timeout))
        return results

    def _read_some(self, jobs: Sequence[Job], settings: Any, timeout: float) -> list[Any]:
        """Results for a prefix of ``jobs``: all of them, or those before the one that timed out (included)."""
        conn = self._ensure_started()
        if settings != self._settings:  # a new worker starts with None (_ensure_started resets this)
            conn.send(("settings", settings))
            self._settings = settings
        conn.send(("batch", list(jobs)))
        results: list[Any] = []
        while len(results) < len(jobs):
            job = jobs[len(results)]
            started = time.monotonic()
            overdue = self._wait(conn, timeout)
            if overdue is not None:
                log.warning("mail %s: %s: stopping its parse worker", job[2], overdue)
                self.close()
                results.append(self.on_failure(job, f"{TIMEOUT} ({overdue})"))
                return results
            try:
                index, result, records, retiring = conn.recv()
            except (EOFError, OSError):
                code = None
                if self._process is not None:
                    try:
                        code = self._process.wait(1.0)
                    except subprocess.TimeoutExpired:
                        pass
                log.error("mail %s: the parse worker died (exit code %s) after %.1f s", job[2], code,
                          time.monotonic() - started)
                self.close()
                results.append(self.on_failure(job, f"{CRASHED} (exit code {code})"))
                return results
            _replay(records)
            if isinstance(result, _OutOfMemory):
                log.warning("mail %s: %s (%s): replacing its parse worker", job[2], MEMORY, result.detail)
                result = self.on_failure(job, f"{MEMORY} ({result.detail})")
            elif isinstance(result, Exception):
                log.error("mail %s: reading it raised %r", job[2], result)
                result = self.on_failure(job, f"cannot read: {result!r}")
            results.append(result)
            if retiring:  # it ends after this answer (its peak RSS in bytes); the rest goes to a fresh one
                log.info("parse worker %s retires after mail %s (peak RSS %d MB, memory limit %d MB)", self.pid,
                         job[2], retiring // 2**20, (self._memory_limit or 0) // 2**20,
                         extra={"peak_rss": retiring})
                self.close()
                return results
        return results

    def _wait(self, conn: Connection, timeout: float) -> str | None:
        """Wait for the worker's next answer: None when it is there, else why the mail is given up.

        The limit is on the worker's CPU time (Linux: /proc), not on the wall clock: a runaway regex
        burns CPU and is stopped after ``timeout`` CPU seconds, while an ordinary mail on a machine
        busy with other work (waiting for a core, not computing) is not cut off for that. The wall
        clock still ends the wait after :data:`WALL_FACTOR` times the limit, whatever the cause."""
        pid = self._process.pid if self._process is not None else None
        cpu_start = _cpu_seconds(pid)
        if cpu_start is None:  # no /proc: the wall clock is all there is
            return None if conn.poll(timeout) else f"no result after {timeout:g} s"
        deadline = time.monotonic() + timeout * WALL_FACTOR
        while not conn.poll(min(_SLICE, timeout)):
            used = (_cpu_seconds(pid) or cpu_start) - cpu_start
            if used >= timeout:
                return f"no result after {used:.1f} s of CPU time (limit {timeout:g} s)"
            if time.monotonic() >= deadline:
                return f"no result after {timeout * WALL_FACTOR:g} s"
        return None

    def _ensure_started(self) -> Connection:
        if self._process is not None and self._process.poll() is None and self._conn is not None:
            return self._conn
        self.close()
        parent, child = multiprocessing.Pipe()
        process: subprocess.Popen[bytes] | None = None
        try:
            process = _launch(child.fileno())
            child.close()
            parent.send((_reader_name(self.reader), _log_level(), self._memory_limit))
            if not parent.poll(START_TIMEOUT):
                raise WorkerUnavailable(f"the parse worker did not start within {START_TIMEOUT:g} s")
            if parent.recv()[0] != "ready":
                raise WorkerUnavailable("the parse worker did not report ready")
        except (OSError, EOFError, RuntimeError) as exc:  # no process, or it died while starting
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
            child.close()
            parent.close()
            raise exc if isinstance(exc, WorkerUnavailable) else WorkerUnavailable(
                f"the parse worker could not start: {exc!r}") from exc
        self._process, self._conn, self._settings = process, parent, None
        log.debug("parse worker %d started", process.pid)
        return parent

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None and self._process.poll() is None else None

    def close(self) -> None:
        """Stop the worker now (SIGKILL: it may be stuck in C code that no other signal interrupts)."""
        process, conn = self._process, self._conn
        self._process = self._conn = None
        self._settings = None
        if conn is not None:
            conn.close()
        if process is not None:
            if process.poll() is None:
                process.kill()
            process.wait()


WORKERS_PER_READER = 1  # parse workers at most: each costs ~45 MB (issue 10: the daemon in ≤ 120 MB)


class _Pool:
    """The guards, at most :data:`WORKERS_PER_READER` for one reader. Callers in several threads (the
    daemon's folders, the read-ahead of the next batch) take turns on one worker: a caller that finds
    none idle waits for one to be given back (also the one :func:`prestart` is starting) instead of
    starting another worker (~45 MB, ~0.5 s to start)."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.idle: list[ParseGuard] = []
        self.all: list[ParseGuard] = []

    def take(self, reader: Reader, on_failure: Callable[[Job, str], Any]) -> ParseGuard:
        """An idle guard for ``reader``, or a new one while it has fewer than WORKERS_PER_READER; else
        wait for one to be given back."""
        with self.lock:
            while (guard := self._take_now(reader, on_failure)) is None:
                self.lock.wait()
            return guard

    def try_take(self, reader: Reader, on_failure: Callable[[Job, str], Any]) -> ParseGuard | None:
        """As :meth:`take`, but None at once when every worker for ``reader`` is at work."""
        with self.lock:
            return self._take_now(reader, on_failure)

    def _take_now(self, reader: Reader, on_failure: Callable[[Job, str], Any]) -> ParseGuard | None:
        guard = self._idle_for(reader)
        if guard is not None:
            self.idle.remove(guard)
        elif self._count(reader) < WORKERS_PER_READER:
            guard = ParseGuard(reader, on_failure)
            self.all.append(guard)
        else:
            return None
        guard.on_failure = on_failure
        return guard

    def _idle_for(self, reader: Reader) -> ParseGuard | None:
        return next((guard for guard in self.idle if guard.reader == reader), None)

    def _count(self, reader: Reader) -> int:
        return sum(1 for guard in self.all if guard.reader == reader)

    def give_back(self, guard: ParseGuard) -> None:
        with self.lock:
            self.idle.append(guard)
            self.lock.notify_all()

    def close(self) -> None:
        with self.lock:
            guards, self.all, self.idle = self.all, [], []
            self.lock.notify_all()  # a caller waiting for a worker starts a new one
        for guard in guards:
            guard.close()


_pool = _Pool()
atexit.register(_pool.close)

# Workers are started from this one thread, which lives as long as the process: a worker's
# parent-death signal is tied to the thread that started it, not to the process.
_launcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parse-worker-launcher")


def _launch(fd: int) -> subprocess.Popen[bytes]:
    """Start the worker program with the pipe ``fd`` and this process's import path."""
    env = python_env()
    command = [sys.executable, "-c", _WORKER_PROGRAM, str(fd), str(os.getpid())]
    return _launcher.submit(subprocess.Popen, command, pass_fds=(fd,), env=env, stdin=subprocess.DEVNULL).result()


def _reader_name(reader: Reader) -> str:
    """``module:function``, imported by the worker (a function must be defined at a module's top level)."""
    return reader if isinstance(reader, str) else f"{reader.__module__}:{reader.__qualname__}"


def read_guarded(jobs: Sequence[Job], settings: Any, timeout: float, reader: Reader,
                 on_failure: Callable[[Job, str], Any], memory_limit: int | None = None) -> list[Any]:
    """``reader(raw, kind, settings, label)`` for every job in a worker process, each within ``timeout`` s
    and, when ``memory_limit`` is set, within that many bytes of data for the whole worker."""
    if not jobs:
        return []
    guard = _pool.take(reader, on_failure)
    try:
        return guard.read(jobs, settings, timeout, memory_limit)
    finally:
        _pool.give_back(guard)


def prestart(reader: Reader, memory_limit: int | None = None) -> threading.Thread | None:
    """Start a worker for ``reader`` in the background and keep it ready in the pool: the first mail
    then does not wait for it to import the parsers (seconds on a loaded machine)."""

    # taken now, so that a mail read meanwhile waits for this worker; None: every worker is at work
    guard = _pool.try_take(reader, lambda job, why: None)
    if guard is None:
        return None

    def start() -> None:
        try:
            guard.limit_memory(memory_limit)
            guard._ensure_started()
        except Exception as exc:  # noqa: BLE001 - the first mail will try again and report it
            log.warning("could not start the parse worker in advance: %s", exc)
        finally:
            _pool.give_back(guard)

    thread = threading.Thread(target=start, name="parse-worker-start", daemon=True)
    thread.start()
    return thread


def shutdown() -> None:
    """Stop every worker (they also stop when this process exits)."""
    _pool.close()
