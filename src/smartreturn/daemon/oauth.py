"""OAuth2 access tokens for XOAUTH2 (Gmail, Outlook): from a command or a file, refreshed on expiry.

The command (e.g. ``oama access me@gmail.com`` or a script around ``msal``) prints either the bare
token or JSON with ``access_token`` and ``expires_in`` (seconds) or ``expires_at``/``expiry`` (epoch or
ISO-8601). A file holds the same; it is re-read when it changes. Without an expiry a token is reused for
:data:`DEFAULT_LIFETIME`. A login failure calls :meth:`TokenSource.invalidate`, so the next login gets
a fresh token.
"""

from __future__ import annotations

import json
import logging
import shlex
import subprocess
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from smartreturn.errors import MailError

log = logging.getLogger(__name__)

DEFAULT_LIFETIME = 45 * 60.0   # Google and Microsoft tokens last 60 min
REFRESH_MARGIN = 120.0         # renew this long before the stated expiry
COMMAND_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class Token:
    value: str
    expires_at: float  # time.time() epoch


def parse_token(text: str, now: float) -> Token:
    """A bare token, or JSON with access_token + expires_in / expires_at / expiry."""
    text = text.strip()
    if not text:
        raise MailError("the OAuth2 token source returned nothing")
    if not text.startswith("{"):
        return Token(text.split()[0], now + DEFAULT_LIFETIME)
    try:
        data = json.loads(text)
        value = str(data["access_token"]).strip()
    except (ValueError, KeyError, TypeError) as exc:
        raise MailError("the OAuth2 token source returned JSON without 'access_token'") from exc
    expires_at = now + DEFAULT_LIFETIME
    if data.get("expires_in") is not None:
        expires_at = now + float(data["expires_in"])
    else:
        stamp = data.get("expires_at", data.get("expiry"))
        if isinstance(stamp, (int, float)):
            expires_at = float(stamp)
        elif isinstance(stamp, str) and stamp:
            try:
                expires_at = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
            except ValueError:
                expires_at = float(stamp)
    return Token(value, expires_at)


class TokenSource:
    """Thread-safe cache of one account's access token."""

    def __init__(self, command: str | None = None, file: Path | None = None) -> None:
        if not command and not file:
            raise MailError("XOAUTH2 needs oauth2_token_command or oauth2_token_file")
        self.command = command
        self.file = file
        self._token: Token | None = None
        self._file_mtime: float | None = None
        self._lock = threading.Lock()

    def get(self) -> str:
        with self._lock:
            now = time.time()
            if self._token is None or self._token.expires_at - REFRESH_MARGIN <= now or self._file_changed():
                self._token = self._fetch(now)
            return self._token.value

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def _file_changed(self) -> bool:
        if self.file is None or self.command:
            return False
        try:
            return self.file.stat().st_mtime != self._file_mtime
        except OSError:
            return True

    def _fetch(self, now: float) -> Token:
        if self.command:
            try:
                result = subprocess.run(shlex.split(self.command), capture_output=True, text=True,
                                        timeout=COMMAND_TIMEOUT, check=False)
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise MailError(f"oauth2_token_command failed to run: {exc}") from exc
            if result.returncode != 0:
                # stderr may name the account but never holds the token; keep only its end
                raise MailError(f"oauth2_token_command exited with {result.returncode}: {result.stderr.strip()[-300:]}")
            token = parse_token(result.stdout, now)
        else:
            assert self.file is not None
            try:
                self._file_mtime = self.file.stat().st_mtime
                token = parse_token(self.file.read_text(encoding="utf-8"), now)
            except OSError as exc:
                raise MailError(f"cannot read oauth2_token_file {self.file}: {exc.strerror}") from exc
        log.debug("new OAuth2 token, valid for %.0f s", token.expires_at - now)
        return token
