"""Deadline rows: store what the rules computed, as bulk upserts keyed by (kind, order_id, return_case_id).

Only new, changed and vanished rows are written, so the steady state writes nothing. Rows of closed
cases are not passed in and stay as they were (history: was the refund late?).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import delete, insert, update
from sqlalchemy.orm import Session

from smartreturn.snapshot import DeadlineKey, DeadlineRow
from smartreturn.store.snapshot import chunks
from smartreturn.store.tables import Deadline


class Computed(Protocol):
    """What the rules hand over for one deadline (rules.return_window.ComputedDeadline)."""

    due_on: date
    rule_id: str
    anchor: str
    confidence: str
    anchor_on: date | None
    evidence_message_id: int | None


def _values(computed: Computed) -> dict[str, Any]:
    return {"due_on": computed.due_on, "rule_id": computed.rule_id, "anchor": str(computed.anchor),
            "confidence": str(computed.confidence), "anchor_on": computed.anchor_on,
            "evidence_message_id": computed.evidence_message_id}


def _same(row: DeadlineRow, values: Mapping[str, Any]) -> bool:
    return (row.due_on, row.rule_id, row.anchor, row.confidence, row.anchor_on, row.evidence_message_id) == (
        values["due_on"], values["rule_id"], values["anchor"], values["confidence"], values["anchor_on"],
        values["evidence_message_id"])


def sync_deadlines(session: Session, stored: Mapping[DeadlineKey, DeadlineRow],
                   computed: Mapping[DeadlineKey, Computed | None], now: datetime) -> tuple[dict[DeadlineKey, DeadlineRow], int]:
    """Make the rows of ``computed``'s keys say what it says (None: delete the row); returns the
    deadlines as stored afterwards (``stored`` with the changes applied) and the rows written."""
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    deletes: list[int] = []
    result = dict(stored)
    for key, deadline in computed.items():
        row = stored.get(key)
        if deadline is None:
            if row is not None:
                deletes.append(row.id)  # type: ignore[arg-type]
                result.pop(key)
            continue
        values = _values(deadline)
        if row is not None and _same(row, values):
            continue
        if row is None:
            inserts.append({"kind": key[0], "order_id": key[1], "return_case_id": key[2], "computed_at": now, **values})
        else:
            updates.append({"id": row.id, "computed_at": now, **values})
        result[key] = DeadlineRow(key[0], key[1], key[2], values["due_on"], values["rule_id"], values["anchor"],
                                  values["confidence"], values["anchor_on"], values["evidence_message_id"],
                                  row.id if row is not None else None)
    if inserts:
        session.execute(insert(Deadline), inserts)
    if updates:
        session.execute(update(Deadline), updates)
        changed = {values["id"] for values in updates}
        for obj in list(session.identity_map.values()):
            if isinstance(obj, Deadline) and obj.id in changed:
                session.expire(obj)
    for part in chunks(deletes):
        session.execute(delete(Deadline).where(Deadline.id.in_(part)))
    return result, len(inserts) + len(updates) + len(deletes)
