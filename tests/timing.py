"""Time limits in tests that survive a busy machine."""

from __future__ import annotations

import os


def patience() -> float:
    """How much longer than on an idle machine things take right now: the 1-minute load average per
    core, at least 1, at most 4. A test's time limit is what a user may expect on an idle machine (a
    mail stored within 10 s, ...); on a machine busy with other work a process gets only a share of a
    core, so the same limit is scaled by that share instead of failing for reasons outside the product."""
    load = os.getloadavg()[0] / (os.cpu_count() or 1)
    return min(4.0, max(1.0, load))
