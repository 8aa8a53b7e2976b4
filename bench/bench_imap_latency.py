"""Benchmark: arrival -> stored latency over IMAP IDLE, p50/p95 over 200 mails (local Dovecot).

The daemon loop runs in-process (as `smartreturn run` does) against a fresh Dovecot and SQLite file.
Each mail is APPENDed by a second client; its latency is the time until its row is in the database.
Baseline, measured on the same APPENDs: a bare imapclient IDLE client on the same folder, timed until
it sees the EXISTS response, i.e. the server's own notification delay (Dovecot waits about 0.5 s),
which no client can beat.

Arrivals: by default each mail is APPENDed a random 0-1 s after the previous one was stored, as real
mail arrives independently of the daemon. ``--back-to-back`` APPENDs the next mail the moment the
previous one is stored, i.e. exactly when the daemon re-enters IDLE: that hits Dovecot's notification
race (a mail delivered while IDLE starts is not announced) far more often than real traffic would.

    .venv/bin/python bench/bench_imap_latency.py [--mails 200] [--back-to-back]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from imapclient import IMAPClient
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test fixtures live in tests/

from smartreturn.config import load_settings  # noqa: E402
from smartreturn.daemon import loop  # noqa: E402
from smartreturn.store.db import open_database  # noqa: E402
from smartreturn.store.tables import ImapFolderState, Message  # noqa: E402
from tests.daemon.conftest import write_config  # noqa: E402
from tests.daemon.mails import order_mail  # noqa: E402
from tests.servers.dovecot import DovecotServer  # noqa: E402


class RawIdler(threading.Thread):
    """The floor: a bare IDLE client that records when each EXISTS arrives."""

    def __init__(self, host: str, port: int, user: str, password: str) -> None:
        super().__init__(daemon=True)
        self.client = IMAPClient(host, port=port, ssl=False)
        self.client.login(user, password)
        self.client.select_folder("INBOX", readonly=True)
        self.seen: list[tuple[int, float]] = []  # (message count announced, monotonic time)
        self.stop = threading.Event()
        self.client.idle()

    def run(self) -> None:
        while not self.stop.is_set():
            for response in self.client.idle_check(timeout=0.2):
                if len(response) > 1 and response[1] == b"EXISTS":
                    self.seen.append((int(response[0]), time.monotonic()))

    def announced(self, count: int) -> float | None:
        return next((when for n, when in self.seen if n >= count), None)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=200)
    parser.add_argument("--back-to-back", action="store_true", help="no gap between stored and next APPEND")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    server = DovecotServer()
    server.start()
    workdir = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    try:
        mailbox = server.new_mailbox("bench")
        settings = load_settings(write_config(workdir, [mailbox.account_settings(poll_interval=3600)]), env={})
        db = open_database(settings.database_url)
        stop = threading.Event()
        daemon = threading.Thread(target=loop.run, args=(settings, stop), kwargs={"db": db}, daemon=True)
        daemon.start()
        while True:  # the daemon has connected once it has written the folder's cursor
            with db.session() as session:
                if session.scalar(select(ImapFolderState.id)) is not None:
                    break
            time.sleep(0.01)
        raw = RawIdler(mailbox.host, mailbox.port, mailbox.user, mailbox.password)
        raw.start()

        appender = mailbox.client()
        daemon_ms: list[float] = []
        raw_ms: list[float] = []
        raw_missed = 0
        rng = random.Random(args.seed)
        for n in range(1, args.mails + 1):
            if not args.back_to_back:
                time.sleep(rng.uniform(0, 1))
            sent = time.monotonic()
            appender.append("INBOX", order_mail(n, tag="lat"))
            while True:
                with db.session() as session:
                    if session.scalar(select(func.count(Message.id))) >= n:
                        break
                if time.monotonic() - sent > 300:
                    raise SystemExit(f"mail {n} was not stored within 300 s")
                time.sleep(0.002)
            daemon_ms.append((time.monotonic() - sent) * 1000)
            while raw.announced(n) is None and time.monotonic() - sent < 10:
                time.sleep(0.002)
            announced = raw.announced(n)
            if announced is None:
                raw_missed += 1  # Dovecot never told the bare client within 10 s
            else:
                raw_ms.append((announced - sent) * 1000)
        stop.set()
        raw.stop.set()
        daemon.join(30)
    finally:
        server.cleanup()

    arrivals = "back to back" if args.back_to_back else "random 0-1 s gaps"
    print(f"arrival -> stored over IDLE, {args.mails} mails, {arrivals} (local Dovecot, SQLite)")
    print(f"  daemon  : p50 {percentile(daemon_ms, 50):7.1f} ms   p95 {percentile(daemon_ms, 95):7.1f} ms   "
          f"max {max(daemon_ms):7.1f} ms")
    print(f"  baseline: p50 {percentile(raw_ms, 50):7.1f} ms   p95 {percentile(raw_ms, 95):7.1f} ms   "
          f"(bare IDLE client: APPEND -> EXISTS seen; {raw_missed} mails never announced to it within 10 s)")


if __name__ == "__main__":
    main()
