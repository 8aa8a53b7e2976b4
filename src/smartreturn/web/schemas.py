"""The JSON shapes of the REST API: the rows the CLI prints with ``--json`` (store/queries.py,
cli/agenda.py), as pydantic models so that OpenAPI documents them. Money amounts are strings
("12.30"), times ISO-8601; ids carry their kind's letter (o12, r3, s7, m40) as in the CLI."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from smartreturn.model import ReasonCategory, ReturnKind, ReturnStatus
from smartreturn.rules.agenda import AgendaKind, Urgency

T = TypeVar("T")

MAX_LIMIT = 500  # rows a list answers at most per request


class Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class Error(Model):
    status: int
    code: str = Field(description="machine-readable: unauthorized, forbidden, not_found, invalid, conflict, ...")
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorBody(Model):
    """Every error of /api/v1 and the intake endpoints has this body."""

    error: Error


class Page(Model, Generic[T]):
    items: list[T]
    limit: int
    offset: int
    next_offset: int | None = Field(description="offset of the next page; null on the last page")


# --- the query parameters of the lists ----------------------------------------------------------
# Every list takes ``limit`` and ``offset``; its filters are named here as the store's listing
# (store/queries.py) names them, with the public parameter name as the alias where the two differ.

class ListQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", use_enum_values=True)

    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="page size")
    offset: int = Field(0, ge=0, description="rows to skip")

    def filters(self, tz: tzinfo) -> dict[str, Any]:
        """The listing's keyword arguments; a ``since`` day starts at local midnight."""
        values = self.model_dump(exclude={"limit", "offset"})
        if values.get("since") is not None:
            values["since"] = datetime.combine(values["since"], datetime.min.time(), tzinfo=tz)
        return values


class OrdersQuery(ListQuery):
    platform: str | None = None
    status: str | None = None
    since: date | None = Field(None, description="ordered on or after this day")


class ReturnsQuery(ListQuery):
    platform: str | None = None
    status: ReturnStatus | None = None
    merchant: str | None = None
    reason: ReasonCategory | None = None
    since: date | None = Field(None, description="requested on or after this day")


class ShipmentsQuery(ListQuery):
    platform: str | None = Field(None, alias="carrier", description="the carrier, or the order's platform")
    status: str | None = None
    since: date | None = Field(None, description="first seen on or after this day")


class DeadlinesQuery(ListQuery):
    kind: str | None = None
    due_from: date | None = Field(None, alias="from", description="due on or after this day")
    due_to: date | None = Field(None, alias="to", description="due on or before this day")


class MessagesQuery(ListQuery):
    status: str | None = None
    platform: str | None = Field(None, alias="parser", description="the parser that read it")
    since: date | None = Field(None, description="received on or after this day")


class AgendaQuery(ListQuery):
    kind: AgendaKind | None = None
    urgency: Urgency | None = None
    platform: str | None = None


class OrderOut(Model):
    id: str
    platform: str
    order_number: str
    merchant: str | None
    order_date: str | None
    total: Decimal | None
    currency: str | None
    status: str
    delivered_at: str | None


class ReturnOut(Model):
    id: str
    platform: str
    order_number: str
    merchant: str | None
    kind: str
    status: str
    reason: str | None
    reason_text: str | None
    requested_at: str | None
    expected_refund: Decimal | None
    refunded: Decimal | None
    currency: str | None


VERIFIED_DOC = ("true: a carrier format or check digit confirmed the tracking number; false: only the carrier's "
                "own mail (or a shop's mail naming the carrier) labels it as the tracking number, no format confirms "
                "it (a redacted number, a format the table lacks); null: not recorded, the parcel was stored before "
                "this field existed (`smartreturn reparse` fills it)")


class ShipmentOut(Model):
    id: str
    carrier: str
    tracking_number: str
    verified: bool | None = Field(description=VERIFIED_DOC)
    direction: str
    status: str
    order_number: str | None
    last_event_at: str | None
    expected_delivery: str | None


class MessageOut(Model):
    id: str
    status: str
    from_: str | None = Field(alias="from", serialization_alias="from")
    subject: str | None
    parser: str | None
    reason: str | None
    received_at: str | None
    source: str


