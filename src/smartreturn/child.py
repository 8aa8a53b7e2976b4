"""Short helper programs the daemon starts: the same Python, the same import path, and death with the daemon.

Some work is kept out of the long-running process because of what it would leave there for months
(Apprise and its plugins: ~4 MB; the holidays package: ~11 MB; the parse worker: see guard.py). Such a
program is ``python -m module`` (or ``-c``) with this process's ``sys.path`` (it finds the same code, also
from a source checkout); :func:`run_json` runs one that answers with a JSON object on stdout.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def python_env() -> dict[str, str]:
    """The environment for a child Python that imports exactly what this process imports."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))


def die_with_parent(parent: int) -> None:
    """Linux: this process gets SIGKILL when ``parent`` ends (even mid-regex), and ends now if it already
    has. The signal is tied to the thread that started the child: that thread must outlive it."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the child ends when its pipe does
        return
    if os.getppid() != parent:  # the parent ended before the signal was asked for
        os._exit(1)


def run_json(args: list[str], *, what: str, error: type[Exception], timeout: float, stdin: bytes | None = None,
             detail: Callable[[str], str] | None = None) -> tuple[dict[str, Any], str]:
    """Run ``python *args`` and return its JSON object (stdout) and its error output. When there is no
    answer, ``error`` names why: not started, no answer within ``timeout`` s, a failed exit (with
    ``detail(stderr)``: by default its last line), or output that is not a JSON object."""
    started = time.monotonic()
    feed: dict[str, Any] = {"input": stdin} if stdin is not None else {"stdin": subprocess.DEVNULL}
    try:
        done = subprocess.run([sys.executable, *args], env=python_env(), capture_output=True, timeout=timeout,
                              check=False, **feed)
    except subprocess.TimeoutExpired:
        raise error(f"the {what} gave no answer within {timeout:.0f} s") from None
    except OSError as exc:
        raise error(f"the {what} could not be started: {exc}") from exc
    stderr = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0:
        lines = stderr.strip().splitlines()
        why = detail(stderr) if detail is not None else (lines[-1] if lines else "")
        raise error(f"the {what} failed with exit status {done.returncode}: {why or 'no error output'}")
    try:
        answer = json.loads(done.stdout)
    except ValueError as exc:
        raise error(f"the {what} gave an answer that is not JSON: {exc}") from exc
    if not isinstance(answer, dict):
        raise error(f"the {what} gave an answer that is not a JSON object")
    log.debug("%s answered in %.2f s", what, time.monotonic() - started)
    return answer, stderr
