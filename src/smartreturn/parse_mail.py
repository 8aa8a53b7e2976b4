"""Reading one raw mail: decode, allow-list, parse. Pure (no database) and never raises for bad mail.

This runs in the parse worker (:mod:`smartreturn.guard`), which imports it with the
parsers; the worker answers each mail with a :class:`~smartreturn.reading.Summary`. It imports no
SQLAlchemy and no store (``tests/test_layers.py``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timezone
from typing import TYPE_CHECKING

from smartreturn.errors import ParseError
from smartreturn.mail import envelope, mime
from smartreturn.mail.decode import parse_email
from smartreturn.mail.message import Email
from smartreturn.model import DEGRADED_PREFIX, MessageStatus
from smartreturn.parsers import registry
from smartreturn.parsers.caps import cap_events
from smartreturn.parsers.registry import Extraction
from smartreturn.reading import ReadOptions, Summary
from smartreturn.rules.stated import Statement, find_statements

if TYPE_CHECKING:
    from smartreturn.config import Settings

log = logging.getLogger(__name__)

__all__ = ["DEPTH_NOTE", "TRUNCATION_DEFECTS", "TRUSTED_SOURCES", "Reading", "read_in_worker", "read_message",
           "summarise"]

TRUSTED_SOURCES = frozenset({"file", "maildir", "mbox", "text"})  # the user chose these by hand

# A multipart mail whose boundaries are missing was cut off (an interrupted download or export):
# records read from half a mail could be wrong, so it is kept as failed, not parsed.
TRUNCATION_DEFECTS = frozenset({"CloseBoundaryNotFoundDefect", "StartBoundaryNotFoundDefect"})


@dataclass(frozen=True, slots=True)
class Reading:
    """What reading one mail gave, before any database work (pure: decode, allow-list, parse)."""

    status: MessageStatus
    reason: str | None = None
    email: Email | None = None
    extraction: Extraction | None = None


def summarise(reading: Reading) -> Summary:
    """The :class:`Summary` of a reading (in the worker, or here when mail is read in this process)."""
    email, extraction = reading.email, reading.extraction
    parsed = reading.status == MessageStatus.PARSED and extraction is not None
    columns = None
    if email is not None:
        columns = {"from_addr": email.from_addr[:320] or None, "forwarded_by": email.forwarded_by,
                   "subject": email.subject, "sent_at": email.received, "user_note": email.user_note}
        if email.message_id:
            columns["message_id"] = email.message_id[:998]
    events = tuple(extraction.events) if parsed else ()
    statements: tuple[Statement, ...] = ()
    if events and email is not None and email.text:  # rules/stated.py, on the mail's own calendar day (UTC)
        statements = tuple(find_statements(email.text, email.received, timezone.utc))
    return Summary(reading.status.value, reading.reason, columns,
                   (extraction.parser.name, extraction.parser.version) if parsed else None,
                   extraction is not None, events, statements,
                   email.received if email is not None else None, email.user_note if email is not None else None)


def read_in_worker(raw: bytes, source_kind: str, settings: ReadOptions, label: str) -> Summary:
    """:func:`read_message` in the worker, summarised: only what the caller stores is sent back."""
    return summarise(read_message(raw, source_kind, settings, label))


def read_message(raw: bytes, source_kind: str, settings: Settings | ReadOptions, label: str) -> Reading:
    """Decode, check and parse one mail. Pure (no database) and never raises for bad mail.

    ``label`` names the mail in log lines (its primary key, or the start of its content hash).
    Parts nested deeper than :data:`mime.MAX_DEPTH` were not read: the status reason says so.
    """
    reading = _read(raw, source_kind, ReadOptions.of(settings), label)
    if reading.email is not None and DEPTH_LIMIT_DEFECT in reading.email.defects:
        reading = replace(reading, reason=f"{reading.reason}; {DEPTH_NOTE}" if reading.reason else DEPTH_NOTE)
    return reading


DEPTH_LIMIT_DEFECT = mime.DepthLimitDefect.__name__
DEPTH_NOTE = f"MIME parts nested deeper than {mime.MAX_DEPTH} levels were not read"


def _read(raw: bytes, source_kind: str, options: ReadOptions, label: str) -> Reading:
    if len(raw) > options.max_message_bytes:
        return Reading(MessageStatus.FAILED,
                       f"message too large: {len(raw) / 1e6:.1f} MB > limit {options.max_message_bytes / 1e6:.1f} MB (ingest.max_message_bytes)")
    try:
        email = parse_email(raw)
    except ParseError as exc:
        return Reading(MessageStatus.FAILED, f"cannot decode: {exc}")
    except MemoryError:  # the parse worker's memory limit: reported as such by the worker (guard.py)
        raise
    except Exception as exc:  # a decoder bug must not stop the loop either
        log.exception("decoding message %s failed", label)
        return Reading(MessageStatus.FAILED, f"cannot decode: {exc!r}")
    truncated = TRUNCATION_DEFECTS.intersection(email.defects)
    if truncated:
        return Reading(MessageStatus.FAILED, f"truncated or broken MIME structure ({', '.join(sorted(truncated))})",
                       email)
    refusal = _refusal(email, source_kind, options)
    if refusal:
        return Reading(MessageStatus.IGNORED, refusal, email)
    try:
        extraction = registry.extract(email)
    except MemoryError:
        raise
    except Exception as exc:  # ParseError / ParserConflict, or a parser bug (logged)
        if not isinstance(exc, ParseError):
            log.exception("parsing message %s failed", label)
        return Reading(MessageStatus.FAILED, str(exc) or repr(exc), email)
    if extraction.parser is not None and extraction.events:
        reason = None
        if extraction.degraded_from:  # kept, and still reported by the drift alarm (parser health)
            reason = f"{DEGRADED_PREFIX} the {extraction.degraded_from} parser read nothing; the generic layer did"
        events, capped = cap_events(extraction.events)
        if capped:
            log.warning("message %s: %s", label, capped)
            extraction = replace(extraction, events=events)
            reason = f"{reason}; {capped}" if reason else capped
        return Reading(MessageStatus.PARSED, reason, email, _vetted_addresses(extraction, email))
    known = registry.known_sender(email)
    if known:
        return Reading(MessageStatus.UNMATCHED, f"from a {known} sender but no parser produced records", email,
                       extraction)
    return Reading(MessageStatus.IGNORED, "no parser recognised this mail", email, extraction)


def _refusal(email: Email, source_kind: str, options: ReadOptions) -> str | None:
    """Why this mail must not be parsed, or None. Local sources the user picked are trusted; mail that
    arrived (IMAP) is judged on its outer, authenticated envelope only (mail/envelope.py)."""
    if source_kind in TRUSTED_SOURCES:
        return None
    return envelope.refusal(email.raw, options, email.outer_items)


def _vetted_addresses(extraction: Extraction, email: Email) -> Extraction:
    """Support addresses from outside the merchant's sending domain are dropped (draft recipients)."""
    events = [replace(event, merchant_email=envelope.merchant_address(event.merchant_email, email.sender_domain))
              if event.merchant_email else event for event in extraction.events]
    return replace(extraction, events=events)
