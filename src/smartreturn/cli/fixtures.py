"""``smartreturn fixtures generate|check``: parser regression fixtures (see parsers/fixtures.py)."""

from __future__ import annotations

from pathlib import Path

import typer

from smartreturn.parsers import fixtures

fixtures_app = typer.Typer(
    help="Parser regression fixtures: <case>.eml beside <case>.eml.json.",
    no_args_is_help=True,
)


def _root(root: Path | None) -> Path:
    if root is not None:
        return root
    try:
        return fixtures.find_root()
    except FileNotFoundError as exc:
        raise typer.BadParameter(f"{exc}; pass ROOT") from None


@fixtures_app.command("generate")
def generate_cmd(
    paths: list[Path] = typer.Argument(..., exists=True, help=".eml files or folders of them."),
    force: bool = typer.Option(False, "--force", help="Overwrite existing .eml.json files."),
) -> None:
    """Write <case>.eml.json beside each .eml from what the parsers extract now."""
    results = fixtures.generate(paths, force=force)
    refused = 0
    for result in results:
        if result.status == "written":
            typer.echo(f"wrote    {fixtures.expected_path(result.eml)} ({result.parser})")
        elif result.status == "negative":
            typer.echo(f"negative {result.eml}: no records, no .json (a negative case)")
        else:
            refused += 1
            typer.secho(f"exists   {fixtures.expected_path(result.eml)}: not overwritten (use --force)", fg="yellow")
    if refused:
        raise typer.Exit(1)


@fixtures_app.command("check")
def check_cmd(
    root_arg: Path | None = typer.Argument(None, metavar="ROOT", help="Fixtures folder (default: ./fixtures, searched upwards)."),
    root_opt: Path | None = typer.Option(None, "--root", help="Same as ROOT."),
) -> None:
    """Compare every fixture with what the parsers extract now; print unified diffs, exit 1 on any."""
    root = _root(root_arg or root_opt)
    cases = fixtures.fixture_cases(root)
    diffs = fixtures.check(root)
    for diff in diffs:
        typer.echo(diff, nl=not diff.endswith("\n"))
    if diffs:
        typer.secho(f"{len(diffs)} of {len(cases)} fixture(s) differ", fg="red", err=True)
        raise typer.Exit(1)
    typer.secho(f"{len(cases)} fixture(s) match", fg="green", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(fixtures_app, name="fixtures")
