"""One timeline per shipment: mail-derived and provider events merged without duplicates.

The natural key of a :class:`TrackingEvent` row is ``(shipment_id, status, occurred_at)``: the same
scan reported by a mail and by a provider (or by two providers) is stored once, whoever came first.
After a merge the shipment's ``status``, ``last_event_at``, ``delivered_at``, ``shipped_at`` and
``stuck`` follow the timeline, and a return parcel moves its return case along (delivered to the
merchant = received, which starts the refund clock). Provider events, statuses stated by mails
(store/repo.py, batch ingest passing its prefetched keys) and the CLI all go through
:func:`merge_events`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartreturn import clock
from smartreturn.model import ShipmentStatus
from smartreturn.rules import state_machine
from smartreturn.store.tables import CaseEvent, ReturnCase, Shipment, TrackingEvent

log = logging.getLogger(__name__)

# Tie-break for two events at the same instant: the later stage wins.
STAGE: dict[ShipmentStatus, int] = {
    ShipmentStatus.PENDING: 0,
    ShipmentStatus.INFO_RECEIVED: 1,
    ShipmentStatus.IN_TRANSIT: 2,
    ShipmentStatus.EXCEPTION: 3,
    ShipmentStatus.OUT_FOR_DELIVERY: 4,
    ShipmentStatus.FAILED_ATTEMPT: 5,
    ShipmentStatus.PICKUP_READY: 6,
    ShipmentStatus.EXPIRED: 7,
    ShipmentStatus.RETURNING: 8,
    ShipmentStatus.DELIVERED: 9,
    ShipmentStatus.RETURNED_TO_SENDER: 10,
}


class EventLike(Protocol):
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def status(self) -> ShipmentStatus: ...
    @property
    def description(self) -> str | None: ...
    @property
    def location(self) -> str | None: ...
    @property
    def raw_code(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class MergeOutcome:
    added: int
    old_status: ShipmentStatus
    new_status: ShipmentStatus

    @property
    def changed(self) -> bool:
        return self.old_status != self.new_status

    @property
    def delivered_now(self) -> bool:
        return self.changed and self.new_status == ShipmentStatus.DELIVERED


def normalise_time(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError(f"naive datetime {when!r} in a tracking event")
    return when.astimezone(timezone.utc).replace(microsecond=0)


def merge_events(session: Session, shipment: Shipment, events: Iterable[EventLike], *, source: str,
                 message_id: int | None = None, current: ShipmentStatus | None = None,
                 known: set[tuple[str, datetime]] | None = None, flush: bool = True) -> MergeOutcome:
    """Add the events the timeline lacks and bring the shipment (and its return case) up to date.

    The one write path of a parcel's timeline, for provider events and for statuses stated by a
    mail or typed in the CLI. ``current`` is the provider's overall status for the parcel: it wins
    when the provider's newest event is also the newest in the timeline (a provider may say
    "Delivered" on a scan it labels vaguely), never over a newer mail. ``known`` is the caller's
    cache of the shipment's ``(status, occurred_at)`` keys (batch ingest reads them beforehand for
    many shipments at once); it is updated in place. Without it they are read from the database.
    ``flush=False`` leaves the writes to the caller's next flush.
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
    _refresh(shipment, existing, current, newest_incoming)
    new = ShipmentStatus(shipment.status)
    if new != old:
        log.info("shipment %s: %s -> %s", shipment.id, old.value, new.value)
    move_return_case(session, shipment, new)
    if flush:
        session.flush()
    return MergeOutcome(added=added, old_status=old, new_status=new)


@dataclass(frozen=True, slots=True)
class StatedEvent:
    """A status stated by a mail or typed in the CLI, as a timeline event."""

    occurred_at: datetime
    status: ShipmentStatus
    description: str | None = None
    location: str | None = None
    raw_code: str | None = None


def record_status(session: Session, shipment: Shipment, status: ShipmentStatus, occurred_at: datetime, *,
                  source: str = "mail", message_id: int | None = None, description: str | None = None,
                  known: set[tuple[str, datetime]] | None = None, flush: bool = True) -> MergeOutcome:
    """A status a mail (or the user) states for a parcel, merged like any provider event."""
    event = StatedEvent(occurred_at=occurred_at, status=status, description=description)
    return merge_events(session, shipment, [event], source=source, message_id=message_id, known=known, flush=flush)


def timeline(session: Session, shipment_id: int) -> list[TrackingEvent]:
    """The shipment's events, oldest first (same instant: earlier stage first)."""
    rows = session.scalars(select(TrackingEvent).where(TrackingEvent.shipment_id == shipment_id)).all()
    return sorted(rows, key=lambda row: (*_order_key((row.status, row.occurred_at)), row.id or 0))


def _keys(session: Session, shipment: Shipment) -> set[tuple[str, datetime]]:
    if shipment.id is None:
        session.flush()
    rows = session.execute(select(TrackingEvent.status, TrackingEvent.occurred_at)
                           .where(TrackingEvent.shipment_id == shipment.id))
    return {(status, occurred_at) for status, occurred_at in rows}


def _order_key(key: tuple[str, datetime]) -> tuple[datetime, int]:
    return (key[1], STAGE.get(ShipmentStatus(key[0]), 0))


def _assign(shipment: Shipment, name: str, value: object) -> None:
    """Assign only what changes: an equal assignment still marks the row dirty for the next flush."""
    if getattr(shipment, name) != value:
        setattr(shipment, name, value)


def _refresh(shipment: Shipment, keys: set[tuple[str, datetime]], current: ShipmentStatus | None,
             newest_incoming: datetime | None) -> None:
    if not keys:
        if current is not None:
            _assign(shipment, "status", current.value)
        return
    ordered = sorted(keys, key=_order_key)
    latest_status, latest_at = ordered[-1]
    status = ShipmentStatus(latest_status)
    if current is not None and newest_incoming is not None and newest_incoming >= latest_at:
        status = current
    previous_last = shipment.last_event_at
    _assign(shipment, "status", status.value)
    _assign(shipment, "last_event_at", latest_at)
    if previous_last is None or latest_at > previous_last:
        _assign(shipment, "stuck", False)
    delivered = [at for s, at in ordered if s == ShipmentStatus.DELIVERED.value]
    if delivered and shipment.delivered_at is None:
        shipment.delivered_at = delivered[0]
    elif status == ShipmentStatus.DELIVERED and shipment.delivered_at is None:
        shipment.delivered_at = latest_at
    # Shipped = first seen moving. A label (info received) is not shipping, and a first event that is
    # already "delivered" or "pickup ready" (a mail about the arrival only) says nothing of when it left.
    moving = [at for s, at in ordered if s == ShipmentStatus.IN_TRANSIT.value]
    if moving and shipment.shipped_at is None:
        shipment.shipped_at = moving[0]


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
