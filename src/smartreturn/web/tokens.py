"""API bearer tokens: ``smartreturn token create NAME`` prints the secret once; only its SHA-256 is kept.

Scopes: ``read`` (GET the API), ``write`` (POST/PATCH returns), ``ingest`` (POST .eml and SMS),
``calendar`` (the .ics feed, whose URL carries the token and so ends up in calendar apps: give it
a token of its own with only this scope). A revoked token is refused at once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from smartreturn.errors import SmartReturnError
from smartreturn.store.tables import ApiToken
from smartreturn.web.auth import digest

SCOPES = ("read", "write", "ingest", "calendar")
DEFAULT_SCOPES = ("read", "write", "ingest")
PREFIX = "srt_"


class TokenError(SmartReturnError):
    """A token cannot be created or revoked as asked."""


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: int
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def create_token(session: Session, name: str, scopes: tuple[str, ...], now: datetime) -> str:
    name = name.strip()
    if not name or len(name) > 64:
        raise TokenError("a token name is 1 to 64 characters")
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        raise TokenError(f"scopes are {', '.join(SCOPES)}; got {', '.join(sorted(unknown)) or 'none'}")
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise TokenError(f"a token named {name!r} exists (revoke it first, or pick another name)")
    secret = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, token_hash=digest(secret), scopes=" ".join(s for s in SCOPES if s in scopes),
                         created_at=now))
    session.flush()
    return secret


def revoke_token(session: Session, name: str, now: datetime) -> None:
    token = session.scalars(select(ApiToken).where(ApiToken.name == name)).first()
    if token is None:
        raise TokenError(f"no token named {name!r}")
    token.revoked_at = token.revoked_at or now
    token.token_hash = digest(f"revoked:{token.id}:{secrets.token_hex(16)}")  # the old secret matches nothing


def list_tokens(session: Session) -> list[TokenInfo]:
    return [_info(t) for t in session.scalars(select(ApiToken).order_by(ApiToken.id))]


# Checked on every API request, from the store each time (a revocation by the CLI acts at once): one
# lookup on the unique hash, with a statement built once.
_BY_HASH = select(ApiToken.id, ApiToken.name, ApiToken.scopes, ApiToken.created_at, ApiToken.last_used_at,
                  ApiToken.revoked_at).where(ApiToken.token_hash == bindparam("token_hash"))


def check_token(connection: Session | Connection, secret: str | None) -> TokenInfo | None:
    """The live token for this secret, or None."""
    if not secret or not secret.startswith(PREFIX) or len(secret) > 128:
        return None
    row = connection.execute(_BY_HASH, {"token_hash": digest(secret)}).first()
    if row is None or row.revoked_at is not None:
        return None
    return TokenInfo(row.id, row.name, tuple(row.scopes.split()), row.created_at, row.last_used_at, row.revoked_at)


def touch(session: Session, token_id: int, now: datetime) -> None:
    token = session.get(ApiToken, token_id)
    if token is not None:
        token.last_used_at = now


def _info(token: ApiToken) -> TokenInfo:
    return TokenInfo(token.id, token.name, tuple(token.scopes.split()), token.created_at, token.last_used_at,
                     token.revoked_at)
