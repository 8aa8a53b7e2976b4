"""The daemon's own program: what ``smartreturn run`` becomes (``os.execv``) once its options are read.

The ``smartreturn`` command holds every CLI command, typer, click and rich: ~12 MB that a process which
runs for months never uses. ``run`` therefore replaces itself with this module (same PID, so systemd's
``Type=notify``, ``$MAINPID`` and the watchdog are unchanged), which reads the few options it is given
with ``argparse`` and runs the loop. ``python -m smartreturn.daemon.main --help`` lists them.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import datetime, timezone

from smartreturn import clock, logsafe
from smartreturn.child import python_env
from smartreturn.config import Settings, load_settings
from smartreturn.errors import SmartReturnError

log = logging.getLogger("smartreturn.daemon")

MODULE = "smartreturn.daemon.main"


def command(config_path: str | None, verbose: int, now: datetime | None) -> list[str]:
    """The argv that runs this program with the options ``smartreturn run`` was given."""
    argv = [sys.executable, "-m", MODULE]
    if config_path:
        argv += ["--config", config_path]
    if verbose:
        argv += ["--verbose"] * verbose
    if now is not None:
        argv += ["--now", now.isoformat()]
    return argv


def exec_daemon(config_path: str | None, verbose: int, now: datetime | None) -> None:
    """Replace this process with the daemon program (never returns)."""
    argv = command(config_path, verbose, now)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, python_env())  # the same code, also from a source checkout


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="smartreturn run", description="The SmartReturn daemon (IMAP IDLE, "
                                     "scheduled jobs, systemd notify). Usually started as `smartreturn run`.")
    parser.add_argument("--config", "-c", default=None, help="config file (default: $SMARTRETURN_CONFIG, then the XDG config dir)")
    parser.add_argument("--verbose", "-v", action="count", default=0, help="debug logging")
    parser.add_argument("--now", default=os.environ.get("SMARTRETURN_NOW") or None, help="act as if it were this moment (ISO date-time)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    # a service says what it does: info by default, -v for debug
    logsafe.log_to_stderr(logging.DEBUG if args.verbose else logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "running upgrade ..." on every start is noise
    try:
        if args.now:
            moment = datetime.fromisoformat(args.now)
            clock.pin(moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc))
        settings = load_settings(args.config)
        logsafe.remember(settings)
        run(settings, args.config)
    except SmartReturnError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def run(settings: Settings, config_path: str | None) -> None:
    """IMAP IDLE on every configured folder and the scheduled jobs until SIGTERM; SIGHUP reloads the config."""
    from smartreturn.daemon import loop

    stop = threading.Event()
    reload_requested = threading.Event()
    wakeup = threading.Event()  # the main loop's wait ends at once on a signal

    def _stop(signum: int, _frame: object) -> None:
        log.info("got %s", signal.Signals(signum).name)
        stop.set()
        wakeup.set()

    def _reload_requested(_signum: int, _frame: object) -> None:
        reload_requested.set()
        wakeup.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGHUP, _reload_requested)

    def _reload() -> Settings:
        fresh = load_settings(config_path)
        logsafe.remember(fresh)  # the new config's secrets are masked before the workers use them
        return fresh

    # migrated (in a child process) before the web thread opens the store too
    db = loop.open_store(settings)
    web = None
    try:
        if settings.web.enabled:  # [web] enabled = true: the dashboard and API in a thread beside the loop
            from smartreturn.web.server import Background

            web = Background(settings).start()
        loop.run(settings, stop, reload=_reload, reload_requested=reload_requested, wakeup=wakeup, db=db)
    finally:
        if web is not None:
            web.stop()
        db.dispose()


if __name__ == "__main__":
    sys.exit(main())
