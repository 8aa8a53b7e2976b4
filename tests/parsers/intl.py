"""Helpers for the international platform parser tests (Amazon, eBay, Shopify, AliExpress)."""

from __future__ import annotations

from email.charset import QP, Charset
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

from smartreturn.mail.decode import parse_email
from smartreturn.mail.message import Email
from smartreturn.model import Event
from smartreturn.parsers.registry import extract

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def fixture(relative: str) -> tuple[str | None, list[Event]]:
    """(name of the one parser that claimed ``fixtures/<relative>``, its events), via the registry."""
    result = extract(parse_email((FIXTURES / relative).read_bytes()))
    return (result.parser.name if result.parser else None), result.events


def mail(sender: str, subject: str, text: str | None = None, html: str | None = None, *,
         date: str = "Wed, 25 Nov 2026 12:00:00 +0000", reply_to: str | None = None) -> Email:
    """A small real mail (text, HTML or both, quoted-printable UTF-8) decoded by the real decoder."""
    charset = Charset("utf-8")
    charset.body_encoding = QP

    def part(body: str, subtype: str) -> MIMEText:
        p = MIMEText("", subtype, None)
        del p["Content-Transfer-Encoding"]
        p.set_payload(body, charset)
        return p

    if text is not None and html is not None:
        msg: MIMEText | MIMEMultipart = MIMEMultipart("alternative")
        msg.attach(part(text, "plain"))
        msg.attach(part(html, "html"))
    else:
        msg = part(html if html is not None else text or "", "html" if html is not None else "plain")
    msg["From"] = sender
    msg["To"] = "alex.doe@example.net"
    msg["Subject"] = subject
    msg["Date"] = date
    msg["Message-ID"] = "<intl-test@example.net>"
    if reply_to:
        msg["Reply-To"] = reply_to
    return parse_email(msg.as_bytes())


def run(email: Email) -> tuple[str | None, list[Event]]:
    result = extract(email)
    return (result.parser.name if result.parser else None), result.events
