"""Delivery-time prediction from the user's own history (empirical quantiles).

For a parcel of carrier C (and route origin→destination when known) the prediction uses, in order:
the delivered parcels of the same carrier *and* route, of the same carrier, or the carrier's default
when fewer than ``MIN_SAMPLES`` are known. The interval is the 10th–90th percentile of the transit
times (days from shipped to delivered). Once a parcel has been under way for a while, only history
at least as long counts (a parcel 6 days out is not going to take 2 days).

Everything is a pure function except :func:`delivery_history`, the one query.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartreturn.store.tables import Order, Shipment

MIN_SAMPLES = 5
HISTORY_LIMIT = 200          # the most recent parcels: carriers change speed over the years
LOW_Q, HIGH_Q = 0.10, 0.90

# (median, low, high) transit days per carrier code; from the carriers' published service levels.
DEFAULT_DAYS: dict[str, tuple[float, float, float]] = {
    "ups": (3, 1, 5), "fedex": (3, 1, 5), "usps": (4, 2, 7), "dhl": (4, 2, 8), "dhl_paket": (2, 1, 4),
    "royal_mail": (2, 1, 4), "evri": (3, 2, 5), "dpd": (2, 1, 4), "gls": (3, 1, 5), "postnl": (2, 1, 4),
    "canada_post": (5, 2, 9), "australia_post": (5, 2, 9), "amazon_logistics": (2, 1, 3),
    "cainiao": (12, 7, 25), "4px": (12, 7, 25), "yunexpress": (12, 7, 25),
    "sf": (2, 1, 3), "jd": (1, 1, 3), "zto": (3, 2, 5), "yto": (3, 2, 5), "sto": (3, 2, 5), "yunda": (3, 2, 5),
    "ems": (4, 2, 7), "china_post": (7, 3, 15), "jt": (3, 2, 5), "deppon": (3, 2, 6),
}
FALLBACK_DAYS = (5.0, 2.0, 10.0)


@dataclass(frozen=True, slots=True)
class DayEstimate:
    days: float        # median transit time
    low: float         # 10th percentile
    high: float        # 90th percentile
    samples: int       # history it rests on (0 for a default)
    basis: str         # "route" / "carrier" / "default"


@dataclass(frozen=True, slots=True)
class DeliveryPrediction:
    expected_on: date
    earliest: date
    latest: date
    estimate: DayEstimate
    late: bool         # already past the 90th percentile

    def describe(self) -> str:
        span = (f"{self.earliest:%b %d}–{self.latest:%b %d}" if self.earliest != self.latest
                else f"{self.expected_on:%b %d}")
        source = (f"{self.estimate.samples} of your {self.estimate.basis} deliveries" if self.estimate.samples
                  else "carrier default")
        return f"{self.expected_on:%a %b %d} ({span}, {source}){' — late' if self.late else ''}"


def transit_days(shipped_at: datetime, delivered_at: datetime) -> float:
    return (delivered_at - shipped_at).total_seconds() / 86400


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); values must be sorted."""
    if not sorted_values:
        raise ValueError("no values")
    position = (len(sorted_values) - 1) * q
    lower = int(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


def estimate_days(route: Sequence[float], carrier_history: Sequence[float], carrier: str,
                  *, elapsed: float = 0.0) -> DayEstimate:
    """Transit-time estimate from the route's history, else the carrier's, else the default.
    ``elapsed``: days the parcel has already been under way (conditions the history on it)."""
    for basis, values in (("route", route), ("carrier", carrier_history)):
        usable = sorted(v for v in values if v >= elapsed and v >= 0)
        if len(usable) >= MIN_SAMPLES:
            return DayEstimate(statistics.median(usable), quantile(usable, LOW_Q), quantile(usable, HIGH_Q),
                               len(usable), basis)
    median, low, high = DEFAULT_DAYS.get(carrier, FALLBACK_DAYS)
    return DayEstimate(float(median), float(low), float(high), 0, "default")


def predict(start: datetime, now: datetime, estimate: DayEstimate, tz: ZoneInfo | None = None) -> DeliveryPrediction:
    """Dates (in the user's zone) from a start time and an estimate. The expected date is never in
    the past: a parcel beyond its median is expected today at the earliest."""
    def local(moment: datetime) -> date:
        return (moment.astimezone(tz) if tz else moment).date()

    today = local(now)
    expected = max(local(start + timedelta(days=estimate.days)), today)
    earliest = max(local(start + timedelta(days=estimate.low)), today)
    latest = max(local(start + timedelta(days=estimate.high)), expected)
    late = now > start + timedelta(days=estimate.high)
    return DeliveryPrediction(expected, min(earliest, expected), latest, estimate, late)


def delivery_history(session: Session, carrier: str, origin: str | None = None,
                     destination: str | None = None) -> list[float]:
    """Transit days of the user's delivered parcels of ``carrier`` (on that route when given)."""
    query = select(Shipment.shipped_at, Shipment.delivered_at).where(
        Shipment.carrier == carrier, Shipment.status == "delivered",
        Shipment.shipped_at.is_not(None), Shipment.delivered_at.is_not(None))
    if origin:
        query = query.where(Shipment.origin == origin)
    if destination:
        query = query.where(Shipment.destination == destination)
    rows = session.execute(query.order_by(Shipment.delivered_at.desc()).limit(HISTORY_LIMIT)).all()
    return [transit_days(shipped, delivered) for shipped, delivered in rows if delivered > shipped]


def predict_shipment(session: Session, shipment: Shipment, now: datetime,
                     tz: ZoneInfo | None = None) -> DeliveryPrediction | None:
    """The prediction shown by ``shipments``, ``show`` and the digest; None once it is final."""
    if shipment.status in ("delivered", "returned_to_sender", "expired"):
        return None
    start = shipment.shipped_at or shipment.created_at
    if start is None:
        return None
    route: list[float] = []
    if shipment.origin or shipment.destination:
        route = delivery_history(session, shipment.carrier, shipment.origin, shipment.destination)
    history = delivery_history(session, shipment.carrier)
    elapsed = max(0.0, transit_days(start, now))
    estimate = estimate_days(route, history, shipment.carrier, elapsed=elapsed)
    if estimate.basis == "default" and (route or history):
        estimate = estimate_days(route, history, shipment.carrier)  # too few that long: unconditional
    return predict(start, now, estimate, tz)


@dataclass(frozen=True, slots=True)
class OnTheWay:
    """A parcel still travelling, with its predicted delivery (for the digest)."""

    carrier: str
    tracking_number: str
    direction: str
    status: str
    order_number: str | None
    prediction: DeliveryPrediction
    verified: bool | None = None  # Shipment.verified: False when no format or check digit confirms the number


def parcels_on_the_way(session: Session, now: datetime, tz: ZoneInfo | None = None, limit: int = 50,
                       archive_after: timedelta = timedelta(days=60)) -> list[OnTheWay]:
    """Active parcels (not final) with a prediction, soonest first. History is read once per carrier.
    A parcel whose last sign of life is older than ``archive_after`` is archived, not "on the way"."""
    rows = session.execute(
        select(Shipment, Order.order_number).outerjoin(Order, Shipment.order_id == Order.id)
        .where(Shipment.status.not_in(("delivered", "returned_to_sender", "expired")))
        .order_by(Shipment.id.desc()).limit(limit * 4)).all()
    history: dict[str, list[float]] = {}
    out = []
    for shipment, order_number in rows:
        start = shipment.shipped_at or shipment.created_at
        if start is None:
            continue
        if now - (shipment.last_event_at or start) > archive_after or start > now:
            continue  # archived (older than the tracking horizon), or not yet shipped at ``now``
        if shipment.carrier not in history:
            history[shipment.carrier] = delivery_history(session, shipment.carrier)
        estimate = estimate_days((), history[shipment.carrier], shipment.carrier,
                                 elapsed=max(0.0, transit_days(start, now)))
        out.append(OnTheWay(shipment.carrier, shipment.tracking_number, shipment.direction, shipment.status,
                            order_number, predict(start, now, estimate, tz), shipment.verified))
    out.sort(key=lambda p: (p.prediction.expected_on, p.tracking_number))
    return out[:limit]
