"""Short helper programs the daemon starts: the same Python, the same import path, and death with the daemon.

Some work is kept out of the long-running process because of what it would leave there for months
(Apprise and its plugins: ~4 MB; the parse worker: see guard.py). Such a program is ``python -m module``
with this process's ``sys.path`` (it finds the same code, also from a source checkout).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

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