class DeadlineOut(Model):
    """A stored deadline explained as ``smartreturn deadlines --json`` explains it (apply/deadlines.py
    ``describe``; there ``order``, ``case``, ``rule``, ``anchor_event`` and ``anchor`` are called
    ``order_id``, ``return_case_id``, ``rule_id``, ``anchor`` and ``confidence`` here)."""

    id: int
    kind: str
    order_id: str
    return_case_id: str | None
    due_on: date
    days_left: int = Field(description="0 on the day itself, negative once passed (the user's time zone)")
    rule_id: str
    anchor: str = Field(description="the event the days count from: delivery, order_date, merchant_received ...")
    anchor_on: date | None = Field(description="the anchor's date")
    confidence: Literal["known", "assumed", "stated"] | str = Field(
        description="known (from evidence), assumed (fixed once, until evidence comes) or stated by the merchant")
    basis: str | None = Field(description="law, policy or expectation (the app's, without a published basis)")
    source: str | None = Field(description="the article or terms the rule cites, or the merchant's own sentence")
    url: str | None = Field(description="where the source can be read")
    checked: str | None = Field(description="the day the source was last checked")
    evidence: str | None = Field(description="the mail that stated the date (m12): /api/v1/messages/{id}")
    platform: str | None
    order_number: str | None
    shop: str | None


class MoneyOut(Model):
    amount: Decimal
    currency: str


class AgendaItemOut(Model):
    key: str
    kind: str
    urgency: str
    title: str
    detail: str
    priority: float
    factors: dict[str, float]
    order_id: int | None
    return_case_id: int | None
    shipment_id: int | None
    platform: str | None
    merchant: str | None
    order_number: str | None
    item_names: list[str]
    due_on: date | None
    days_left: int | None
    amount: MoneyOut | None
    action: str = Field(description="what to do (send_back, ask_refund, ...), for wording in any language")
    shop: str | None = Field(description="the shop's name for the reader")
    platform_name: str | None = Field(description="the platform a timer belongs to")


class ParserHealthOut(Model):
    sender: str
    unmatched: int


class AgendaOut(Page[AgendaItemOut]):
    """One page of the agenda, most urgent first; the money and parser health are the whole agenda's."""

    generated_at: datetime
    money_outstanding: list[MoneyOut]
    parser_health: list[ParserHealthOut]


class StatsOut(Model):
    since: datetime | None
    reasons: list[dict[str, Any]]
    merchants: list[dict[str, Any]]
    platforms: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    months: list[dict[str, Any]]
    money: list[dict[str, Any]]


class ParcelOut(Model):
    """A parcel of ``smartreturn show REF --json``."""

    id: int
    carrier: str
    tracking_number: str
    verified: bool | None = Field(description=VERIFIED_DOC)
    direction: str
    status: str
    delivered_at: str | None
    expected_delivery: str | None
    prediction: dict[str, Any] | None


class CaseDetailOut(Model):
    """``smartreturn show REF --json``: the order with its items, returns, parcels and timeline."""

    order: dict[str, Any] | None = Field(description="null for a parcel no mail linked to an order")
    items: list[dict[str, Any]]
    returns: list[dict[str, Any]]
    shipments: list[ParcelOut]
    timeline: list[dict[str, Any]]


class ReturnCreate(Model):
    """``smartreturn return add``: a return entered by hand (the order is created if unknown)."""

    order_number: str = Field(min_length=1, max_length=128)
    platform: str = Field(default="manual", min_length=1, max_length=32)
    kind: ReturnKind = ReturnKind.RETURN
    items: list[str] = Field(default_factory=list, max_length=50)
    reason: str | None = Field(default=None, max_length=2000)
    category: ReasonCategory | None = None
    merchant: str | None = Field(default=None, max_length=255)
    paid: Decimal | None = Field(default=None, ge=0, lt=Decimal("1e12"))
    expected_refund: Decimal | None = Field(default=None, ge=0, lt=Decimal("1e12"))
    shipping_cost: Decimal | None = Field(default=None, ge=0, lt=Decimal("1e12"))
    currency: str = Field(default="EUR", pattern=r"^[A-Za-z]{3}$")
    requested_at: datetime | None = Field(default=None, description="default: now; without a zone: local time")
    tracking_number: str | None = Field(default=None, max_length=64)
    carrier: str | None = Field(default=None, max_length=32)


class ReturnPatch(Model):
    """``smartreturn return update``: what you set here is never overwritten by later mail."""

    status: ReturnStatus | None = None
    reason: str | None = Field(default=None, max_length=2000)
    category: ReasonCategory | None = None
    refunded: Decimal | None = Field(default=None, ge=0, lt=Decimal("1e12"))
    expected_refund: Decimal | None = Field(default=None, ge=0, lt=Decimal("1e12"))
    shipping_cost: Decimal | None = Field(default=None, ge=0, lt=Decimal("1e12"))
    restocking_fee: Decimal | None = Field(default=None, ge=0, lt=Decimal("1e12"))
    note: str | None = Field(default=None, max_length=4000)


class IngestOut(Model):
    """What happened to one mail (or SMS): the outcome of the ingest pipeline."""

    message: str = Field(description="the stored message, e.g. m42")
    status: str = Field(description="parsed / ignored / unmatched / failed")
    duplicate: bool
    records: int
    parser: str | None
    reason: str | None
