"""The ``smartreturn`` command. Each area registers its commands from its own module.

Modules are listed explicitly (like the parser registry); each exposes ``register(app)``.
"""

from __future__ import annotations

import importlib
import logging
import sys

import typer

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
)


@app.callback()
def _root(
    ctx: typer.Context,
    config: str = typer.Option(None, "--config", "-c", help="Config file (default: $SMARTRETURN_CONFIG, then the XDG config dir)."),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More logging (-v info, -vv debug)."),
) -> None:
    ctx.obj = {"config_path": config}
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr, force=True)


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def main() -> None:
    try:
        app()
    except SmartReturnError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise SystemExit(2) from None
