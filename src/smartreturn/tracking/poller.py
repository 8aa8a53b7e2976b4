"""The tracking job: poll due shipments within each provider's budget and merge what comes back.

``poll_due_shipments(db, settings, now, providers)`` is the whole job with its dependencies passed
in; ``run_tracking_job(db, settings, now)`` builds them from the settings (what the daemon's scheduler
calls). Provider errors never escape: a bad key or a rate limit stops that provider for this run and
is reported, a 5xx or malformed answer backs the affected parcels off; the other providers go on.

Database sessions are short (plan, then one per answered request), so waiting for the budget never
holds a write lock that the daemon or the CLI would block on.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from smartreturn.config import Settings, TrackingProviderSettings
from smartreturn.errors import ConfigError, TrackingAuthError, TrackingError, TrackingRateLimited
from smartreturn.model import ShipmentStatus
from smartreturn.store.db import Database
from smartreturn.store.tables import Shipment
from smartreturn.tracking import carriers
from smartreturn.tracking.budget import Clock, QuotaBudget, QuotaLimits, utc_clock
from smartreturn.tracking.providers.base import NOT_REGISTERED, TrackingProvider, TrackQuery, TrackResult, chunks
from smartreturn.apply.parcels import merge_events

log = logging.getLogger(__name__)

FINAL = tuple(s.value for s in ShipmentStatus if s.is_final)
SECTION = {"17track": "seventeen_track", "aftership": "aftership", "kuaidi100": "kuaidi100"}
DEFAULT_PER_SECOND = {"17track": 3, "aftership": 10, "kuaidi100": 2}
# Providers that find the carrier themselves when we do not know their code for it.
AUTO_DETECTS = frozenset({"17track"})
# Built-in "stuck" thresholds for slow cross-border services; tracking.stuck_days overrides them.
DEFAULT_STUCK_DAYS = {"cainiao": 10, "4px": 10, "yunexpress": 10, "china_post": 10, "ems": 7}

MAX_DEFER = timedelta(days=31)
JITTER_MARGIN = 0.025  # seconds added to the per-second window (see QuotaBudget)

Sleep = Callable[[float], None]
Progress = Callable[[int, int], None]


# --- budgets -----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ProviderBudget:
    """``requests``: rate limits (per second / hour); ``quota``: the billed monthly units
    (registrations for 17TRACK and AfterShip, queries for Kuaidi100)."""

    requests: QuotaBudget
    quota: QuotaBudget


def provider_settings(settings: Settings, name: str) -> TrackingProviderSettings:
    return getattr(settings.tracking, SECTION[name])


def build_budgets(settings: Settings, db: Database | None, clock: Clock = utc_clock) -> dict[str, ProviderBudget]:
    budgets = {}
    for name in SECTION:
        conf = provider_settings(settings, name)
        per_second = int(conf.per_second) if conf.per_second is not None else DEFAULT_PER_SECOND[name]
        budgets[name] = ProviderBudget(
            requests=QuotaBudget(name, QuotaLimits(per_second=max(1, per_second), per_hour=conf.per_hour),
                                 clock=clock, db=db, margin=JITTER_MARGIN),
            quota=QuotaBudget(f"{name}:quota", QuotaLimits(per_month=conf.per_month), clock=clock, db=db),
        )
    return budgets


def build_providers(settings: Settings, *, strict: bool = True) -> dict[str, TrackingProvider]:
    """Adapters for ``tracking.providers``. A provider without a key is a ConfigError (strict) or
    left out with a warning (the daemon keeps running without it)."""
    from smartreturn.tracking.providers.aftership import AfterShip
    from smartreturn.tracking.providers.kuaidi100 import Kuaidi100
    from smartreturn.tracking.providers.seventeen_track import SeventeenTrack

    built: dict[str, TrackingProvider] = {}
    for name in settings.tracking.providers:
        conf = provider_settings(settings, name)
        key = conf.api_key.get_secret_value() if conf.api_key else ""
        problem = None
        if not key:
            problem = f"tracking.{SECTION[name]}.api_key (or api_key_file) is not set"
        elif name == "kuaidi100" and not conf.customer:
            problem = "tracking.kuaidi100.customer is not set"
        if problem:
            if strict:
                raise ConfigError(problem)
            log.warning("tracking provider %s disabled: %s", name, problem)
            continue
        extra = {"base_url": conf.base_url} if conf.base_url else {}
        if name == "17track":
            built[name] = SeventeenTrack(key, timeout=conf.timeout, **extra)
        elif name == "aftership":
            built[name] = AfterShip(key, timeout=conf.timeout, **extra)
        else:
            built[name] = Kuaidi100(key, conf.customer or "", timeout=conf.timeout, **extra)
    return built


# --- scheduling rules (pure) ------------------------------------------------------------------------
def next_poll_delay(status: ShipmentStatus, last_event_at: datetime | None, created_at: datetime | None,
                    now: datetime, settings: Settings) -> timedelta | None:
    """How long until the parcel is asked about again; None once it is final."""
    conf = settings.tracking
    if status.is_final:
        return None
    if status == ShipmentStatus.OUT_FOR_DELIVERY:
        return timedelta(minutes=conf.poll_out_for_delivery_minutes)
    moved = last_event_at or created_at
    if moved is not None and now - moved <= timedelta(days=conf.idle_after_days):
        return timedelta(hours=conf.poll_active_hours)
    return timedelta(hours=conf.poll_idle_hours)


def stuck_days(carrier: str, settings: Settings) -> int:
    configured = settings.tracking.stuck_days
    if carrier in configured:
        return configured[carrier]
    return DEFAULT_STUCK_DAYS.get(carrier, configured.get("default", 5))


def is_stuck(shipment: Shipment, now: datetime, settings: Settings) -> bool:
    status = ShipmentStatus(shipment.status)
    if status.is_final or status == ShipmentStatus.PICKUP_READY:
        return False
    since = shipment.last_event_at or shipment.shipped_at or shipment.created_at
    return since is not None and now - since > timedelta(days=stuck_days(shipment.carrier, settings))


def provider_code(carrier: str, provider: str) -> str | None:
    try:
        return carriers.get(carrier).providers.get(provider)
    except KeyError:
        return None


def choose_provider(shipment: Shipment, available: Sequence[str]) -> tuple[str, str | None] | None:
    """(provider, its carrier code) for a parcel: the one it is registered with, else the first
    configured provider that knows the carrier (or detects carriers itself)."""
    order = list(available)
    if shipment.provider in order:
        order.remove(shipment.provider)
        order.insert(0, shipment.provider)
    for name in order:
        code = provider_code(shipment.carrier, name)
        if code or (name in AUTO_DETECTS and shipment.carrier != "unknown"):
            return name, code
    return None


# --- the report ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PollReport:
    due: int = 0                 # shipments that were due
    polled: int = 0              # shipments a provider answered about
    updated: int = 0             # ... whose status changed
    new_events: int = 0
    delivered: int = 0
    registered: int = 0
    stopped: int = 0             # stoptrack sent after delivery
    not_found: int = 0           # the provider has nothing (yet)
    deferred: int = 0            # due, left for a later run (budget, rate limit, errors)
    no_provider: int = 0         # no configured provider can track the carrier
    newly_stuck: int = 0
    requests: tuple[tuple[str, int], ...] = ()   # per provider
    problems: tuple[str, ...] = ()               # for the user; never contains a key


@dataclass(slots=True)
class _Tally:
    counts: Counter[str] = field(default_factory=Counter)
    requests: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        log.warning("%s", text)
        self.problems.append(text)

    def freeze(self) -> PollReport:
        return PollReport(**{k: self.counts[k] for k in (
            "due", "polled", "updated", "new_events", "delivered", "registered", "stopped", "not_found",
            "deferred", "no_provider", "newly_stuck")},
            requests=tuple(sorted(self.requests.items())), problems=tuple(self.problems))


@dataclass(frozen=True, slots=True)
class _Item:
    shipment_id: int
    query: TrackQuery
    registered: bool


class _ProviderStopped(Exception):
    """This provider is done for this run (auth, rate limit, budget)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# --- the job -----------------------------------------------------------------------------------------
