"""The stored agenda (table ``agenda_cache``) and the store fingerprint it is valid for.

Persistence only: apply/agenda_cache.py decides when a stored agenda may be used.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from smartreturn.store.tables import (
    CaseEvent,
    Merchant,
    Message,
    Order,
    OrderItem,
    ReturnCase,
    Shipment,
    StatedDeadline,
    StoredAgenda,
    TrackingEvent,
)

# The highest id of each table the agenda reads and the latest update of the three that are updated
# in place: any write (mail ingested, a return changed from the web, the CLI or the daemon, a
# tracking event, a correction) changes it. Deadline rows are not in it: they are the agenda's output.
_FINGERPRINT = select(
    select(func.max(Message.id)).scalar_subquery(),
    select(func.max(CaseEvent.id)).scalar_subquery(),
    select(func.max(TrackingEvent.id)).scalar_subquery(),
    select(func.max(Order.id)).scalar_subquery(),
    select(func.max(OrderItem.id)).scalar_subquery(),
    select(func.max(Merchant.id)).scalar_subquery(),
    select(func.max(ReturnCase.id)).scalar_subquery(),
    select(func.max(Shipment.id)).scalar_subquery(),
    select(func.max(StatedDeadline.id)).scalar_subquery(),
    select(func.max(ReturnCase.updated_at)).scalar_subquery(),
    select(func.max(Shipment.updated_at)).scalar_subquery(),
    select(func.max(Order.updated_at)).scalar_subquery(),
    select(StoredAgenda.key).limit(1).scalar_subquery(),
)


def store_fingerprint(session: Session) -> tuple[tuple[object, ...], str | None]:
    """(the fingerprint, the key of the stored agenda) in one statement."""
    *fingerprint, stored = session.execute(_FINGERPRINT).one()
    return tuple(fingerprint), stored


def load_stored_agenda(session: Session, key: str) -> bytes | None:
    return session.scalars(select(StoredAgenda.body).where(StoredAgenda.key == key)).first()


def save_stored_agenda(session: Session, key: str, generated_at: datetime, body: bytes) -> None:
    """Replace the stored agenda (one row: the latest)."""
    session.execute(delete(StoredAgenda))
    session.add(StoredAgenda(key=key, generated_at=generated_at, body=body))
