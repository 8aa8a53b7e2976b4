"""``smartreturn run`` (the daemon) and ``smartreturn doctor``."""

from __future__ import annotations

import logging

import typer
from rich.markup import escape

from smartreturn import clock
from smartreturn.cli.context import console, settings_of
from smartreturn.daemon.main import exec_daemon
from smartreturn.errors import ConfigError

MARKS = {"ok": "[green]ok[/]   ", "warn": "[yellow]warn[/] ", "error": "[red]error[/]"}


def register(app: typer.Typer) -> None:
    app.command("run")(run_command)
    app.command("doctor")(doctor_command)


def run_command(
    ctx: typer.Context,
    once: bool = typer.Option(False, "--once", help="Fetch what is new in every folder once, then exit."),
) -> None:
    """Run the daemon: IMAP IDLE on every configured folder, scheduled jobs, systemd notify."""
    settings = settings_of(ctx)  # a broken config is reported here, as by every command
    config_path = ctx.find_root().obj.get("config_path")
    # a service says what it does: info by default, -v for debug
    logging.getLogger().setLevel(logging.DEBUG if ctx.find_root().obj.get("verbose") else logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "running upgrade ..." on every start is noise
    if once:
        from smartreturn.daemon import loop
        from smartreturn.notify.reactions import ReactionQueue, react_to_messages

        db = loop.open_store(settings)  # as `run` does
        reactions = ReactionQueue()
        try:
            workers = loop.sync_once(settings, db, reactions)
            react_to_messages(db, settings, reactions.take())  # urgent pushes, due drafts, as `run` does
        finally:
            db.dispose()
        failed = [w for w in workers if w.error is not None]
        for worker in workers:
            console.print(f"{worker.health.label}: {worker.health.ingested} mails ingested"
                          + (f" — [red]{escape(str(worker.error))}[/]" if worker.error else ""), highlight=False)
        raise typer.Exit(1 if failed else 0)

    # the daemon runs for months: it becomes its own lean program (no typer, click, rich, CLI: ~12 MB)
    exec_daemon(config_path, ctx.find_root().obj.get("verbose") or 0, clock.now() if clock.is_pinned() else None)


def doctor_command(
    ctx: typer.Context,
    send_test: bool = typer.Option(False, "--send-test", help="Also send a test notification to every Apprise URL."),
    fix: bool = typer.Option(False, "--fix", help="Create the Drafts folder when it is missing."),
) -> None:
    """Check the config, the database, the running daemon (last contact per folder), every Apprise URL,
    the tracking keys and each IMAP account (login, folders, IDLE, Drafts)."""
    from smartreturn.daemon.doctor import Finding, diagnose

    try:
        settings = settings_of(ctx)
    except ConfigError as exc:
        findings = [Finding("error", "config", str(exc))]
    else:
        findings = diagnose(settings, send_test=send_test, fix=fix)
    for finding in findings:
        console.print(f"{MARKS[finding.level]} {escape(finding.subject)}: {escape(finding.message)}", highlight=False)
    errors = sum(f.level == "error" for f in findings)
    if errors:
        console.print(f"[red]{errors} problem{'s' if errors > 1 else ''} found[/]")
        raise typer.Exit(1)
    console.print("[green]all checks passed[/]")
