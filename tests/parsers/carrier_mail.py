"""Helpers for the international carrier parser tests (UPS, FedEx, USPS, DHL, Royal Mail, fallback)."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from pathlib import Path

from smartreturn.mail.decode import parse_email
from smartreturn.mail.message import Email
from smartreturn.model import Event
from smartreturn.parsers.registry import extract

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def fixture(relative: str) -> tuple[str | None, list[Event]]:
    """(the one parser that claimed ``fixtures/<relative>``, its events), through the real registry."""
    result = extract(parse_email((FIXTURES / relative).read_bytes()))
    return (result.parser.name if result.parser else None), result.events


def mail(sender: str, subject: str, text: str | None = None, html: str | None = None, *,
         date: str = "Wed, 25 Nov 2026 12:00:00 +0100") -> Email:
    """A real MIME mail (quoted-printable UTF-8) decoded by the real decoder."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = "alex.doe@example.org"
    msg["Subject"] = subject
    msg["Date"] = date
    msg["Message-ID"] = "<test.1@example.org>"
    if text is not None:
        msg.set_content(text, charset="utf-8", cte="quoted-printable")
        if html is not None:
            msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    else:
        msg.set_content(html or "", subtype="html", charset="utf-8", cte="quoted-printable")
    return parse_email(msg.as_bytes())


def run(email: Email) -> tuple[str | None, list[Event]]:
    result = extract(email)
    return (result.parser.name if result.parser else None), result.events
