"""Instructions per body of the tracking-number detector, load-independent (run under valgrind).

Runs ``detect()`` over the first K of 400 bodies of ``bench_detect.corpus`` after the same set-up, so
that the difference of two runs divided by K is the detector's cost per body:

    for k in 400 0; do PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python bench/detect_instructions.py $k 2>&1 | grep Collected; done
    # (first - second) / 400 = instructions per body
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_detect import corpus  # noqa: E402

from smartreturn.tracking.detect import detect  # noqa: E402


def main() -> None:
    bodies, _planted = corpus(400)
    detect(bodies[0] + "#warm-up")
    found = sum(len(detect(body + "#0")) for body in bodies[: int(sys.argv[1])])
    print("found", found)


if __name__ == "__main__":
    main()
