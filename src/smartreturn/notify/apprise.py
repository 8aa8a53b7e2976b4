"""Apprise, wrapped once. URLs carry tokens: they are never logged. Apprise's warnings become errors."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import apprise

from smartreturn.errors import NotifyError

log = logging.getLogger(__name__)

EMAIL_SCHEMES = ("mailto://", "mailtos://")


@dataclass(frozen=True, slots=True)
class Message:
    title: str
    text: str
    html: str | None = None     # mail channels get this (Apprise adds a text part derived from it)
    attachments: tuple[Path, ...] = ()  # files (e.g. a chart PNG); channels that cannot attach drop them


def valid_url(url: str) -> bool:
    """Whether Apprise understands this URL (no network; for `doctor`)."""
    quiet = _DropAll()
    apprise_log = logging.getLogger("apprise")
    apprise_log.addFilter(quiet)  # its "Unparseable URL <the URL>" line would carry the tokens
    try:
        return apprise.Apprise.instantiate(url, suppress_exceptions=True) is not None
    finally:
        apprise_log.removeFilter(quiet)


class _DropAll(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


class Notifier(Protocol):
    def send(self, urls: Sequence[str], message: Message) -> None: ...


class AppriseNotifier:
    """Send one message to several URLs: mail URLs get the HTML, the others the plain text."""

    def send(self, urls: Sequence[str], message: Message) -> None:
        if not urls:
            raise NotifyError("no notification URLs configured")
        mail = [u for u in urls if u.lower().startswith(EMAIL_SCHEMES)]
        other = [u for u in urls if not u.lower().startswith(EMAIL_SCHEMES)]
        errors: list[str] = []
        if mail:
            body, fmt = (message.html, apprise.NotifyFormat.HTML) if message.html else (message.text, apprise.NotifyFormat.TEXT)
            errors += self._notify(mail, message.title, body, fmt, message.attachments)
        if other:
            errors += self._notify(other, message.title, message.text, apprise.NotifyFormat.TEXT, message.attachments)
        if errors:
            raise NotifyError("; ".join(errors))

    @staticmethod
    def _notify(urls: list[str], title: str, body: str, fmt: str, attachments: tuple[Path, ...] = ()) -> list[str]:
        sender = apprise.Apprise()
        for index, url in enumerate(urls):
            if not sender.add(url):
                return [f"notification URL #{index + 1} is not a valid Apprise URL"]
        with apprise.LogCapture(level=apprise.logging.WARNING) as captured:
            attach = apprise.AppriseAttachment([str(p) for p in attachments]) if attachments else None
            ok = sender.notify(title=title, body=body, body_format=fmt, attach=attach)
        if ok:
            return []
        details = _scrub(captured.getvalue(), urls)
        return [f"Apprise could not deliver to {len(urls)} URL(s): {details or 'no detail'}"]


def _scrub(text: str, urls: list[str]) -> str:
    """Apprise's log lines without any URL (they hold tokens and passwords)."""
    for url in urls:
        text = text.replace(url, "<url>")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(lines[-3:])[:500]
