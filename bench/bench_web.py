"""Benchmark: the web dashboard and REST API on 10,000 open return cases (SQLite file).

Store: the one of bench/bench_agenda.py (40,000 orders, 10,000 open return cases with a return
parcel each, 20,000 refunded cases as history). The app runs as ``smartreturn web`` (uvicorn, one
process) on 127.0.0.1, as a user runs it; timings are request round trips over loopback measured by
the clients (an upper bound of the server-side time).

- Today and Returns (page 1 of the open cases, most urgent first): the first request of a store nobody
  built the agenda for pays ``build_agenda()``; a new web process then reads the agenda that process
  stored (apply/agenda_cache.py: what the daemon or a command leaves) while it starts (web/warmup.py;
  its start-up time, process start until it serves, is printed); later requests reuse it while the
  store is unchanged (p50, p95 of 20).
- API list endpoints: 20 concurrent clients, 25 requests each, round-robin over /returns, /orders,
  /shipments, /deadlines, /agenda (limit 50, random offsets); p50 / p95 / max latency. Each client is
  a process of its own (stdlib http.client, one keep-alive connection), so that the clients neither
  share the server's interpreter nor one another's: the figure is the server's, not a client's GIL.
  The server's and the clients' CPU time per request are printed too (what runs where).

Baselines, measured in the same run on the same file and server:
- a raw sqlite3 read of the 10,000 open cases with their orders, rendered as HTML rows with f-strings
  and html.escape (no framework, no rules);
- the same 20 clients fetching a static file (/static/app.css) from the same server: the floor of
  HTTP, uvicorn and the framework on this machine, with no store and no token.

    .venv/bin/python bench/bench_web.py [--open 10000] [--clients 20] [--requests 25]
"""

from __future__ import annotations

import argparse
import html
import http.client
import multiprocessing
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_agenda import NOW, build  # noqa: E402  (the same store as the agenda benchmark)

from smartreturn.store.db import open_database  # noqa: E402
from smartreturn.web.auth import SESSION_COOKIE, start_session  # noqa: E402
from smartreturn.web.tokens import create_token  # noqa: E402


def baseline(path: Path) -> float:
    start = time.perf_counter()
    con = sqlite3.connect(path)
    rows = con.execute("SELECT c.id, o.platform, o.order_number, c.status, c.reason_category, c.expected_refund, "
                       "c.currency, c.requested_at FROM return_cases c JOIN orders o ON o.id = c.order_id "
                       "WHERE c.status NOT IN ('refunded', 'rejected', 'cancelled', 'exchange_delivered') "
                       "ORDER BY c.requested_at DESC").fetchall()
    body = "".join(f"<tr><td>r{r[0]}</td><td>{html.escape(str(r[1]))} {html.escape(str(r[2]))}</td>"
                   f"<td>{html.escape(str(r[3]))}</td><td>{html.escape(str(r[4]))}</td><td>{r[5]} {r[6]}</td>"
                   f"<td>{r[7]}</td></tr>" for r in rows)
    con.close()
    assert body
    return time.perf_counter() - start


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(client: httpx.Client, path: str, **kwargs) -> float:
    start = time.perf_counter()
    response = client.get(path, **kwargs)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return elapsed


API_LISTS = "returns,orders,shipments,deadlines,agenda"


