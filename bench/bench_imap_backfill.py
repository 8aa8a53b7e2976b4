"""Benchmark: backfill of a 10,000-message folder from a local Dovecot (goal: >= half the floor's rate,
peak RSS < 120 MB).

The folder holds copies of the project's fixture mails (fixtures/**/*.eml, each copy made unique by
an ``X-Bench-Seq`` header), so the real parsers run on real-looking mail. Each side runs in its own
child process so that its peak RSS is its own:

- daemon: ``smartreturn run --once`` does it (``loop.sync_once``): UID SEARCH, FETCH BODY.PEEK[] in
  batches, decode, allow-list, parse, store in SQLite with the cursor in the same transaction, mark
  each mail with the keyword. Fresh database.
- floor, measured in the same run on the same folder: imapclient FETCH of the same messages in the
  same batches + stdlib ``email`` parse (``message_from_bytes`` with the default policy, reading
  From/Subject/Date/Message-ID), nothing else.

Peak RSS is each child's own high-water mark (VmHWM), plus the daemon's parse worker (it reads the mail
in a separate process, ``smartreturn.guard``). Not ``getrusage``: Linux carries ru_maxrss across exec, so
a child reported the size of this parent at fork time, which grew with the folder it had built.

    .venv/bin/python bench/bench_imap_backfill.py [--mails 10000]
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the Dovecot fixture lives in tests/


def fixture_mails() -> list[bytes]:
    return [p.read_bytes() for p in sorted((ROOT / "fixtures").rglob("*.eml"))]


def senders(mails: list[bytes]) -> list[str]:
    """Every From address of the fixtures: the allow-list, so that every copy is parsed."""
    found = set()
    for raw in mails:
        match = re.search(rb"^From:.*?([\w.+-]+@[\w.-]+)", raw, re.M | re.I)
        if match:
            found.add(match.group(1).decode().lower())
    return sorted(found)


def peak_rss_mb(pid: int | str = "self") -> float:
    """Peak RSS of this process's own memory (VmHWM). Not ``getrusage``: on Linux its ru_maxrss survives
    exec, so a child started from a big parent reported the parent's size (99 MB for the floor)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child_floor(port: int, user: str, batch: int) -> dict[str, float]:
    from imapclient import IMAPClient

    started = time.perf_counter()
    client = IMAPClient("127.0.0.1", port=port, ssl=False)
    client.login(user, "testpass")
    client.select_folder("INBOX", readonly=True)
    uids = sorted(client.search("ALL"))
    count = failed = 0
    for start in range(0, len(uids), batch):
        for data in client.fetch(uids[start:start + batch], ["BODY.PEEK[]"]).values():
            msg = email.message_from_bytes(data[b"BODY[]"], policy=email.policy.default)
            try:
                _ = (msg["From"], msg["Subject"], msg["Date"], msg["Message-ID"])
            except Exception:  # noqa: BLE001 - the stdlib's header parser has bugs on odd Message-IDs (IndexError)
                failed += 1
            count += 1
    client.logout()
    return {"count": count, "seconds": time.perf_counter() - started, "rss_mb": peak_rss_mb(), "failed": failed}


def child_daemon(config: str, trace: bool = False) -> dict[str, float]:
    import smartreturn.daemon.main  # noqa: F401 - what `smartreturn run` execs into: the daemon's own program
    from smartreturn.config import load_settings
    from smartreturn.daemon import loop

    settings = load_settings(config, env={})
    db = loop.open_store(settings)  # as `run` does; not part of the timing
    if trace:
        growth = trace_growth(loop)
    sampler = PssSampler()
    sampler.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    [worker] = loop.sync_once(settings, db)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    worker_cpu = parse_worker_cpu_seconds()  # since its start: it read nothing before sync_once
    sampler.stop.set()
    sampler.join()
    if trace:
        growth()
    if worker.error is not None:
        raise SystemExit(f"backfill failed: {worker.error}")
    with db.session() as session:
        from sqlalchemy import func, select
        from smartreturn.store.tables import Message
        statuses = dict(session.execute(select(Message.status, func.count()).group_by(Message.status)).all())
    return {"count": worker.health.ingested, "seconds": seconds, "rss_mb": peak_rss_mb(), "statuses": statuses,
            "worker_mb": parse_worker_peak_mb(), "pss_mb": sampler.peak,
            "pss_parts": sampler.parts, "cpu": cpu, "worker_cpu": worker_cpu}


def parse_worker_cpu_seconds() -> float:
    """CPU seconds the parse workers used so far (/proc/PID/stat utime + stime; the warm-up mails included)."""
    from smartreturn import guard

    return sum(guard._cpu_seconds(w.pid) or 0.0 for w in guard._pool.all if w.pid is not None)  # noqa: SLF001


def parse_worker_peak_mb() -> float:
    """Peak RSS (VmHWM) of the parse worker that read the mail (a program of its own started by guard)."""
    from smartreturn import guard

    return max([0.0] + [peak_rss_mb(w.pid) for w in guard._pool.all if w.pid is not None])  # noqa: SLF001


def _pss_mb(pid: int | str) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:  # the process ended
        pass
    return 0.0


