"""One timeline per parcel: mail-derived and provider events merged without duplicates (pure).

The natural key of a tracking event is ``(status, occurred_at)``: the same scan reported by a mail
and by a provider (or by two providers) counts once, whoever came first. :func:`parcel_state` says
what a parcel's ``status``, ``last_event_at``, ``delivered_at``, ``shipped_at`` and ``stuck`` become
after a merge; ``smartreturn.apply.parcels`` writes the events and applies it (and moves the return
case along: delivered to the merchant = received, which starts the refund clock).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Protocol

from smartreturn.model import ShipmentStatus

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


@dataclass(frozen=True, slots=True)
class StatedEvent:
    """A status stated by a mail or typed in the CLI, as a timeline event."""

    occurred_at: datetime
    status: ShipmentStatus
    description: str | None = None
    location: str | None = None
    raw_code: str | None = None


@dataclass(frozen=True, slots=True)
class ParcelState:
    """The columns of a parcel that follow its timeline."""

    status: ShipmentStatus
    last_event_at: datetime | None = None
    delivered_at: datetime | None = None
    shipped_at: datetime | None = None
    stuck: bool = False


def order_key(key: tuple[str, datetime]) -> tuple[datetime, int]:
    return (key[1], STAGE.get(ShipmentStatus(key[0]), 0))


def parcel_state(keys: set[tuple[str, datetime]], before: ParcelState, current: ShipmentStatus | None = None,
                 newest_incoming: datetime | None = None) -> ParcelState:
    """The parcel after its timeline holds ``keys``. ``current`` is a provider's overall status: it wins
    when the provider's newest event (``newest_incoming``) is also the newest in the timeline (a
    provider may say "Delivered" on a scan it labels vaguely), never over a newer mail."""
    if not keys:
        return replace(before, status=current) if current is not None else before
    ordered = sorted(keys, key=order_key)
    latest_status, latest_at = ordered[-1]
    status = ShipmentStatus(latest_status)
    if current is not None and newest_incoming is not None and newest_incoming >= latest_at:
        status = current
    stuck = before.stuck
    if before.last_event_at is None or latest_at > before.last_event_at:
        stuck = False
    delivered_at = before.delivered_at
    delivered = [at for s, at in ordered if s == ShipmentStatus.DELIVERED.value]
    if delivered and delivered_at is None:
        delivered_at = delivered[0]
    elif status == ShipmentStatus.DELIVERED and delivered_at is None:
        delivered_at = latest_at
    # Shipped = first seen moving. A label (info received) is not shipping, and a first event that is
    # already "delivered" or "pickup ready" (a mail about the arrival only) says nothing of when it left.
    shipped_at = before.shipped_at
    moving = [at for s, at in ordered if s == ShipmentStatus.IN_TRANSIT.value]
    if moving and shipped_at is None:
        shipped_at = moving[0]
    return ParcelState(status, latest_at, delivered_at, shipped_at, stuck)
