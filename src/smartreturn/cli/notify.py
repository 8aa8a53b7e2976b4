"""``smartreturn digest`` and ``smartreturn draft``: see today's digest, send it, draft a follow-up."""

from __future__ import annotations

from pathlib import Path

import typer

from smartreturn import clock
from smartreturn.cli.context import console, database_of, settings_of
from smartreturn.neutralise import terminal


def register(app: typer.Typer) -> None:
    app.command("digest")(digest)
    app.command("draft")(draft)


def digest(
    ctx: typer.Context,
    preview: bool = typer.Option(True, "--preview/--send", help="Print today's digest (default), or send it now (once per day)."),
    html: Path = typer.Option(None, "--html", help="Also write the HTML part to this file."),
) -> None:
    """Today's digest: what is due, late or stuck, most urgent first."""
    from smartreturn.notify.digest import render_digest
    from smartreturn.notify.jobs import current_agenda, on_the_way, send_digest

    settings = settings_of(ctx)
    db = database_of(ctx)
    now = clock.now()
    agenda = current_agenda(db, settings, now)
    if not preview:
        result = send_digest(db, settings, now, agenda=agenda)
        console.print(f"digest: {result.value}")
        raise typer.Exit(0 if result.value in ("sent", "already_sent") else 1)
    rendered = render_digest(agenda, local_date=now.astimezone(settings.general.tz).date(),
                             language=settings.general.language, user_dir=settings.notify.template_dir,
                             on_the_way=on_the_way(db, settings, now))
    typer.echo(terminal(f"Subject: {rendered.subject}") + "\n")
    typer.echo(terminal(rendered.text, newlines=True))
    if html:
        html.write_text(rendered.html, encoding="utf-8")
        console.print(f"wrote {html}")


def draft(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="Return case (r3 or 3)."),
    language: str = typer.Option(None, "--lang", help="en, zh or de (default: the merchant's language)."),
    level: int = typer.Option(None, "--level", min=1, max=2, help="1 = first reminder, 2 = firmer second one."),
    save: bool = typer.Option(False, "--save", help="Also put it into the IMAP Drafts folder (never sent)."),
    to: str = typer.Option(None, "--to", help="Address the draft to this address (your choice wins over any other)."),
) -> None:
    """Print a polite, factual follow-up mail to the merchant about a late refund."""
    from smartreturn.notify.followup import append_draft, render_followup, to_mime

    settings = settings_of(ctx)
    now = clock.now()
    with database_of(ctx).session() as session:
        followup = render_followup(session, int(case.lstrip("rR")), now, settings, language=language, level=level, to=to)
    typer.echo(terminal(f"To: {followup.to or '(support address unknown)'}\nSubject: {followup.subject}\n\n{followup.body}",
                        newlines=True))
    if save:
        folder = append_draft(settings, to_mime(followup, from_address=settings.drafts.from_address, now=now), now)
        console.print(f"saved to {folder}")