def _daemon_pids() -> dict[str, int | str]:
    """This process and its parse workers: what systemd's cgroup holds (no forkserver since 2026-12-06
    evening: a worker is a program of its own, started by this process)."""
    from smartreturn import guard

    pids: dict[str, int | str] = {"main": "self"}
    for number, worker in enumerate(guard._pool.all):  # noqa: SLF001 - a benchmark looks inside
        if worker.pid is not None:
            pids["worker" if number == 0 else f"worker{number + 1}"] = worker.pid
    return pids


class PssSampler(threading.Thread):
    """Peak of the summed PSS (proportional set size: a page shared by n processes counts 1/n in each)
    of the daemon's processes, sampled every second: close to what the cgroup charges (systemd's
    MemoryCurrent, less page cache), where the sum of RSS counts the pages a forked worker shares twice."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.peak = 0.0
        self.parts: dict[str, float] = {}

    def run(self) -> None:
        while not self.stop.wait(1.0):
            parts = {name: _pss_mb(pid) for name, pid in _daemon_pids().items()}
            if sum(parts.values()) > self.peak:
                self.peak, self.parts = sum(parts.values()), parts


def trace_growth(loop):
    """--trace: what is still allocated after the first 10 % of the batches vs. at the end, by source
    line (tracemalloc; slow, so the timing of a traced run means nothing). Printed to stderr."""
    import tracemalloc

    tracemalloc.start(5)
    snapshots: list = []
    original = loop.FolderWorker._store_batch
    calls = {"n": 0}

    def counting(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 50:
            snapshots.append(tracemalloc.take_snapshot())
        return original(self, *args, **kwargs)

    loop.FolderWorker._store_batch = counting

    def report() -> None:
        end = tracemalloc.take_snapshot()
        if snapshots:
            for stat in end.compare_to(snapshots[0], "traceback")[:8]:
                print(f"grew {stat.size_diff / 1e6:+.2f} MB in {stat.count_diff:+d} blocks:", file=sys.stderr)
                for line in stat.traceback.format()[-6:]:
                    print("   ", line, file=sys.stderr)
    return report


def run_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help="print what grows with the folder (tracemalloc)")
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        result = (child_floor(int(rest[0]), rest[1], int(rest[2])) if kind == "floor"
                  else child_daemon(rest[0], trace="trace" in rest))
        print(json.dumps(result))
        return

    from tests.daemon.conftest import write_config
    from tests.servers.dovecot import DovecotServer

    base = fixture_mails()
    server = DovecotServer()
    server.start()
    workdir = Path(tempfile.mkdtemp(prefix="bench-backfill-"))
    try:
        mailbox = server.new_mailbox("bench")
        size_mb, t0 = 0.0, time.perf_counter()
        for start in range(0, args.mails, 1000):  # in slices: this process stays small (children fork from it)
            copies = [b"X-Bench-Seq: %d\r\n" % n + base[n % len(base)] for n in range(start, min(args.mails, start + 1000))]
            size_mb += sum(map(len, copies)) / 1e6
            mailbox.append(copies)
        print(f"folder: {args.mails} mails ({size_mb:.1f} MB, copies of {len(base)} fixtures) "
              f"appended in {time.perf_counter() - t0:.1f} s")
        config = write_config(workdir, [mailbox.account_settings(batch_size=args.batch)],
                              ingest={"allowed_forwarders": senders(base)})
        floor = run_child("floor", str(server.port), mailbox.user, str(args.batch))
        daemon = run_child("daemon", str(config), *(["trace"] if args.trace else []))
    finally:
        server.cleanup()

    floor_rate = floor["count"] / floor["seconds"]
    daemon_rate = daemon["count"] / daemon["seconds"]
    print(f"  daemon  : {daemon['count']} mails in {daemon['seconds']:.1f} s = {daemon_rate:,.0f} mails/s, "
          f"peak RSS {daemon['rss_mb']:.0f} MB + parse worker {daemon['worker_mb']:.0f} MB; "
          f"statuses {daemon['statuses']}")
    print(f"  daemon CPU: main process {daemon['cpu'] / daemon['count'] * 1e3:.2f} ms a mail (all its threads), parse "
          f"worker {daemon['worker_cpu'] / daemon['count'] * 1e3:.2f} ms a mail (CPU time: less bent by the load)")
    parts = ", ".join(f"{name} {mb:.0f}" for name, mb in daemon["pss_parts"].items())
    print(f"  daemon, all processes: peak summed PSS {daemon['pss_mb']:.0f} MB ({parts}; sampled each second)")
    print(f"  floor   : {floor['count']} mails in {floor['seconds']:.1f} s = {floor_rate:,.0f} mails/s, "
          f"peak RSS {floor['rss_mb']:.0f} MB (imapclient FETCH + stdlib email parse)")
    print(f"  daemon / floor = {daemon_rate / floor_rate:.2f} (goal >= 0.50); 120 MB goal: main process "
          f"{'met' if daemon['rss_mb'] <= 120 else 'MISSED'}, all processes (PSS) "
          f"{'met' if daemon['pss_mb'] <= 120 else 'MISSED'}")


if __name__ == "__main__":
    main()
