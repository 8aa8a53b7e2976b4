"""``smartreturn fixtures generate|check``: parser regression fixtures (see parsers/fixtures.py)."""

from __future__ import annotations

from pathlib import Path

import typer


fixtures_app = typer.Typer(
    help="Parser regression fixtures: <case>.eml beside <case>.eml.json.",
    no_args_is_help=True,
)


def _root(root: Path | None) -> Path:
    from smartreturn.parsers import fixtures  # the parsers: only for these commands

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
    from smartreturn.parsers import fixtures  # the parsers: only for these commands

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
    from smartreturn.parsers import fixtures  # the parsers: only for these commands

    root = _root(root_arg or root_opt)
    cases = fixtures.fixture_cases(root)
    diffs = fixtures.check(root)
    for diff in diffs:
        typer.echo(diff, nl=not diff.endswith("\n"))
    if diffs:
        typer.secho(f"{len(diffs)} of {len(cases)} fixture(s) differ", fg="red", err=True)
        raise typer.Exit(1)
    typer.secho(f"{len(cases)} fixture(s) match", fg="green", err=True)


@fixtures_app.command("score")
def score_cmd(
    folders: list[Path] = typer.Argument(..., exists=True, help="Folders of real samples (<case>.eml|.txt + .json)."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures (and every failed check) as JSON."),
    failures: bool = typer.Option(False, "--failures", help="List every failed check."),
) -> None:
    """Field accuracy (kind, order number, tracking number, carrier, pickup code) per kind, language and parser."""
    from smartreturn.cli.context import print_json
    from smartreturn.parsers.score import score_folder

    result = score_folder(folders)
    if as_json:
        print_json(result.as_dict())
        return
    for dimension in ("kind", "language", "parser", "field"):
        typer.echo(f"by {dimension}:")
        for key, (passed, total) in result.by(dimension).items():
            typer.echo(f"  {_safe(key):<24} {passed:>5}/{total:<5} {_pct(passed, total)}")
    for sample in result.samples:
        if sample.error:
            typer.secho(f"error    {sample.path}: {_safe(sample.error)}", fg="yellow", err=True)
    if failures:
        for sample in result.samples:
            for check in sample.checks:
                if not check.passed:
                    typer.echo(f"miss     {sample.path} [{check.kind}] {check.field}: expected "
                               f"{_safe(check.expected)!r}, got {_safe(check.actual or '-')!r}")
    extra = sum(s.extra for s in result.samples)
    typer.echo(f"fields: {result.passed}/{result.total} {_pct(result.passed, result.total)} over "
               f"{len(result.samples)} samples ({extra} extra records)")


def _pct(passed: int, total: int) -> str:
    return f"{100 * passed / total:5.1f} %" if total else "    - "


def _safe(text: str) -> str:
    """Mail text on a terminal: control characters (escape sequences) shown, not obeyed."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in str(text))


def register(app: typer.Typer) -> None:
    app.add_typer(fixtures_app, name="fixtures")
