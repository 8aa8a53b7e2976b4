"""A database error's text is logged and stored: it must not carry the mail it was writing."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from smartreturn.store.db import Database
from smartreturn.store.tables import Message

RAW = b"From: shop@example.com\r\nSubject: Your order 4711\r\n\r\nsecret-body-marker\r\n"


def _row() -> dict:
    return {"message_id": "<m@example.com>", "content_hash": "f" * 64, "raw": RAW, "size": len(RAW),
            "source_kind": "imap", "status": "parsed", "subject": "Your order 4711",
            "from_addr": "shop@example.com", "received_at": datetime(2026, 11, 25, tzinfo=timezone.utc)}


def test_a_constraint_error_does_not_show_the_mail(any_db: Database) -> None:
    with any_db.session() as session:
        session.execute(insert(Message), [_row()])
    with pytest.raises(IntegrityError) as caught, any_db.session() as session:
        session.execute(insert(Message), [_row()])  # same content hash: unique constraint
    text = str(caught.value)
    assert "content_hash" in text or "UNIQUE" in text.upper()  # the error itself is still explained
    assert "secret-body-marker" not in text and "shop@example.com" not in text and "4711" not in text