def poll_due_shipments(db: Database, settings: Settings, now: datetime, providers: Mapping[str, TrackingProvider],
                       *, budgets: Mapping[str, ProviderBudget] | None = None, sleep: Sleep = time.sleep,
                       progress: Progress | None = None, force: bool = False) -> PollReport:
    """Poll every active shipment whose ``next_poll_at`` has come (all active ones with ``force``)."""
    budgets = budgets if budgets is not None else build_budgets(settings, db, clock=_job_clock(now))
    tally = _Tally()
    plan, to_stop = _plan(db, settings, now, providers, tally, force)
    total = sum(len(items) for items in plan.values())
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    for name, items in plan.items():
        runner = _ProviderRun(db, settings, now, providers[name], budgets[name], sleep, tally, advance)
        runner.run(items, to_stop.get(name, []))
    report = tally.freeze()
    log.info("tracking run: %d due, %d polled, %d updated, %d delivered, %d deferred, requests %s",
             report.due, report.polled, report.updated, report.delivered, report.deferred, dict(report.requests))
    return report


def _job_clock(now: datetime) -> Clock:
    """The run's ``now``, advancing with the monotonic clock: budgets and schedule agree on time."""
    start = time.monotonic()
    return lambda: now + timedelta(seconds=time.monotonic() - start)


