"""Who is signed in: password (argon2) or a trusted proxy header, server-side sessions, CSRF, login limits.

The session cookie holds a random id; the database keeps only its SHA-256, the user name, the
expiry and the session's CSRF token (every form carries it; every POST checks it). Failed sign-ins
are counted per client address with a moving window (``limits``); past the limit the login answers
429 without looking at the password.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from smartreturn.config import WebSettings
from smartreturn.store.tables import WebSession

log = logging.getLogger(__name__)

SESSION_COOKIE = "sr_session"
LOGIN_COOKIE = "sr_login"  # double-submit CSRF token of the sign-in form (no session exists yet)

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(settings: WebSettings, username: str, password: str) -> bool:
    """Constant-time in the user name; argon2 for the password. False when no hash is configured."""
    if settings.password_hash is None:
        return False
    name_ok = hmac.compare_digest(username.encode(), settings.username.encode())
    try:
        password_ok = _hasher.verify(settings.password_hash.get_secret_value(), password)
    except (VerificationError, InvalidHashError):
        password_ok = False
    return name_ok and password_ok


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SignedIn:
    username: str
    csrf_token: str


def start_session(session: Session, username: str, now: datetime, hours: int) -> tuple[str, SignedIn]:
    """A new session; returns the cookie value (shown once, never stored) and who is signed in."""
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.add(WebSession(session_hash=digest(cookie), username=username, csrf_token=csrf,
                           created_at=now, expires_at=now + timedelta(hours=hours)))
    return cookie, SignedIn(username, csrf)


def find_session(session: Session, cookie: str | None, now: datetime) -> SignedIn | None:
    if not cookie or len(cookie) > 128:
        return None
    row = session.execute(select(WebSession.username, WebSession.csrf_token, WebSession.expires_at)
                          .where(WebSession.session_hash == digest(cookie))).first()
    if row is None or row.expires_at <= now:
        return None
    return SignedIn(row.username, row.csrf_token)


def end_session(session: Session, cookie: str | None) -> None:
    if cookie:
        session.execute(delete(WebSession).where(WebSession.session_hash == digest(cookie)))


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(expected.encode(), given.encode())


def proxy_user(settings: WebSettings, client_host: str | None, headers) -> str | None:
    """The user a trusted reverse proxy vouches for, or None (header not configured, absent, or the
    request did not come from one of ``trusted_proxies``)."""
    if not settings.trusted_proxy_header or not client_host:
        return None
    try:
        address = ipaddress.ip_address(client_host)
    except ValueError:
        return None
    if not any(_matches(address, entry) for entry in settings.trusted_proxies):
        return None
    value = (headers.get(settings.trusted_proxy_header) or "").strip()
    return value[:255] or None


def _matches(address, entry: str) -> bool:
    try:
        return address in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False


class LoginLimiter:
    """Failed sign-ins per client address within a moving window (in memory: one web process)."""

    def __init__(self, attempts: int, window_minutes: int) -> None:
        self._item = RateLimitItemPerMinute(attempts, window_minutes)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def allowed(self, client: str) -> bool:
        return self._limiter.test(self._item, "login", client)

    def failed(self, client: str) -> None:
        self._limiter.hit(self._item, "login", client)

    def reset(self, client: str) -> None:
        self._limiter.clear(self._item, "login", client)
