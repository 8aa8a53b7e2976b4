"""Apprise, wrapped once. URLs carry tokens: they are never logged. Apprise's warnings become errors.
The sending itself runs in apprise_send.py, a program of its own."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from smartreturn.child import run_json
from smartreturn.errors import NotifyError
from smartreturn.logsafe import url_secrets

log = logging.getLogger(__name__)

EMAIL_SCHEMES = ("mailto://", "mailtos://")
SENDER = "smartreturn.notify.apprise_send"
SEND_TIMEOUT = 300.0  # seconds for one delivery to every URL (Apprise's own per-URL timeouts are shorter)


@dataclass(frozen=True, slots=True)
class Message:
    title: str
    text: str
    html: str | None = None     # mail channels get this (Apprise adds a text part derived from it)
    attachments: tuple[Path, ...] = ()  # files (e.g. a chart PNG); channels that cannot attach drop them


def valid_url(url: str) -> bool:
    """Whether Apprise understands this URL (no network; for `doctor`, a short-lived command)."""
    import apprise

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
    """Send one message to several URLs, through Apprise in a program of its own (apprise_send.py): the
    daemon's process never holds Apprise and its plugins (~4 MB). The URLs go over a pipe, never argv."""

    def __init__(self, timeout: float = SEND_TIMEOUT) -> None:
        self.timeout = timeout

    def send(self, urls: Sequence[str], message: Message) -> None:
        if not urls:
            raise NotifyError("no notification URLs configured")
        request = json.dumps({"urls": list(urls), "title": message.title, "text": message.text, "html": message.html,
                              "attachments": [str(p) for p in message.attachments], "parent": os.getpid(),
                              "log_level": logging.getLogger().getEffectiveLevel()})
        answer, stderr = run_json(["-m", SENDER], what="Apprise sender", error=NotifyError, timeout=self.timeout,
                                  stdin=request.encode(), detail=lambda text: scrub(text, list(urls)))
        for line in stderr.splitlines():
            log.debug("apprise: %s", line)  # the root handlers' secret filter masks the URLs' tokens
        errors = answer.get("errors")
        if not isinstance(errors, list):
            raise NotifyError("the Apprise sender gave an answer without its list of errors")
        if errors:
            raise NotifyError("; ".join(str(e) for e in errors))


def scrub(text: str, urls: list[str]) -> str:
    """Apprise's last log lines without any URL or any part of one that can carry a token or a password
    (the text is stored as the notification's last error and logged)."""
    secrets = sorted({part for url in urls for part in url_secrets(url)}, key=len, reverse=True)
    for secret in secrets:  # the whole URL first, then its user, password, host-token and path tokens
        text = text.replace(secret, "<url>" if secret in urls else "***")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(lines[-3:])[:500]