def run_tracking_job(db: Database, settings: Settings, now: datetime) -> None:
    """Scheduler entry point: build the configured providers, poll, close. Never raises for
    provider trouble (it is logged and reported in the run's PollReport)."""
    providers = build_providers(settings, strict=False)
    try:
        poll_due_shipments(db, settings, now, providers)
    finally:
        for provider in providers.values():
            provider.close()


def _plan(db: Database, settings: Settings, now: datetime, providers: Mapping[str, TrackingProvider],
          tally: _Tally, force: bool) -> tuple[dict[str, list[_Item]], dict[str, list[_Item]]]:
    plan: dict[str, list[_Item]] = {}
    to_stop: dict[str, list[_Item]] = {}
    with db.session() as session:
        active = session.scalars(select(Shipment).where(Shipment.status.not_in(FINAL))).all()
        for shipment in active:
            stuck = is_stuck(shipment, now, settings)
            if stuck and not shipment.stuck:
                tally.counts["newly_stuck"] += 1
                log.info("shipment %s (%s) is stuck", shipment.id, shipment.carrier)
            shipment.stuck = stuck
        due_filter = [Shipment.status.not_in(FINAL)]
        if not force:
            due_filter.append(or_(Shipment.next_poll_at.is_(None), Shipment.next_poll_at <= now))
        due = session.scalars(select(Shipment).where(*due_filter).order_by(Shipment.next_poll_at, Shipment.id)).all()
        tally.counts["due"] = len(due)
        for shipment in due:
            choice = choose_provider(shipment, list(providers))
            if choice is None:
                tally.counts["no_provider"] += 1
                delay = next_poll_delay(ShipmentStatus(shipment.status), shipment.last_event_at,
                                        shipment.created_at, now, settings)
                shipment.next_poll_at = now + (delay or timedelta(hours=settings.tracking.poll_idle_hours))
                continue
            name, code = choice
            plan.setdefault(name, []).append(_item(shipment, name, code))
        finished = session.scalars(select(Shipment).where(
            Shipment.status.in_(FINAL), Shipment.provider_registered.is_(True))).all()
        for shipment in finished:
            if shipment.provider in providers and providers[shipment.provider].stops_tracking:
                code = provider_code(shipment.carrier, shipment.provider)
                to_stop.setdefault(shipment.provider, []).append(_item(shipment, shipment.provider, code))
    return plan, to_stop


