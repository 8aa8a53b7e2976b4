"""Benchmark: 10,000 mutated real-looking mails through `smartreturn ingest`'s path, into a SQLite file.

Starts from fixtures/**/*.eml and mutates each copy (seeded): byte flips, truncation, broken MIME
boundaries, bogus charsets, 8-bit and NUL bytes in headers, deep multipart nesting, huge lines (among
them 1 MB lines of spaces, tabs and dashes). Each mail goes through `pipeline.ingest_bytes` exactly as
`smartreturn ingest` calls it (own transaction, parse worker with the default 2 s limit). Prints: mails
not stored, tracebacks (exceptions out of the pipeline plus logged exceptions), max and p99 seconds per
mail, outcome counts, and peak RSS of this process and of its parse workers.

Baseline in the same run: the same number of unmutated fixture copies through the same path.

    .venv/bin/python bench/bench_mutated.py [--mails 10000] [--seed 1]
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import random
import re
import resource
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import func, select

from smartreturn.config import load_settings
from smartreturn.pipeline import Source, ingest_bytes
from smartreturn.reading import read_messages
from smartreturn.store.db import open_database
from smartreturn.store.tables import Message

ROOT = Path(__file__).resolve().parent.parent / "fixtures"
HUGE = [b" ", b"\t", b"-", b"1", b"<", b"=", b"From: ", b"\xff", b"\x00"]


class _Retired(logging.Handler):
    """Peak RSS of the parse workers that retired (memory limit: guard.py), which the sampling may miss."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count, self.peak_mb = 0, 0.0

    def emit(self, record: logging.LogRecord) -> None:
        peak = getattr(record, "peak_rss", None)
        if peak:
            self.count += 1
            self.peak_mb = max(self.peak_mb, peak / 2**20)