def client_process(port: int, token: str | None, paths: list[str], start, results) -> None:
    """One API client: its own process and keep-alive connection; waits for the others, then times
    each request from sending it to having read the whole answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    connection.request("GET", paths[0], headers=headers)  # connect and warm up outside the timing
    connection.getresponse().read()
    start.wait()
    cpu = time.process_time()
    latencies = []
    for path in paths:
        began = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        latencies.append(time.perf_counter() - began)
        if response.status != 200:
            results.put(f"{path}: {response.status} {body[:300]!r}")
            return
    results.put((latencies, time.process_time() - cpu))


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def concurrent_run(port: int, token: str | None, plans: list[list[str]], server_pid: int) -> dict[str, float]:
    """Every plan in a client process of its own, all started at once; latencies and CPU per request."""
    context = multiprocessing.get_context("fork")  # a client needs nothing of this process but its code
    start, results = context.Barrier(len(plans) + 1), context.Queue()
    clients = [context.Process(target=client_process, args=(port, token, plan, start, results)) for plan in plans]
    for client in clients:
        client.start()
    start.wait()
    began, server_began = time.perf_counter(), server_cpu(server_pid)
    batches = [results.get(timeout=600) for _ in clients]
    wall, server = time.perf_counter() - began, server_cpu(server_pid) - server_began
    for client in clients:
        client.join()
    failed = [batch for batch in batches if isinstance(batch, str)]
    if failed:
        raise SystemExit(f"{len(failed)} clients got an error, e.g. {failed[0]}")
    latencies = [x for batch, _ in batches for x in batch]
    return {"p50": statistics.median(latencies), "p95": percentile(latencies, 95), "max": max(latencies),
            "rate": len(latencies) / wall, "server_cpu": server / len(latencies),
            "client_cpu": sum(cpu for _, cpu in batches) / len(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=25)
    parser.add_argument("--port", type=int, default=8797)
    parser.add_argument("--lists", default=API_LISTS, help="the API lists to ask, round-robin (comma-separated)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        build(path, args.open, 20_000, 40_000)
        url = f"sqlite:///{path}"
        db = open_database(url)
        with db.session() as session:
            cookie, _ = start_session(session, "bench", NOW, 24)
            token = create_token(session, "bench", ("read",), NOW)
        db.dispose()
        config = Path(tmp) / "config.toml"
        config.write_text(f'[general]\ntimezone = "Europe/Berlin"\n[database]\nurl = "{url}"\n'
                          f'[web]\nport = {args.port}\n', encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTRETURN_")}
        env.update(SMARTRETURN_CONFIG=str(config), SMARTRETURN_NOW=NOW.isoformat())
        base = f"http://127.0.0.1:{args.port}"

        started: list[float] = []

        def start() -> subprocess.Popen:
            began = time.perf_counter()
            process = subprocess.Popen([sys.executable, "-m", "smartreturn", "web"], env=env)
            for _ in range(3000):
                try:
                    httpx.get(base + "/login", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.02)
            started.append(time.perf_counter() - began)
            return process

        server = start()
        try:
            with httpx.Client(base_url=base, cookies={SESSION_COOKIE: cookie}, timeout=60) as browser:
                cold = timed(browser, "/")  # nobody built the agenda yet: this request builds and stores it
            server.terminate()
            server.wait(timeout=30)
            server = start()  # a new web process: the agenda another process built is in the store
            with httpx.Client(base_url=base, cookies={SESSION_COOKIE: cookie}, timeout=60) as browser:
                first = timed(browser, "/")
                today = [timed(browser, "/") for _ in range(20)]
                returns = [timed(browser, "/returns") for _ in range(20)]
                last_page = timed(browser, "/returns", params={"page": 200})
            rng = random.Random(5)
            paths = [f"/api/v1/{name}" for name in args.lists.split(",")]
            plans = [[f"{paths[(n + i) % len(paths)]}?limit=50&offset={rng.randrange(0, 5000, 50)}"
                      for i in range(args.requests)] for n in range(args.clients)]
            static = [["/static/app.css"] * args.requests for _ in range(args.clients)]
            floor_run = concurrent_run(args.port, None, static, server.pid)
            api = concurrent_run(args.port, token, plans, server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
        floor = min(baseline(path) for _ in range(3))
        ms = lambda s: f"{s * 1000:.0f} ms"  # noqa: E731
        print(f"open cases: {args.open}")
        print(f"Today, first request of a store nobody built the agenda for (build_agenda): {ms(cold)}")
        print(f"start-up of that new web process (until it serves; it reads the stored agenda first): {ms(started[1])}")
        print(f"Today, first request of a new web process after another process built it: {ms(first)}")
        print(f"Today, agenda unchanged: p50 {ms(statistics.median(today))}, p95 {ms(percentile(today, 95))}")
        print(f"Returns page 1 (priority order): p50 {ms(statistics.median(returns))}, "
              f"p95 {ms(percentile(returns, 95))}; last page {ms(last_page)}")
        print(f"baseline (raw sqlite3 + f-string rows of the open cases): {ms(floor)}")
        for name, run in ((f"API lists ({args.lists})", api),
                          ("baseline: static file from the same server", floor_run)):
            print(f"{name}, {args.clients} concurrent clients x {args.requests}: p50 {ms(run['p50'])}, "
                  f"p95 {ms(run['p95'])}, max {ms(run['max'])}, {run['rate']:.0f} requests/s; CPU per request: "
                  f"server {run['server_cpu'] * 1000:.2f} ms, client {run['client_cpu'] * 1000:.2f} ms")

if __name__ == "__main__":
    main()
