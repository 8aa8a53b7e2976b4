"""What tracking events do to a parcel and its return case: the one write path of a parcel's timeline.

Provider events, statuses stated by mails (``apply.events``, batch ingest passing its prefetched keys)
and the CLI all go through :func:`merge_events`: the events the timeline lacks are stored, the parcel
follows its timeline (``tracking.timeline.parcel_state``) and a return parcel moves its return case
along the state machine (delivered to the merchant = received, which starts the refund clock).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartreturn import clock
from smartreturn.model import ShipmentStatus
from smartreturn.rules import state_machine
from smartreturn.store.tables import CaseEvent, ReturnCase, Shipment, TrackingEvent
from smartreturn.tracking.timeline import (
    EventLike,
    MergeOutcome,
    ParcelState,
    StatedEvent,
    normalise_time,
    order_key,
    parcel_state,
)

log = logging.getLogger(__name__)


def merge_events(session: Session, shipment: Shipment, events: Iterable[EventLike], *, source: str,
                 message_id: int | None = None, current: ShipmentStatus | None = None,
                 known: set[tuple[str, datetime]] | None = None, flush: bool = True) -> MergeOutcome:
    """Add the events the timeline lacks and bring the shipment (and its return case) up to date.

    ``current`` is the provider's overall status for the parcel (see ``parcel_state``). ``known`` is
    the caller's cache of the shipment's ``(status, occurred_at)`` keys (batch ingest reads them
    beforehand for many shipments at once); it is updated in place. Without it they are read from the
    database. ``flush=False`` leaves the writes to the caller's next flush.
    """
    old = ShipmentStatus(shipment.status)
    existing = known if known is not None else _keys(session, shipment)
    added = 0
    newest_incoming: datetime | None = None
    for event in events:
        when = normalise_time(event.occurred_at)
        newest_incoming = when if newest_incoming is None or when > newest_incoming else newest_incoming
        key = (ShipmentStatus(event.status).value, when)
        if key in existing:
            continue
        session.add(TrackingEvent(shipment_id=shipment.id, status=key[0], occurred_at=when,
                                  description=_clip(event.description, 2000), location=_clip(event.location, 255),
                                  source=source, raw_code=_clip(event.raw_code, 64), message_id=message_id))
        existing.add(key)
        added += 1
    before = ParcelState(old, shipment.last_event_at, shipment.delivered_at, shipment.shipped_at, bool(shipment.stuck))
    after = parcel_state(existing, before, current, newest_incoming)
    for name in ("last_event_at", "delivered_at", "shipped_at", "stuck"):
        if getattr(shipment, name) != getattr(after, name):
            setattr(shipment, name, getattr(after, name))
    if shipment.status != after.status.value:
        shipment.status = after.status.value
    new = after.status
    if new != old:
        log.info("shipment %s: %s -> %s", shipment.id, old.value, new.value)
    move_return_case(session, shipment, new)
    if flush:
        session.flush()
    return MergeOutcome(added=added, old_status=old, new_status=new)


def record_status(session: Session, shipment: Shipment, status: ShipmentStatus, occurred_at: datetime, *,
                  source: str = "mail", message_id: int | None = None, description: str | None = None,
                  known: set[tuple[str, datetime]] | None = None, flush: bool = True) -> MergeOutcome:
    """A status a mail (or the user) states for a parcel, merged like any provider event."""
    event = StatedEvent(occurred_at=occurred_at, status=status, description=description)
    return merge_events(session, shipment, [event], source=source, message_id=message_id, known=known, flush=flush)


def note_verified(shipment: Shipment, verified: bool) -> None:
    """Record whether a mention of the parcel's number was confirmed by a format or check digit.

    A number once confirmed stays confirmed (one mail's redacted or unlisted form does not undo
    another's check digit); an unconfirmed mention marks only a parcel with nothing recorded (new, or
    stored before migration 0006)."""
    if verified and shipment.verified is not True:
        shipment.verified = True
    elif not verified and shipment.verified is None:
        shipment.verified = False


def timeline(session: Session, shipment_id: int) -> list[TrackingEvent]:
    """The shipment's events, oldest first (same instant: earlier stage first)."""
    rows = session.scalars(select(TrackingEvent).where(TrackingEvent.shipment_id == shipment_id)).all()
    return sorted(rows, key=lambda row: (*order_key((row.status, row.occurred_at)), row.id or 0))


def _keys(session: Session, shipment: Shipment) -> set[tuple[str, datetime]]:
    if shipment.id is None:
        session.flush()
    rows = session.execute(select(TrackingEvent.status, TrackingEvent.occurred_at)
                           .where(TrackingEvent.shipment_id == shipment.id))
    return {(status, occurred_at) for status, occurred_at in rows}


def move_return_case(session: Session, shipment: Shipment, status: ShipmentStatus) -> None:
    """A return parcel's status moves its return case (delivered to the merchant: received)."""
    if shipment.return_case_id is None:
        return
    case = session.get(ReturnCase, shipment.return_case_id)
    if case is None:
        return
    target = state_machine.apply(case.status, f"tracking:{shipment.direction}:{status.value}", case.kind)
    if target.value == case.status:
        return
    when = shipment.last_event_at or clock.now()
    log.info("return case %s: %s -> %s (tracking)", case.id, case.status, target.value)
    case.status = target.value
    field = state_machine.TIMESTAMP_FIELD.get(target)
    if field and getattr(case, field) is None:
        setattr(case, field, when)
    session.add(CaseEvent(message_id=None, kind=f"tracking:{status.value}", occurred_at=when,
                          order_id=case.order_id, return_case_id=case.id, shipment_id=shipment.id,
                          detail=f"{shipment.carrier} {shipment.tracking_number}: {status.value}",
                          source="tracking"))


def _clip(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value[:limit] or None
