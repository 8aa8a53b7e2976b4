"""One raw mail in: stored, checked against the allow-list, parsed, applied — in one transaction.

Each mail is read first (decoded, checked, parsed: pure), then its raw bytes are stored (the
evidence) with the outcome, then its records are written inside a savepoint, so that a failure rolls
back only the half-applied records and the message stays, marked ``failed`` with the error text. A crash before commit loses nothing: the source (IMAP cursor, file) is only advanced by
the caller after this returns.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from smartreturn import clock
from smartreturn.config import Settings
from smartreturn.errors import ParseError
from smartreturn.mail.storable import visible
from smartreturn.model import MessageStatus
from smartreturn.reading import Summary, read_messages
from smartreturn.store.db import Database
from smartreturn.apply.events import apply_events
from smartreturn.store.repo import Lookups
from smartreturn.store.tables import CaseEvent, Message

log = logging.getLogger(__name__)


HASH_LOOKUP_CHUNK = 500  # content hashes per IN (...) query, well under every driver's parameter limit


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
    return ingest_batch(session, [(raw, source)], settings)[0]


def read_ahead(items: Sequence[tuple[bytes, Source]], settings: Settings) -> dict[str, Summary]:
    """What :func:`ingest_batch` would read for ``items``, by content hash, made before it runs (the
    daemon reads the next batch in the parse worker while this one is stored). No database."""
    jobs = {content_hash(raw): (raw, source.kind) for raw, source in items}
    readings = read_messages([(raw, kind, digest[:12]) for digest, (raw, kind) in jobs.items()], settings)
    return dict(zip(jobs, readings, strict=True))


def ingest_batch(session: Session, items: Sequence[tuple[bytes, Source]], settings: Settings,
                 ahead: Mapping[str, Summary] | None = None) -> list[IngestOutcome]:
    """Store and process several mails inside the caller's transaction; one outcome per item, in order.

    Same rows and outcomes as :func:`ingest_in_session` once per item (tests/pipeline/test_ingest_batch.py
    checks it over the fixture corpus), with far fewer statements: the content hashes are looked up
    with one query; every mail is read (decoded, allow-listed, parsed) before the database is touched;
    the new messages are inserted with one executemany (their final status is known by then); the
    records of all of them are written in one savepoint, with the rows they touch read beforehand
    (:class:`~smartreturn.store.repo.Lookups`) and the case events inserted together. If writing
    fails, that savepoint is rolled back and each mail is written in its own savepoint, so a mail whose
    records fail is kept as ``failed`` and never undoes the others. A mail whose content is already
    stored (before, or earlier in this batch) is a duplicate and stored once. ``ahead``: readings made
    beforehand by :func:`read_ahead` (same source kind), used instead of reading those mails again.
    """
    digests = [content_hash(raw) for raw, _ in items]
    known = _stored_by_hash(session, digests)
    now = clock.now()
    new: dict[str, tuple[bytes, Source]] = {}
    for (raw, source), digest in zip(items, digests, strict=True):
        if digest not in known and digest not in new:
            new[digest] = (raw, source)
    ahead = ahead or {}
    unread = {digest: item for digest, item in new.items() if digest not in ahead}
    read = read_messages([(raw, source.kind, digest[:12]) for digest, (raw, source) in unread.items()], settings)
    by_digest = {**dict(zip(unread, read, strict=True)), **{d: ahead[d] for d in new if d in ahead}}
    readings = [by_digest[digest] for digest in new]
    fresh: dict[str, tuple[dict, Summary]] = {
        digest: (_new_row(raw, digest, source, now) | _columns(reading, now), reading)
        for (digest, (raw, source)), reading in zip(new.items(), readings, strict=True)
    }
    if fresh:
        # render_nulls: rows with and without a None in the same column stay one executemany
        session.execute(insert(Message).execution_options(render_nulls=True), [row for row, _ in fresh.values()])
        known.update(_stored_by_hash(session, list(fresh)))
    applied = _apply_together(session, [(known[digest][0], reading) for digest, (_, reading) in fresh.items()])
    records: dict[str, int] = {}
    for digest in fresh:
        pk = known[digest][0]
        records[digest], failure = applied[pk]
        if failure is not None:
            session.execute(update(Message).where(Message.id == pk).values(failure))
            known[digest] = (pk, failure["status"], failure["status_reason"], None)
        _log_outcome(pk, known[digest][1], known[digest][2])
    result = []
    for digest in digests:
        pk, status, reason, parser = known[digest]
        first = digest in records
        result.append(IngestOutcome(pk, MessageStatus(status), not first, records.pop(digest, 0), reason, parser))
    return result


def _stored_by_hash(session: Session, digests: list[str]) -> dict[str, tuple[int, str, str | None, str | None]]:
    found: dict[str, tuple[int, str, str | None, str | None]] = {}
    unique = list(dict.fromkeys(digests))
    for start in range(0, len(unique), HASH_LOOKUP_CHUNK):
        rows = session.execute(select(Message.content_hash, Message.id, Message.status, Message.status_reason,
                                      Message.parser_name)
                               .where(Message.content_hash.in_(unique[start:start + HASH_LOOKUP_CHUNK])))
        found.update((digest, (pk, status, reason, parser)) for digest, pk, status, reason, parser in rows)
    return found


def _new_row(raw: bytes, digest: str, source: Source, now: datetime) -> dict:
    """The columns of a new messages row (every row of a batch has the same keys: one executemany)."""
    return {
        "message_id": f"<{digest}@smartreturn.invalid>", "content_hash": digest, "raw": raw, "size": len(raw),
        "source_kind": source.kind, "source_account": source.account, "source_folder": source.folder,
        "source_uidvalidity": source.uidvalidity, "source_uid": source.uid,
        "source_path": visible(source.path) if source.path else None,  # a file name need not be UTF-8
        "received_at": now, "from_addr": None, "forwarded_by": None, "subject": None, "sent_at": None,
        "user_note": None,
    }


def process_message(session: Session, message: Message, settings: Settings) -> int:
    """(Re)parse a stored message and apply its records. Returns the number of records."""
    reading = read_messages([(message.raw, message.source_kind, str(message.id))], settings)[0]
    for column, value in _columns(reading, clock.now()).items():
        setattr(message, column, value)
    records, failure = _apply(session, message.id, reading, fresh=False)
    for column, value in (failure or {}).items():
        setattr(message, column, value)
    _log_outcome(message.id, message.status, message.status_reason)
    return records


def _columns(reading: Summary, now: datetime) -> dict:
    """The message columns a reading sets (``parsed`` is undone by :func:`_apply` if the records fail)."""
    name, version = reading.parser or (None, None)
    columns = {
        "parsed_at": now, "status": reading.status,
        "status_reason": visible(reading.reason) if reading.reason else None,  # exception texts quote mail
        "parser_name": name, "parser_version": version,
    }
    if reading.columns is not None:
        columns.update(reading.columns)
    return columns


def _apply(session: Session, message_pk: int, reading: Summary, *, fresh: bool) -> tuple[int, dict | None]:
    """Write the reading's records in a savepoint. Returns (records, None), or (0, the message columns
    that mark it failed) when writing them failed: then nothing of it was written.

    ``fresh``: the message was inserted in this transaction, so it has no earlier case events to replace.
    A re-parse (not fresh) replaces them, also when the mail now yields none.
    """
    events = _events(reading)
    if not reading.extracted or (fresh and not events):
        return 0, None  # nothing to write; on a re-parse that did not get to a parser, earlier records stay
    savepoint = session.begin_nested()
    try:
        if not fresh:
            session.execute(delete(CaseEvent).where(CaseEvent.message_id == message_pk))
        if events:
            apply_events(session, message_pk, events, user_note=reading.user_note,
                         default_time=reading.sent_at, fresh=fresh, statements=reading.statements)
        savepoint.commit()
    except Exception as exc:
        savepoint.rollback()
        if not isinstance(exc, ParseError):
            log.exception("applying records of message %s failed", message_pk)
        return 0, {"status": MessageStatus.FAILED.value, "status_reason": visible(str(exc) or repr(exc)),
                   "parser_name": None, "parser_version": None}
    return len(events), None


def _apply_together(session: Session, fresh: list[tuple[int, Summary]]) -> dict[int, tuple[int, dict | None]]:
    """Write the records of newly stored messages: optimistically all in one savepoint; if any of them
    fails, that savepoint is rolled back and each message is written again in its own savepoint, so a
    failing mail is marked failed and never takes the others with it."""
    with_events = [(pk, reading) for pk, reading in fresh if _events(reading)]
    result: dict[int, tuple[int, dict | None]] = {pk: (0, None) for pk, _ in fresh}
    if len(with_events) > 1:
        savepoint = session.begin_nested()
        try:
            lookups = Lookups.prefetch(session, [event for _, reading in with_events for event in _events(reading)])
            buffered: list[dict] = []  # case_events rows, written with one executemany
            for pk, reading in with_events:
                events = _events(reading)
                if buffered and any(event.refund_amount for event in events):
                    _insert_case_events(session, buffered)  # a refund adds up the case events written before
                apply_events(session, pk, events, user_note=reading.user_note,
                             default_time=reading.sent_at, fresh=True, case_events=buffered,
                             lookups=lookups, statements=reading.statements)
            _insert_case_events(session, buffered)
            savepoint.commit()
        except Exception as exc:  # noqa: BLE001 - found again and reported below, mail by mail
            savepoint.rollback()
            log.info("writing the records of %d mails together failed (%s); writing them one by one",
                     len(with_events), type(exc).__name__)
        else:
            result.update((pk, (len(_events(reading)), None)) for pk, reading in with_events)
            return result
    result.update((pk, _apply(session, pk, reading, fresh=True)) for pk, reading in with_events)
    return result


def _insert_case_events(session: Session, rows: list[dict]) -> None:
    if rows:
        session.execute(insert(CaseEvent).execution_options(render_nulls=True), rows)
        rows.clear()


def _events(reading: Summary) -> list:
    """The events to write: those of a parsed mail."""
    return list(reading.events)


def _log_outcome(message_pk: int, status: str, reason: str | None) -> None:
    if status in (MessageStatus.FAILED.value, MessageStatus.UNMATCHED.value):
        log.info("message %s %s: %s", message_pk, status, reason)  # counted in summaries; not a warning


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