def _item(shipment: Shipment, provider: str, code: str | None) -> _Item:
    query = TrackQuery(number=shipment.tracking_number, carrier=shipment.carrier, provider_carrier=code,
                       phone_last4=shipment.phone_last4)
    return _Item(shipment.id, query, bool(shipment.provider_registered and shipment.provider == provider))


class _ProviderRun:
    """One provider's part of a run: register, fetch, stop — each request paid from the budget.

    Every due parcel is *settled* exactly once: answered, refused, or deferred to a later run."""

    def __init__(self, db: Database, settings: Settings, now: datetime, provider: TrackingProvider,
                 budget: ProviderBudget, sleep: Sleep, tally: _Tally, advance: Callable[[int], None]) -> None:
        self.db, self.settings, self.now = db, settings, now
        self.provider, self.budget, self.sleep, self.tally, self.advance = provider, budget, sleep, tally, advance
        self.name = provider.name
        self.settled: set[int] = set()

    def run(self, items: list[_Item], to_stop: list[_Item]) -> None:
        size = self.provider.batch_size
        try:
            ready = self._register(items) if self.provider.needs_registration else items
            for chunk in chunks(ready, size):
                self._fetch(chunk, to_stop)
        except _ProviderStopped as stop:
            self._defer([i for i in items if i.shipment_id not in self.settled], str(stop), stop.retry_after)
            return
        try:
            for chunk in chunks(to_stop, size):
                self._stop(chunk)
        except _ProviderStopped as stop:
            log.info("stoptrack postponed: %s", stop)

    # --- steps -------------------------------------------------------------------------------------
    def _register(self, items: list[_Item]) -> list[_Item]:
        ready = [i for i in items if i.registered]
        todo = [i for i in items if not i.registered]
        while todo:
            remaining = self.budget.quota.remaining_this_month()
            size = self.provider.batch_size if remaining is None else min(self.provider.batch_size, remaining)
            chunk, todo = todo[:size], todo[size:]
            if not chunk or not self.budget.quota.try_acquire(len(chunk)):
                self.tally.problem(f"{self.name}: monthly quota used up; new parcels wait for next month")
                self._defer([i for i in items if i not in ready], "monthly quota", self.budget.quota.wait_time())
                return ready
            result = self._request(lambda: self.provider.register([i.query for i in chunk]), chunk)
            if result is None:
                continue
            accepted = set(result.registered)
            refused = [i for i in chunk if i.query.number not in accepted]
            with self.db.session() as session:
                for item in chunk:
                    shipment = session.get(Shipment, item.shipment_id)
                    if shipment is not None and item.query.number in accepted:
                        shipment.provider = self.name
                        shipment.provider_registered = True
                    elif shipment is not None:
                        shipment.next_poll_at = self.now + timedelta(hours=self.settings.tracking.poll_idle_hours)
            self.tally.counts["registered"] += len(chunk) - len(refused)
            for number, reason in result.rejected:
                self.tally.problem(f"{self.name}: {number} not registered: {reason}")
            self._settle(refused)
            ready.extend(i for i in chunk if i.query.number in accepted)
            if result.quota_exhausted:
                self.tally.problem(f"{self.name}: registration quota used up at the provider")
                self._defer([i for i in items if i not in ready and i.shipment_id not in self.settled], "quota", None)
                return ready
        return ready

    def _fetch(self, chunk: Sequence[_Item], to_stop: list[_Item]) -> None:
        if not self.provider.needs_registration and not self.budget.quota.try_acquire(len(chunk)):
            self.tally.problem(f"{self.name}: monthly query quota used up")
            raise _ProviderStopped(f"{self.name}: monthly quota", self.budget.quota.wait_time(len(chunk)))
        results = self._request(lambda: self.provider.fetch([i.query for i in chunk]), chunk)
        if results is None:
            return
        by_number = {r.number: r for r in results}
        with self.db.session() as session:
            for item in chunk:
                shipment = session.get(Shipment, item.shipment_id)
                result = by_number.get(item.query.number)
                if shipment is None or result is None:
                    continue
                if self._apply(session, shipment, result) and self.provider.stops_tracking:
                    to_stop.append(item)
        self._settle(chunk)

    def _apply(self, session, shipment: Shipment, result: TrackResult) -> bool:
        """Merge one answer; True when the parcel just reached a final status."""
        shipment.last_polled_at = self.now
        if result.error == NOT_REGISTERED:
            shipment.provider_registered = False
            shipment.next_poll_at = self.now  # register again next run
            self.tally.counts["not_found"] += 1
            return False
        self.tally.counts["polled"] += 1
        shipment.provider = self.name
        final = False
        if not result.found:
            self.tally.counts["not_found"] += 1
            if result.error:
                log.info("%s: %s: %s", self.name, shipment.tracking_number, result.error)
        else:
            outcome = merge_events(session, shipment, result.events, source=self.name, current=result.status)
            self.tally.counts["new_events"] += outcome.added
            self.tally.counts["updated"] += outcome.changed
            self.tally.counts["delivered"] += outcome.delivered_now
            final = ShipmentStatus(shipment.status).is_final
        delay = next_poll_delay(ShipmentStatus(shipment.status), shipment.last_event_at, shipment.created_at,
                                self.now, self.settings)
        shipment.next_poll_at = self.now + delay if delay is not None else None
        shipment.stuck = is_stuck(shipment, self.now, self.settings)
        return final

    def _stop(self, chunk: Sequence[_Item]) -> None:
        if self._request(lambda: self.provider.stop([i.query for i in chunk]) or True, ()) is None:
            return
        with self.db.session() as session:
            for item in chunk:
                shipment = session.get(Shipment, item.shipment_id)
                if shipment is not None:
                    shipment.provider_registered = False
                    shipment.next_poll_at = None
        self.tally.counts["stopped"] += len(chunk)

    # --- plumbing ----------------------------------------------------------------------------------
    def _request(self, call, chunk: Sequence[_Item]):
        """Pay one request from the budget (waiting if allowed) and make it. None after an error
        that only concerns this chunk (deferred); _ProviderStopped when the provider is done."""
        self._acquire()
        self.tally.requests[self.name] += 1
        try:
            return call()
        except TrackingAuthError as exc:
            self.tally.problem(f"{exc}; {self.name} is skipped until the key is fixed")
            raise _ProviderStopped(f"{self.name}: auth") from None
        except TrackingRateLimited as exc:
            self.tally.problem(str(exc))
            raise _ProviderStopped(f"{self.name}: rate limited", exc.retry_after) from None
        except TrackingError as exc:
            self.tally.problem(str(exc))
            self._defer(chunk, "error", None)
            return None

    def _acquire(self) -> None:
        while not self.budget.requests.try_acquire():
            wait = self.budget.requests.wait_time()
            if wait > self.settings.tracking.max_budget_wait:
                raise _ProviderStopped(f"{self.name}: request budget used up for {wait:.0f} s", wait)
            self.sleep(max(wait, 0.001))

    def _settle(self, items: Sequence[_Item]) -> None:
        fresh = [i for i in items if i.shipment_id not in self.settled]
        self.settled.update(i.shipment_id for i in fresh)
        self.advance(len(fresh))

    def _defer(self, items: Sequence[_Item], why: str, retry_after: float | None) -> None:
        items = [i for i in items if i.shipment_id not in self.settled]
        if not items:
            return
        delay = timedelta(seconds=min(retry_after, MAX_DEFER.total_seconds())) if retry_after else timedelta(
            minutes=self.settings.tracking.error_backoff_minutes)
        with self.db.session() as session:
            for item in items:
                shipment = session.get(Shipment, item.shipment_id)
                if shipment is not None:
                    shipment.next_poll_at = self.now + delay
        self.tally.counts["deferred"] += len(items)
        self._settle(items)
        log.info("%s: %d parcel(s) deferred (%s)", self.name, len(items), why)
