"""``smartreturn service install [--user]``: write the systemd unit for this installation."""

from __future__ import annotations

from pathlib import Path

import typer

from smartreturn.cli.context import console
from smartreturn.errors import ConfigError

service_app = typer.Typer(help="Run SmartReturn as a systemd service.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(service_app, name="service")


@service_app.command("install")
def install(
    user: bool = typer.Option(False, "--user", help="A user service (~/.config/systemd/user), no root needed."),
    config: Path = typer.Option(None, "--service-config",
                                help="Config file the service reads (default: /etc/smartreturn/config.toml; "
                                     "--user: ~/.config/smartreturn/config.toml)."),
    unit_dir: Path = typer.Option(None, "--unit-dir", help="Write the unit into this folder instead."),
    print_only: bool = typer.Option(False, "--print", help="Print the unit instead of writing it."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing unit file."),
) -> None:
    """Write smartreturn.service with ExecStart= pointing at this Python environment (pipx or a venv)."""
    from smartreturn.daemon.service import plan

    unit = plan(user, config.absolute() if config else None, Path.home(), unit_dir=unit_dir)
    if print_only:
        typer.echo(unit.text, nl=False)
        return
    if unit.path.exists() and not force:
        raise ConfigError(f"{unit.path} exists; use --force to overwrite it")
    try:
        unit.path.parent.mkdir(parents=True, exist_ok=True)
        unit.path.write_text(unit.text, encoding="utf-8")
    except PermissionError as exc:
        raise ConfigError(f"cannot write {unit.path}: {exc.strerror} (the system unit needs root: sudo, or --user)") from None
    console.print(f"wrote {unit.path}\nnext: {unit.next_steps}", highlight=False, markup=False)
