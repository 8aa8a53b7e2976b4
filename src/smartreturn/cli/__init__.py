"""The ``smartreturn`` command. Each area registers its commands from its own module.

Modules are listed explicitly (like the parser registry); each exposes ``register(app)``.
"""

from __future__ import annotations

import importlib
import logging
from datetime import datetime, timezone

import typer
from dateutil import parser as dateparser

from smartreturn import clock, logsafe
from smartreturn.errors import SmartReturnError

app = typer.Typer(
    name="smartreturn",
    help="Track online-shopping returns, refunds and deadlines from forwarded mail.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

COMMAND_MODULES: tuple[str, ...] = (
    "smartreturn.cli.core",       # init, ingest, parse, reparse, list, show, return add/update
    "smartreturn.cli.stats",      # stats (tables, --json, --csv, --chart, --html)
    "smartreturn.cli.notify",     # digest --preview/--send, draft CASE
    "smartreturn.cli.parsers",    # parsers list / health (drift alarm)
    "smartreturn.cli.fixtures",   # fixtures generate / check
    "smartreturn.cli.add_text",   # add-text (pasted SMS)
    "smartreturn.cli.agenda",     # agenda [--by-priority] [--json] (also list --by-priority)
    "smartreturn.cli.daemon",     # run (the IMAP daemon), doctor
    "smartreturn.cli.tracking",   # track [--all] [--json], track add, shipments
    "smartreturn.cli.deadlines",  # deadlines [--all] [--json]
    "smartreturn.cli.service",    # service install [--user]
    "smartreturn.cli.web",        # web (dashboard + REST API), web-password, token create/list/revoke
)


@app.callback()
def _root(
    ctx: typer.Context,
    config: str = typer.Option(None, "--config", "-c", help="Config file (default: $SMARTRETURN_CONFIG, then the XDG config dir)."),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True,
                                help="More logging (-v info, -vv debug); `run` logs at info by default, -v debug."),
    now: str = typer.Option(None, "--now", envvar="SMARTRETURN_NOW", show_envvar=True,
                            help="Act as if it were this moment (ISO date or date-time, UTC when no zone is given): "
                                 "agenda, deadlines, digest, draft, list, show and shipments see that day."),
) -> None:
    ctx.obj = {"config_path": config, "verbose": verbose}
    from smartreturn.cli.context import fit_output

    fit_output()
    if now:
        ctx.with_resource(clock.pinned(parse_now(now)))  # back to the clock it was when the command ends
    level = logging.WARNING - 10 * min(verbose, 2)
    logsafe.log_to_stderr(level)  # every configured secret is masked in every logger's lines (settings_of adds them)


def parse_now(value: str) -> datetime:
    """``--now`` / ``$SMARTRETURN_NOW``: a date (midnight) or a date-time; without a zone it is UTC."""
    try:
        parsed = dateparser.isoparse(value)
    except (ValueError, OverflowError):
        raise typer.BadParameter(f"not an ISO date or date-time: {value!r}", param_hint="--now / SMARTRETURN_NOW") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def main() -> None:
    try:
        app()
    except SmartReturnError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise SystemExit(2) from None
