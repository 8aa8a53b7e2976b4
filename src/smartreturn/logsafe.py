"""Secrets never reach a log line: one filter on the root handlers masks every configured secret.

A filter on a *handler* sees every record that reaches it, whichever logger made it (urllib3,
apprise, httpx, sqlalchemy, imapclient and ours), unlike a filter on a logger. The secrets are the
configured values themselves (IMAP passwords, API keys, every Apprise URL) and the parts of each
Apprise URL that carry credentials: user, password, a host that is a token rather than a host name
(``discord://ID/TOKEN``, ``tgram://BOT:TOKEN/CHAT``) and every path segment and query value long
enough to be a token (``json://host/hook/TOKEN``, ``slack://A/B/C``, ``ntfy://host/topic``), as
they also appear in library lines such as urllib3's ``"POST /hook/TOKEN HTTP/1.1" 200``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, unquote, urlsplit

if TYPE_CHECKING:
    from smartreturn.config import Settings

__all__ = ["MASK", "SecretFilter", "install", "remember", "secrets_of"]

MASK = "***"
MIN_SECRET = 4  # shorter configured values are not credentials (see SecretFilter.add)
MIN_TOKEN = 6  # shorter URL parts ("hook", "api", "push") are words, not credentials


class SecretFilter(logging.Filter):
    """Replaces every known secret in a record's message and traceback with ``***``."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: list[str] = []

    def add(self, secrets: Iterable[str]) -> None:
        # A one-to-three character "secret" (a test key such as "k") is no credential, and masking it
        # would garble every log line ("un***nown"): such values are not masked.
        known = set(self._secrets) | {s for s in secrets if len(s.strip()) >= MIN_SECRET}
        self._secrets = sorted(known, key=len, reverse=True)  # longest first: a URL before its parts

    def mask(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string: leave it to logging's own error report
            return True
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True


_FILTER = SecretFilter()


def log_to_stderr(level: int) -> None:
    """The one logging set-up of the command, the daemon and their helper programs: lines on stderr,
    every configured secret masked."""
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr, force=True)
    install()


def install(root: logging.Logger | None = None) -> SecretFilter:
    """Put the filter on every handler of the root logger (call after configuring logging)."""
    root = root or logging.getLogger()
    for handler in root.handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
    return _FILTER


def remember(settings: Settings) -> None:
    """Mask the secrets of these settings from now on (also those of earlier settings: a reload adds)."""
    _FILTER.add(secrets_of(settings))


def secrets_of(settings: Settings) -> list[str]:
    found: list[str] = []
    for account in settings.imap.accounts:
        if account.password is not None:
            found.append(account.password.get_secret_value())
    for provider in (settings.tracking.seventeen_track, settings.tracking.aftership, settings.tracking.kuaidi100):
        if provider.api_key is not None:
            found.append(provider.api_key.get_secret_value())
    for url in [*settings.notify.urls, *settings.notify.digest_urls]:
        found.extend(url_secrets(url.get_secret_value()))
    return [s for s in found if s.strip()]


def url_secrets(url: str) -> list[str]:
    """The URL and each part of it that can carry a credential, raw and percent-encoded."""
    parts = [url]
    try:
        split = urlsplit(url)
    except ValueError:
        return parts
    netloc = split.netloc.rpartition("@")
    userinfo, host = netloc[0], netloc[2]
    if userinfo:
        parts.append(userinfo)
        parts.extend(userinfo.split(":"))
    if host and "." not in host and not host.startswith("["):  # a token in the host's place
        parts.append(host)
        parts.extend(host.split(":"))
    parts.extend(segment for segment in split.path.split("/") if len(segment) >= MIN_TOKEN)
    parts.extend(value for _, value in parse_qsl(split.query) if len(value) >= MIN_TOKEN)
    variants = []
    for part in parts:
        if len(part) < 3 and part != url:
            continue
        variants.extend({part, unquote(part), quote(unquote(part), safe="")})
    return variants
