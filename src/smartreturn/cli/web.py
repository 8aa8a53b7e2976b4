"""``smartreturn web``, ``smartreturn web-password`` and ``smartreturn token create|list|revoke``."""

from __future__ import annotations

import typer
from rich.table import Table

from smartreturn import clock
from smartreturn.cli.context import cell, console, database_of, print_json, settings_of

token_app = typer.Typer(help="Bearer tokens for the REST API, SMS/mail intake and the calendar feed.",
                        no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("web")(web)
    app.command("web-password")(web_password)
    app.add_typer(token_app, name="token")


def web(
    ctx: typer.Context,
    host: str = typer.Option(None, "--host", help="Address to listen on (default: [web] host, 127.0.0.1)."),
    port: int = typer.Option(None, "--port", help="Port (default: [web] port, 8080)."),
) -> None:
    """Serve the dashboard and the REST API (http://127.0.0.1:8080 by default)."""
    from smartreturn.web.server import serve

    settings = settings_of(ctx)
    console.print(f"SmartReturn web on http://{host or settings.web.host}:{port or settings.web.port}  (Ctrl+C stops)",
                  highlight=False)
    serve(settings, host=host, port=port)


def web_password(
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True,
                                 help="The password (asked for when not given)."),
) -> None:
    """Print the argon2 hash of a sign-in password, for [web] password_hash."""
    from smartreturn.web.auth import hash_password

    typer.echo(hash_password(password))


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="What the token is for (phone, calendar, scanner ...)."),
    scope: list[str] = typer.Option(None, "--scope", help="read, write, ingest, calendar (repeatable; "
                                                         "default: read, write, ingest)."),
) -> None:
    """Create a token and print it once (only its hash is stored)."""
    from smartreturn.web.tokens import DEFAULT_SCOPES, create_token

    with database_of(ctx).session() as session:
        secret = create_token(session, name, tuple(scope or DEFAULT_SCOPES), clock.now())
    typer.echo(secret)


@token_app.command("list")
def token_list(ctx: typer.Context, json_out: bool = typer.Option(False, "--json")) -> None:
    """Tokens with their scopes and last use (never the secrets)."""
    from smartreturn.web.tokens import list_tokens

    with database_of(ctx).session() as session:
        rows = [{"name": t.name, "scopes": list(t.scopes), "created_at": t.created_at, "last_used_at": t.last_used_at,
                 "revoked_at": t.revoked_at} for t in list_tokens(session)]
    if json_out:
        print_json(rows)
        return
    table = Table("name", "scopes", "created", "last used", "revoked", title="API tokens")
    for row in rows:
        table.add_row(*map(cell, (row["name"], " ".join(row["scopes"]), row["created_at"], row["last_used_at"],
                                  row["revoked_at"])))
    console.print(table)


@token_app.command("revoke")
def token_revoke(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Revoke a token: it stops working at once."""
    from smartreturn.web.tokens import revoke_token

    with database_of(ctx).session() as session:
        revoke_token(session, name, clock.now())
    console.print(f"token {name} revoked", highlight=False, markup=False)
