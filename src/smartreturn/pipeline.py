"""One raw mail in: stored, checked against the allow-list, parsed, applied — in one transaction.

The raw bytes are stored first (the evidence); parsing happens inside a savepoint so that a parser
failure rolls back only the half-applied records and the message stays, marked ``failed`` with the
error text. A crash before commit loses nothing: the source (IMAP cursor, file) is only advanced by
the caller after this returns.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from smartreturn.config import Settings
from smartreturn.errors import ParseError
from smartreturn.mail.decode import parse_email
from smartreturn.mail.message import Email
from smartreturn.model import MessageStatus
from smartreturn.parsers import registry
from smartreturn.store.db import Database
from smartreturn.store.repo import apply_events
from smartreturn.store.tables import CaseEvent, Message

log = logging.getLogger(__name__)

TRUSTED_SOURCES = frozenset({"file", "maildir", "mbox", "text"})  # the user chose these by hand

# A multipart mail whose boundaries are missing was cut off (an interrupted download or export):
# records read from half a mail could be wrong, so it is kept as failed, not parsed.
TRUNCATION_DEFECTS = frozenset({"CloseBoundaryNotFoundDefect", "StartBoundaryNotFoundDefect"})


@dataclass(frozen=True, slots=True)
class Source:
    kind: str                       # imap / file / maildir / mbox / text
    account: str | None = None
    folder: str | None = None
    uidvalidity: int | None = None
    uid: int | None = None
    path: str | None = None


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    message_pk: int
    status: MessageStatus
    duplicate: bool
    records: int
    reason: str | None = None
    parser: str | None = None


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def ingest_bytes(db: Database, raw: bytes, source: Source, settings: Settings) -> IngestOutcome:
    """Store and process one mail in its own transaction. Never raises for bad mail."""
    with db.session() as session:
        return ingest_in_session(session, raw, source, settings)


def ingest_in_session(session: Session, raw: bytes, source: Source, settings: Settings) -> IngestOutcome:
    """Like :func:`ingest_bytes` inside the caller's transaction (the IMAP source also moves its cursor)."""
    digest = content_hash(raw)
    existing = session.scalar(select(Message).where(Message.content_hash == digest))
    if existing is not None:
        return IngestOutcome(existing.id, MessageStatus(existing.status), True, 0, existing.status_reason,
                             existing.parser_name)
    message = Message(
        message_id=f"<{digest}@smartreturn.invalid>", content_hash=digest, raw=raw, size=len(raw),
        source_kind=source.kind, source_account=source.account, source_folder=source.folder,
        source_uidvalidity=source.uidvalidity, source_uid=source.uid, source_path=source.path,
        status=MessageStatus.NEW.value, received_at=datetime.now(timezone.utc),
    )
    session.add(message)
    session.flush()
    records = process_message(session, message, settings)
    return IngestOutcome(message.id, MessageStatus(message.status), False, records, message.status_reason,
                         message.parser_name)


def process_message(session: Session, message: Message, settings: Settings) -> int:
    """(Re)parse a stored message and apply its records. Returns the number of records."""
    message.parsed_at = datetime.now(timezone.utc)
    message.parser_name = message.parser_version = None
    if message.size > settings.ingest.max_message_bytes:
        return _mark(message, MessageStatus.FAILED,
                     f"message too large: {message.size / 1e6:.1f} MB > limit {settings.ingest.max_message_bytes / 1e6:.1f} MB (ingest.max_message_bytes)")
    try:
        email = parse_email(message.raw)
    except ParseError as exc:
        return _mark(message, MessageStatus.FAILED, f"cannot decode: {exc}")
    except Exception as exc:  # a decoder bug must not stop the loop either
        log.exception("decoding message %s failed", message.id)
        return _mark(message, MessageStatus.FAILED, f"cannot decode: {exc!r}")
    _remember_headers(message, email)
    truncated = TRUNCATION_DEFECTS.intersection(email.defects)
    if truncated:
        return _mark(message, MessageStatus.FAILED, f"truncated or broken MIME structure ({', '.join(sorted(truncated))})")
    refusal = _refusal(email, message.source_kind, settings)
    if refusal:
        return _mark(message, MessageStatus.IGNORED, refusal)
    savepoint = session.begin_nested()
    try:
        session.execute(delete(CaseEvent).where(CaseEvent.message_id == message.id))
        extraction = registry.extract(email)
        if extraction.events:
            apply_events(session, message, extraction.events, user_note=email.user_note,
                         default_time=email.received)
        savepoint.commit()
    except Exception as exc:
        savepoint.rollback()
        if not isinstance(exc, ParseError):
            log.exception("applying records of message %s failed", message.id)
        return _mark(message, MessageStatus.FAILED, str(exc) or repr(exc))
    if extraction.parser is not None and extraction.events:
        message.parser_name = extraction.parser.name
        message.parser_version = extraction.parser.version
        return _mark(message, MessageStatus.PARSED, None, len(extraction.events))
    known = registry.known_sender(email)
    if known:
        return _mark(message, MessageStatus.UNMATCHED, f"from a {known} sender but no parser produced records")
    return _mark(message, MessageStatus.IGNORED, "no parser recognised this mail")


def _mark(message: Message, status: MessageStatus, reason: str | None, records: int = 0) -> int:
    message.status = status.value
    message.status_reason = reason
    if status in (MessageStatus.FAILED, MessageStatus.UNMATCHED):
        log.warning("message %s %s: %s", message.id, status.value, reason)
    return records


def _remember_headers(message: Message, email: Email) -> None:
    if email.message_id:
        message.message_id = email.message_id[:998]
    message.from_addr = email.from_addr[:320] or None
    message.forwarded_by = email.forwarded_by
    message.subject = email.subject
    message.sent_at = email.received
    message.user_note = email.user_note


def _refusal(email: Email, source_kind: str, settings: Settings) -> str | None:
    """Why this mail must not be parsed, or None. Local sources the user picked are trusted."""
    if source_kind in TRUSTED_SOURCES:
        return None
    allowed = settings.ingest.allowed_forwarders
    sender = (email.outer_from or email.forwarded_by or email.from_addr or "").lower()
    if not allowed:
        return "no allow-listed forwarders configured (ingest.allowed_forwarders)"
    if any(sender == entry or (entry.startswith("@") and sender.endswith(entry)) for entry in allowed):
        return None
    return f"sender {sender or '(none)'} is not an allow-listed forwarder"


def reparse(db: Database, settings: Settings, *, statuses: tuple[str, ...] | None = None,
            parser: str | None = None) -> dict[str, int]:
    """Re-run the parsers over stored mail; returns counts per resulting status."""
    counts: dict[str, int] = {}
    with db.session() as session:
        query = select(Message.id).order_by(Message.id)
        if statuses:
            query = query.where(Message.status.in_(statuses))
        if parser:
            query = query.where(Message.parser_name == parser)
        ids = session.scalars(query).all()
    for message_pk in ids:
        with db.session() as session:
            message = session.get(Message, message_pk)
            process_message(session, message, settings)
            counts[message.status] = counts.get(message.status, 0) + 1
    return counts
