"""Benchmark: parse the whole fixture corpus 20 times (decode + forward unwrap + all parsers).

Floor, measured in the same run on the same mails: the stdlib alone (`email.message_from_bytes` with
the default policy, then the decoded text of the preferred body part), nothing else.

    .venv/bin/python bench/bench_parse.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import email
import email.policy
import time
from pathlib import Path

from smartreturn.mail.decode import parse_email
from smartreturn.parsers.registry import extract, load_parsers

ROOT = Path(__file__).resolve().parent.parent / "fixtures"


def stdlib_floor(raws: list[bytes]) -> None:
    for raw in raws:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain", "html"))
        if body is not None:
            try:
                body.get_content()
            except (LookupError, ValueError):
                pass


def full(raws: list[bytes]) -> int:
    records = 0
    for raw in raws:
        records += len(extract(parse_email(raw)).events)
    return records


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    raws = [p.read_bytes() for p in sorted(ROOT.rglob("*.eml"))]
    load_parsers()
    # warm-up: imports and compilation, including what is built on first use (the CSS selectors of the
    # Shopify parser, ~0.4 s; the lexicon automata): one pass over every mail, as the parse worker
    # warms up before its first mail (smartreturn/parse_warmup.py)
    full(raws)
    stdlib_floor(raws)
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(args.rounds):
        stdlib_floor(raws)
    floor, floor_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(args.rounds):
        records = full(raws)
    elapsed, elapsed_cpu = time.perf_counter() - t0, time.process_time() - c0
    n = len(raws) * args.rounds
    print(f"{len(raws)} fixture mails x {args.rounds} rounds, {len(load_parsers())} parsers, {records} records per round")
    print(f"smartreturn parse: {n / elapsed:,.0f} mails/s ({elapsed:.2f} s); "
          f"stdlib-only floor: {n / floor:,.0f} mails/s ({floor:.2f} s); ratio {elapsed / floor:.1f}x the floor's time")
    # CPU time of this process: on a machine shared with other jobs, wall-clock ratios swing with their load
    print(f"CPU time: parse {elapsed_cpu:.2f} s, floor {floor_cpu:.2f} s; ratio {elapsed_cpu / floor_cpu:.2f}x")


if __name__ == "__main__":
    main()
