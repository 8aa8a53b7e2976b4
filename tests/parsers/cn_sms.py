"""Build the mails a user sends when forwarding courier SMS: plain text, UTF-8 or GBK, base64."""

from __future__ import annotations

from email.charset import BASE64, Charset
from email.mime.text import MIMEText

from smartreturn.mail.decode import parse_email
from smartreturn.mail.message import Email
from smartreturn.parsers.registry import Extraction, extract


def sms_mail(text: str, *, date: str = "Wed, 25 Nov 2026 12:00:00 +0800", charset: str = "utf-8",
             sender: str = "li.wei@example.com", subject: str = "sms") -> Email:
    cs = Charset(charset)
    cs.body_encoding = BASE64
    msg = MIMEText("", "plain", None)
    del msg["Content-Transfer-Encoding"]
    msg.set_payload(text, cs)
    msg["From"] = sender
    msg["To"] = "li.wei@example.com"
    msg["Subject"] = subject
    msg["Date"] = date
    msg["Message-ID"] = "<test@example.com>"
    return parse_email(msg.as_bytes())


def run(text: str, **kwargs: str) -> Extraction:
    """What the registry makes of a mail holding ``text``: raises ParserConflict when two claim it."""
    return extract(sms_mail(text, **kwargs))
