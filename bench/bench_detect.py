"""Benchmark: the tracking-number detector over mail bodies, in numbers found per second.

Corpus: generated mail bodies (English, German, Chinese shipping-mail wording, ~330 characters each) that each
hold two or three tracking numbers (the reference data's valid test numbers, spaced forms included,
and Chinese waybills) among order numbers, phone numbers, dates and prices. Every body is distinct,
so the detector's per-text cache never hits. Times are CPU times of this process
(time.process_time): on a machine shared with other jobs, wall-clock rates swing with their load.

Baselines, measured in the same run on the same bodies: the detector of commit a6e41e2 (before the
reference data; loaded from git), and a plain regex scan that only lists the
alphanumeric tokens of 10-40 characters (what any detector has to read at least), no formats,
no check digits, no context.

    .venv/bin/pip install -e '.[bench]'   # the baseline detector's tracking-numbers package
    .venv/bin/python bench/bench_detect.py [--bodies 3000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from smartreturn.tracking import refdata
from smartreturn.tracking.carriers import all_carriers
from smartreturn.tracking.detect import detect

_TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{10,40}(?![A-Za-z0-9])")

_CN = [("中通快递", "73512345678901"), ("顺丰速运", "SF1402345678901"), ("圆通速递", "YT7512345678901"),
       ("申通快递", "268012345678"), ("韵达快递", "4312345678901"), ("极兔速递", "JT3012345678901"),
       ("中国邮政EMS", "5012345678901"), ("京东物流", "JDX012345678901")]

_EN = ("Hello {name},\n\nGood news! Your order #{order} has shipped and is on its way. {carrier} tracking number: "
       "{number}\nEstimated delivery: {date}. Items: 2 x Cotton T-Shirt (Size M) ${price}\n"
       "Questions? Call us at +1 (555) {phone} or reply to this e-mail. Order total: ${price}\n"
       "You can also track it here: https://example.com/orders/{order}?ref=mail\n\nAlso in this shipment, "
       "{carrier2} parcel {number2}.\nThank you for shopping with us!\nCustomer number {customer}\n")
_DE = ("Hallo {name},\n\nIhre Bestellung {order} vom {date} ist unterwegs. Sendungsnummer ({carrier}): {number}\n"
       "Rechnungsbetrag: {price} EUR, Kundennummer {customer}. Bei Fragen: Tel. 0800 {phone} 12\n"
       "Eine weitere Sendung folgt mit {carrier2}: {number2}\nViele Grüße, Ihr Shop-Team\n")
_ZH = ("【{carrier}】您的订单{order}已发货，运单号：{number}，预计{date}送达。客服电话13812345678。"
       "您购买的商品（{customer}）共2件，合计¥{price}。另一个包裹由{carrier2}配送，运单号{number2}。\n")


def _numbers() -> list[tuple[str, str]]:
    """(carrier name, number) pairs: every reference valid number with its carrier, plus Chinese ones."""
    pairs = []
    for definition in refdata.definitions():
        for number in definition.valid:
            norm = refdata.normalise(number)
            owner = next((c for c in all_carriers() for f in c.formats
                          if f.definition is definition and f.match(norm) is not None), None)
            pairs.append((owner.name_en if owner else "Post", number.strip()))
    return pairs + _CN * 4


def corpus(count: int, seed: int = 7) -> tuple[list[str], int]:
    rng = random.Random(seed)
    numbers = _numbers()
    bodies, planted = [], 0
    for i in range(count):
        (carrier, number), (carrier2, number2) = rng.choice(numbers), rng.choice(numbers)
        template = (_EN, _DE, _ZH)[i % 3]
        bodies.append(template.format(
            name=rng.choice(["Alex", "Kim", "王先生"]), order=rng.randrange(10**11, 10**15), carrier=carrier,
            number=number, carrier2=carrier2, number2=number2, date=f"2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
            price=f"{rng.randrange(5, 500)}.{rng.randrange(100):02d}", phone=f"{rng.randrange(1000, 9999)}",
            customer=rng.randrange(10**9, 10**12),
        ) + f"\n-- mail {i}\n")
        planted += 1 if refdata.normalise(number) == refdata.normalise(number2) else 2
    return bodies, planted


OLD_COMMIT = "a6e41e2"  # the detector before the reference data (tracking-numbers 0.1.8 checks)


def old_detector(commit: str = OLD_COMMIT):  # noqa: ANN201 - a module's function
    """The detector of ``commit``, loaded from git beside the current one (imports renamed)."""
    root = Path(__file__).resolve().parent.parent
    folder = Path(tempfile.mkdtemp(prefix="old_detect_"))
    for name in ("carriers", "checkdigits", "detect"):
        source = subprocess.run(["git", "-C", str(root), "show", f"{commit}:src/smartreturn/tracking/{name}.py"],
                                check=True, capture_output=True, text=True).stdout
        for other in ("carriers", "checkdigits", "detect"):
            source = source.replace(f"smartreturn.tracking.{other}", f"old_{other}")
        (folder / f"old_{name}.py").write_text(source, encoding="utf-8")
    sys.path.insert(0, str(folder))
    import old_detect  # type: ignore[import-not-found]

    return old_detect.detect


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bodies", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    bodies, planted = corpus(args.bodies)
    old = old_detector()
    detect(bodies[0])  # warm-up: definitions loaded, regexes compiled
    old(bodies[0])
    best = floor = before = float("inf")
    found = tokens = found_before = 0
    for r in range(args.rounds):
        salted = [f"{b}#{r}" for b in bodies]  # new texts every round: no cache hits
        t0 = time.process_time()
        tokens = sum(1 for b in salted for _ in _TOKEN.finditer(b))
        floor = min(floor, time.process_time() - t0)
        t0 = time.process_time()
        found_before = sum(len(old(b)) for b in salted)
        before = min(before, time.process_time() - t0)
        t0 = time.process_time()
        found = sum(len(detect(b)) for b in salted)
        best = min(best, time.process_time() - t0)
    size = sum(map(len, bodies)) / len(bodies)
    print(f"{len(bodies)} bodies (avg {size:,.0f} chars), {planted} tracking numbers planted, {found} found; best of {args.rounds}")
    print(f"detector: {found / best:,.0f} numbers/s, {len(bodies) / best:,.0f} bodies/s ({best:.3f} s)")
    print(f"baseline old detector ({OLD_COMMIT}): {found_before} found, {found_before / before:,.0f} numbers/s, "
          f"{len(bodies) / before:,.0f} bodies/s ({before:.3f} s)")
    print(f"baseline plain token scan: {tokens / floor:,.0f} tokens/s, {len(bodies) / floor:,.0f} bodies/s ({floor:.3f} s); "
          f"ratio {best / floor:.1f}x the scan's time")


if __name__ == "__main__":
    main()
