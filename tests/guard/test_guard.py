"""The parse guard: mail is read in a worker process; a mail that takes too long (or kills the worker)
is reported as such and the worker is replaced, and every other mail of the batch is still read."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import types

import pytest

from smartreturn import guard
from tests.guard.readers import echo_or_misbehave, hog, logs, pid


def _failed(job: guard.Job, why: str) -> tuple[str, str]:
    return job[2], why


def _jobs(*bodies: bytes) -> list[guard.Job]:
    return [(body, "file", f"m{i}") for i, body in enumerate(bodies)]


def test_a_runaway_regex_is_stopped_at_the_limit_and_the_rest_of_the_batch_is_read():
    jobs = _jobs(b"first", b"RUNAWAY", b"third", b"fourth")
    started = time.monotonic()
    results = guard.read_guarded(jobs, {"k": 1}, 1.0, echo_or_misbehave, _failed)
    took = time.monotonic() - started
    assert results[0] == ("m0", "first", {"k": 1})
    assert results[1][0] == "m1" and results[1][1].startswith("parse timeout")
    # the fresh worker got the settings again
    assert results[2:] == [("m2", "third", {"k": 1}), ("m3", "fourth", {"k": 1})]
    # the runaway alone would take longer than the age of the universe; the guard stops it after 1 s of
    # CPU time, which on a busy machine is at most WALL_FACTOR s of wall time, plus a fresh worker's start
    assert took < guard.WALL_FACTOR * 1.0 + 20


def test_a_crashing_worker_is_replaced_and_a_raising_reader_is_reported():
    results = guard.read_guarded(_jobs(b"CRASH", b"RAISE", b"ok"), None, 5.0, echo_or_misbehave, _failed)
    assert results[0] == ("m0", "parse worker crashed (exit code 3)")
    assert results[1] == ("m1", "cannot read: ValueError('reader bug')")
    assert results[2] == ("m2", "ok", None)


def test_the_worker_is_kept_between_batches_and_replaced_only_after_a_timeout():
    first = guard.read_guarded(_jobs(b"a", b"b"), None, 5.0, pid, _failed)
    second = guard.read_guarded(_jobs(b"c"), None, 5.0, pid, _failed)
    assert len(set(first + second)) == 1  # one process read all three
    guard.read_guarded(_jobs(b"RUNAWAY"), None, 0.5, echo_or_misbehave, _failed)
    assert guard.read_guarded(_jobs(b"d"), None, 5.0, pid, _failed) == second  # other reader's worker untouched
    assert guard.read_guarded(_jobs(), None, 5.0, pid, _failed) == []


def test_what_the_worker_logs_reaches_the_callers_loggers(caplog):
    guard.shutdown()  # a fresh worker, started while the caller logs at INFO
    caplog.set_level(logging.INFO)
    assert guard.read_guarded(_jobs(b"this mail"), None, 5.0, logs, _failed) == ["m0"]
    records = [r for r in caplog.records if r.name == "smartreturn.parsers.example"]
    assert [(r.levelname, r.getMessage()) for r in records] == [
        ("WARNING", "mail m0: this mail looks odd"), ("ERROR", "mail m0: a parser bug")]  # no DEBUG: not wanted here
    assert records[0].process != os.getpid()  # logged in the worker
    assert "KeyError: 'm0'" in caplog.text  # with its traceback


def test_a_worker_that_cannot_start_is_reported_as_unavailable():
    # a reader the worker cannot import (this module exists only in the caller): the worker dies while starting
    module = types.ModuleType("smartreturn_test_only_here")
    exec("def reader(raw, kind, settings, label):\n    return label\n", module.__dict__)
    sys.modules[module.__name__] = module
    try:
        started = time.monotonic()
        with pytest.raises(guard.WorkerUnavailable, match="could not start|did not report"):
            guard.read_guarded(_jobs(b"x"), None, 5.0, module.reader, _failed)
        assert time.monotonic() - started < 60
    finally:
        del sys.modules[module.__name__]


def test_the_limit_is_cpu_time_so_a_mail_waiting_for_a_core_is_not_cut_off():
    # b"SLEEP" waits 1.5 s without computing (as a mail does on a machine busy with other work): under
    # the 0.5 s limit in CPU time it is read; a runaway next to it is still stopped
    results = guard.read_guarded(_jobs(b"SLEEP", b"RUNAWAY", b"ok"), None, 0.5, echo_or_misbehave, _failed)
    assert results[0] == ("m0", "SLEEP", None)
    assert results[1][0] == "m1" and results[1][1].startswith("parse timeout (no result after")
    assert "CPU time" in results[1][1]
    assert results[2] == ("m2", "ok", None)


def test_a_mail_past_the_memory_limit_fails_and_a_worker_that_kept_much_memory_retires():
    limit = 200 * 2**20  # the worker itself uses ~40 MB of data
    results = guard.read_guarded(_jobs(b"10", b"400", b"10", b"120", b"10"), None, 20.0, hog, _failed, limit)
    assert results[1] == ("m1", "parse memory limit (MemoryError at 200 MB)")
    assert results[0] != results[2]  # replaced after the failed allocation
    assert results[2] == results[3] != results[4]  # 130 MB kept > half the limit: the next mail gets a fresh worker
    # without a limit, the same reader and mails in a worker of its own
    assert all(isinstance(r, int) for r in guard.read_guarded(_jobs(b"10", b"300"), None, 20.0, hog, _failed))


def test_a_mail_read_while_the_worker_starts_in_advance_waits_for_it_instead_of_starting_another():
    guard.shutdown()
    guard.prestart(pid).join(0)  # started in the background; the mail comes at once
    first = guard.read_guarded(_jobs(b"a"), None, 5.0, pid, _failed)
    assert len([g for g in guard._pool.all if g.reader == pid]) == 1  # noqa: SLF001 - one worker, not two
    assert guard.read_guarded(_jobs(b"b"), None, 5.0, pid, _failed) == first


def test_threads_reading_at_once_take_turns_on_one_worker():
    # the daemon's read-ahead reads batch N+1 while batch N may still be read: one worker (~45 MB), not two
    guard.shutdown()
    results: list[list] = []
    threads = [threading.Thread(target=lambda: results.append(
        guard.read_guarded(_jobs(b"a", b"b"), None, 5.0, pid, _failed))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 3
    assert len({p for result in results for p in result}) == 1
    assert len([g for g in guard._pool.all if g.reader == pid]) == 1  # noqa: SLF001


def _alive(pid_: int) -> bool:
    """A process that runs (a zombie waiting to be reaped has ended)."""
    try:
        return open(f"/proc/{pid_}/stat").read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def test_the_worker_dies_with_the_daemon_even_when_a_short_lived_thread_started_it(tmp_path):
    # Linux ties the parent-death signal to the thread that started the child: workers are started from
    # one long-lived launcher thread, so a worker outlives neither the daemon nor a kill -9 of it, not
    # even while it is stuck in a runaway regex (it would never look at its pipe again)
    import signal
    import subprocess

    code = ("import threading, time; from smartreturn import guard; from tests.guard.readers import pid_or_runaway as r; "
            "out = []; t = threading.Thread(target=lambda: out.append(guard.read_guarded("
            "[(b'a', 'file', 'm0')], None, 5.0, r, lambda j, w: w))); t.start(); t.join(); "
            "print(out[0][0], flush=True); time.sleep(0.5); "
            "guard.read_guarded([(b'RUNAWAY', 'file', 'm1')], None, 600.0, r, lambda j, w: w)")
    daemon = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                              cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    try:
        worker = int(daemon.stdout.readline())
        time.sleep(1.0)
        assert _alive(worker)  # the thread that asked for it has ended: the worker must still be there
        daemon.send_signal(signal.SIGKILL)
        daemon.wait(10)
        deadline = time.monotonic() + 10
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(worker), "the parse worker outlived the daemon"
    finally:
        daemon.kill()
        daemon.wait()
