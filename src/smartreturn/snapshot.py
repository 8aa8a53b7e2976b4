"""What the rules look at: plain rows of orders, cases, parcels and deadlines, read once per run.

The store reads them (store/snapshot.py) with ``select(<columns>)`` into named tuples (immutable, and
several times cheaper to build than dataclasses or ORM objects) with the same attribute names as the
ORM classes (``order.merchant.name``, ``order.items``, ``case.order_id`` ...). The rules are pure
functions of a :class:`Snapshot` and a clock: they can be tested with rows built by hand, without a
database. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

from smartreturn.model import ReturnKind, ReturnStatus

# Orders older than this are not watched for a return window any more (the longest window with
# the holiday extension is about three months).
WATCH_ORDERS_FOR = timedelta(days=180)
# The "unusual returns" anomalies: returns per 30-day window, this one against up to a year of
# earlier ones; an open case's amount against the most recent closed cases in its currency.
FREQUENCY_WINDOW = timedelta(days=30)
FREQUENCY_HISTORY_WINDOWS = 12
AMOUNT_HISTORY = 1000


class MerchantRow(NamedTuple):
    id: int
    name: str


class ItemRow(NamedTuple):
    name: str
    category: str | None


class OrderRow(NamedTuple):
    id: int
    platform: str
    order_number: str
    merchant_id: int | None
    order_date: datetime | None
    currency: str | None
    total: Decimal | None
    status: str
    delivered_at: datetime | None
    region: str | None
    category: str | None
    country: str | None = None          # ISO 3166 alpha-2 of the shop (legal calendar), if known
    merchant: MerchantRow | None = None
    items: tuple[ItemRow, ...] = ()


class CaseRow(NamedTuple):
    id: int
    order_id: int
    kind: str
    status: str
    reason_category: str | None
    items_text: str | None
    requested_at: datetime | None
    shipped_at: datetime | None
    received_at: datetime | None
    refunded_at: datetime | None
    currency: str | None
    expected_refund: Decimal | None
    refunded_amount: Decimal | None
    approved_at: datetime | None = None
    label_at: datetime | None = None
    expected_source: str | None = None  # stated (the merchant said so) / paid (item prices) / cli
    case_number: str = ""


class ShipmentRow(NamedTuple):
    id: int
    carrier: str
    tracking_number: str
    direction: str
    order_id: int | None
    return_case_id: int | None
    status: str
    shipped_at: datetime | None
    delivered_at: datetime | None
    last_event_at: datetime | None
    stuck: bool


class DeadlineRow(NamedTuple):
    """A stored deadline (the rules' last answer): its assumed anchor stays fixed until evidence comes."""

    kind: str
    order_id: int
    return_case_id: int | None
    due_on: date
    rule_id: str
    anchor: str
    confidence: str                      # known / assumed / stated
    anchor_on: date | None = None
    evidence_message_id: int | None = None
    id: int | None = None


class StatedRow(NamedTuple):
    """A date the merchant stated in a mail ("Return window closes on Jan 15, 2027"): it beats the rules."""

    kind: str
    order_id: int
    return_case_id: int | None
    due_on: date
    message_id: int | None
    quote: str


class RefundHistoryRow(NamedTuple):
    """A refunded case of the last two years: was it late? (What merchant lateness reads: nothing more is
    loaded for the ~10^4 refunds of a busy store.)"""

    merchant_id: int
    platform: str
    region: str | None
    category: str | None
    merchant: str
    shipped_at: datetime | None
    received_at: datetime | None
    refunded_at: datetime


class ReturnHistory(NamedTuple):
    """What the "unusual returns" anomalies compare against, counted by the store (no row per case):
    when the first case was asked for (``coalesce(requested_at, created_at)``), how many cases were
    asked for in each ``FREQUENCY_WINDOW`` back from now (``per_window[0]``: (now − 30 days, now],
    ``per_window[n]``: the n-th window before it, n ≤ ``FREQUENCY_HISTORY_WINDOWS``), and per currency
    the amounts (expected refund, else the order's total) of the ``AMOUNT_HISTORY`` most recently
    asked-for closed cases."""

    first: datetime | None
    per_window: tuple[int, ...]
    closed_amounts: Mapping[str, tuple[float, ...]]  # only the currencies of open cases


_EXCHANGE = ReturnKind.EXCHANGE.value
_NOT_WAITING = frozenset(s.value for s in (ReturnStatus.REFUNDED, ReturnStatus.REJECTED, ReturnStatus.CANCELLED,
                                            ReturnStatus.EXCHANGE_DELIVERED))


def is_waiting_for_refund(case: CaseRow) -> bool:
    """The buyer expects money: an open return or refund-only case (an exchange expects goods)."""
    return case.kind != _EXCHANGE and case.status not in _NOT_WAITING


DeadlineKey = tuple[str, int, "int | None"]  # (kind, order id, return case id)


@dataclass(frozen=True)
class Snapshot:
    """Recent orders (return-window candidates), open return cases, their orders, items, merchants,
    parcels and deadlines, plus what the agenda shows as news and the history the anomalies compare
    against; loaded once per run by ``store.snapshot.load_snapshot``."""

    watched: tuple[OrderRow, ...]
    open_cases: tuple[CaseRow, ...]
    orders: Mapping[int, OrderRow]      # every order any other field refers to
    orders_with_case: frozenset[int]    # watched orders that have a return case, open or not
    shipments: Mapping[int, list[ShipmentRow]]
    first_seen: Mapping[int, datetime]  # orders without an order date: their first mail's date
    active_shipments: tuple[ShipmentRow, ...] = ()  # every parcel not in a final status, by id
    deadlines: Mapping[DeadlineKey, DeadlineRow] = field(default_factory=dict)
    stated: Mapping[DeadlineKey, StatedRow] = field(default_factory=dict)  # the latest statement per key
    delivered_recently: tuple[OrderRow, ...] = ()      # orders delivered within the news window
    parcels_delivered_recently: tuple[ShipmentRow, ...] = ()
    refunded_recently: tuple[CaseRow, ...] = ()        # cases refunded within the money-check window
    cases: Mapping[int, CaseRow] = field(default_factory=dict)  # every case any other field refers to
    unmatched: tuple[tuple[str, int, datetime | None], ...] = ()  # (sender, mails, latest) not understood
    refund_history: tuple[RefundHistoryRow, ...] = ()
    return_history: ReturnHistory | None = None  # None: not read (no case at all: first is None)

    def shipments_of(self, order_id: int) -> list[ShipmentRow]:
        return self.shipments.get(order_id, [])

    def waiting_for_refund(self) -> list[CaseRow]:
        return list(self._waiting)

    @cached_property
    def _waiting(self) -> tuple[CaseRow, ...]:
        return tuple(case for case in self.open_cases if is_waiting_for_refund(case))

    def case(self, case_id: int | None) -> CaseRow | None:
        return self.cases.get(case_id) if case_id is not None else None
