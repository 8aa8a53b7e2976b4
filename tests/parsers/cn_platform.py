"""Helpers for the Chinese platform parser tests: read a fixture or a pasted SMS through the registry."""

from __future__ import annotations

from email.charset import BASE64, Charset
from email.mime.text import MIMEText
from pathlib import Path

from smartreturn.mail.decode import parse_email
from smartreturn.model import Event
from smartreturn.parsers.registry import extract

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def from_fixture(relative: str) -> tuple[str | None, list[Event]]:
    """(name of the one parser that claimed it, its events) for ``fixtures/<relative>``."""
    result = extract(parse_email((FIXTURES / relative).read_bytes()))
    return (result.parser.name if result.parser else None), result.events


def from_sms(text: str, *, subject: str = "SMS", sender: str = "user@example.com",
             date: str = "Wed, 25 Nov 2026 12:00:00 +0800") -> tuple[str | None, list[Event]]:
    """What the registry makes of a pasted SMS (`smartreturn add-text` stores it as a plain-text mail)."""
    charset = Charset("utf-8")
    charset.body_encoding = BASE64
    msg = MIMEText("", "plain", None)
    del msg["Content-Transfer-Encoding"]
    msg.set_payload(text, charset)
    msg["From"] = sender
    msg["To"] = sender
    msg["Subject"] = subject
    msg["Date"] = date
    msg["Message-ID"] = "<sms-test@example.com>"
    result = extract(parse_email(msg.as_bytes()))
    return (result.parser.name if result.parser else None), result.events