class _Tracebacks(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.exc_text:  # exc_text: a traceback logged in the parse worker
            self.count += 1


def mutate(raw: bytes, rng: random.Random, serial: int) -> bytes:
    data = bytearray(b"X-Bench-Seq: %d\r\n" % serial + raw)
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(["flip", "cut", "boundary", "charset", "header", "nul", "nest", "line", "hugeline"])
        at = rng.randrange(len(data)) if data else 0
        if kind == "flip":
            for _ in range(rng.randint(1, 20)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif kind == "cut":
            del data[at:]
        elif kind == "boundary":
            data = bytearray(bytes(data).replace(b"\n--", b"\n-", rng.randint(1, 3)).replace(b"boundary=", b"boundary=z", 1))
        elif kind == "charset":
            data = bytearray(bytes(data).replace(b"charset=", b"charset=" + rng.choice([b"x-bogus", b"\xff", b"utf-7\x00", b"\""]), 1))
        elif kind == "header":
            data[0:0] = rng.choice([b"Message-ID: <\xff\xfe%d@x>\r\n" % serial, b"Subject: \xe9\x00\xff\r\n",
                                    b"From: \xff <a\x00@\xfe>\r\n", b"Content-Disposition: at\xfftachment\r\n"])
        elif kind == "nul":
            data[at:at] = b"\x00" * rng.randint(1, 100)
        elif kind == "nest":
            depth = rng.randint(10, 300)
            data[0:0] = b"".join(b"Content-Type: multipart/mixed; boundary=n%d\r\n\r\n--n%d\r\n" % (i, i) for i in range(depth))
        elif kind == "line":
            data[at:at] = rng.choice(HUGE) * rng.randint(1_000, 100_000)
        elif kind == "hugeline":
            data[at:at] = rng.choice(HUGE[:3]) * 1_000_000
    return bytes(data)


def run(raws: Iterable[bytes], label: str, memory_mb: int | None = None) -> dict:
    """Every mail of ``raws`` (consumed one at a time: 10,000 mutated mails are ~3 GB) through ingest."""
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-mutated-{label}-"))
    db = open_database(f"sqlite:///{tmp / 'smartreturn.db'}")
    env = {"SMARTRETURN_GENERAL__STATE_DIR": str(tmp)}
    if memory_mb is not None:
        env["SMARTRETURN_INGEST__PARSE_MEMORY_MB"] = str(memory_mb)
    settings = load_settings(env=env)
    handler = _Tracebacks()
    logging.getLogger().addHandler(handler)
    retired = _Retired()
    logging.getLogger("smartreturn.guard").addHandler(retired)
    logging.getLogger("smartreturn.guard").setLevel(logging.INFO)
    times: list[float] = []
    cpu: list[float] = []
    escaped, statuses, digests, volume, worker_mb = 0, Counter(), set(), 0, 0.0
    slowest = (0.0, -1)
    read_messages([(b"From: a@b.example\r\nSubject: warm-up\r\n\r\nhi\r\n", "file", "warm-up")], settings)  # worker up
    started = time.perf_counter()
    for index, raw in enumerate(raws):
        digests.add(hashlib.sha256(raw).digest())
        volume += len(raw)
        t0, c0, (pid0, w0), r0 = time.perf_counter(), time.process_time(), _worker_cpu(), retired.count
        try:
            outcome = ingest_bytes(db, raw, Source(kind="file", path=f"{label}/{index}.eml"), settings)
            statuses[outcome.status.value + (" (dup)" if outcome.duplicate else "")] += 1
            if outcome.reason and outcome.reason.startswith("parse timeout"):
                statuses["(of which parse timeout)"] += 1
            if outcome.reason and outcome.reason.startswith("parse memory limit"):
                statuses["(of which parse memory limit)"] += 1
        except Exception:  # noqa: BLE001 - exactly what is being counted
            escaped += 1
            logging.getLogger(__name__).exception("mail %d escaped the pipeline", index)
        took = time.perf_counter() - t0
        pid1, w1 = _worker_cpu()
        # CPU seconds of this mail: ours + the worker's; a worker killed on the limit used the limit
        worker = (w1 - w0) if pid1 == pid0 and pid0 is not None else settings.ingest.parse_timeout + w1
        if retired.count == r0:  # a worker that retired (memory) took its CPU time with it: not counted
            cpu.append(time.process_time() - c0 + worker)
        times.append(took)
        slowest = max(slowest, (took, index))
        if index % 20 == 0 or took > 1.0:  # a worker is replaced after a timeout: sample before it goes
            worker_mb = max(worker_mb, _worker_peak_mb())
    elapsed = time.perf_counter() - started
    logging.getLogger().removeHandler(handler)
    with db.session() as session:
        stored = session.scalar(select(func.count()).select_from(Message))
        # an unexpected exception inside the parse worker is logged there and kept as the reason (its repr)
        reasons = session.scalars(select(Message.status_reason).where(Message.status == "failed")).all()
    handler.count += sum(1 for r in reasons if r and re.search(r"\b\w+(?:Error|Exception)\(", r))
    db.dispose()
    times.sort()
    cpu.sort()
    return {"max cpu s": cpu[-1], "p99 cpu s": cpu[int(len(cpu) * 0.99) - 1],"worker MB": max(worker_mb, _worker_peak_mb(), retired.peak_mb),
            "retired": retired.count, "mails": len(times), "MB": volume / 1e6,
            "not stored": len(digests) - stored, "tracebacks": handler.count, "escaped": escaped,
            "max s": times[-1], "slowest": slowest[1], "p99 s": times[int(len(times) * 0.99) - 1],
            "elapsed s": elapsed, "mails/s": len(times) / elapsed, "statuses": dict(statuses)}


def _worker_cpu() -> tuple[int | None, float]:
    """(pid, CPU seconds so far) of the live parse worker."""
    from smartreturn import guard

    for worker in guard._pool.all:  # noqa: SLF001 - a benchmark looks inside
        if worker.pid is not None:
            return worker.pid, guard._cpu_seconds(worker.pid) or 0.0  # noqa: SLF001
    return None, 0.0


def _worker_peak_mb() -> float:
    """Peak RSS (VmHWM) of the live parse workers (programs started by guard)."""
    from smartreturn import guard

    peak = 0.0
    for worker in guard._pool.all:  # noqa: SLF001 - a benchmark looks inside
        if worker.pid is not None:
            for line in Path(f"/proc/{worker.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
    return peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--memory-mb", type=int, help="ingest.parse_memory_mb (default: the setting's default)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    seeds = [p.read_bytes() for p in sorted(ROOT.rglob("*.eml"))]
    rng = random.Random(args.seed)
    baseline = (b"X-Bench-Seq: %d\r\n" % i + seeds[i % len(seeds)] for i in range(min(args.mails, 2_000)))
    mutated = (mutate(seeds[i % len(seeds)], rng, i) for i in range(args.mails))
    load = os.getloadavg()
    base = run(baseline, "baseline")
    result = run(mutated, "mutated", args.memory_mb)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"load average at start {load[0]:.1f}, at end {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    print(f"baseline (unmutated fixture copies): {base['mails']} mails, max {base['max s']:.3f} s, "
          f"{base['mails/s']:.0f} mails/s, not stored {base['not stored']}, tracebacks {base['tracebacks']}")
    print(f"mutated: {result['mails']} mails ({result['MB']:.0f} MB), seed {args.seed}")
    print(f"  not stored: {result['not stored']}")
    print(f"  tracebacks: {result['tracebacks']} (exceptions out of the pipeline: {result['escaped']})")
    print(f"  max seconds per mail: {result['max s']:.3f} (mail #{result['slowest']}; p99 {result['p99 s']:.3f}); "
          f"{result['mails/s']:.0f} mails/s")
    print(f"  max CPU seconds per mail (this process + parse worker): {result['max cpu s']:.3f} "
          f"(p99 {result['p99 cpu s']:.3f}); wall-clock figures include waiting for a core on a busy machine")
    print(f"  statuses: {result['statuses']}")
    print(f"  peak RSS: {own:.0f} MB this process, {result['worker MB']:.0f} MB parse worker (sampled every 20 mails, "
          f"and the peak of each of the {result['retired']} workers that retired at half the memory limit)")


if __name__ == "__main__":
    main()
