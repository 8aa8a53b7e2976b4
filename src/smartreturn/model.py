"""Domain types shared by parsers, the store, tracking, rules and notifications.

Parsers yield :class:`Event` records: frozen, Decimal money with an ISO currency, tz-aware datetimes.
Everything here is plain data; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum


class EventKind(StrEnum):
    ORDER_PLACED = "order_placed"
    SHIPPED = "shipped"
    OUT_FOR_DELIVERY = "out_for_delivery"
    PICKUP_READY = "pickup_ready"          # parcel waits at a locker / station (菜鸟驿站 取件码)
    DELIVERED = "delivered"
    DELIVERY_EXCEPTION = "delivery_exception"
    RETURN_REQUESTED = "return_requested"
    RETURN_APPROVED = "return_approved"
    RETURN_REJECTED = "return_rejected"
    RETURN_LABEL = "return_label"
    RETURN_SHIPPED = "return_shipped"
    RETURN_RECEIVED = "return_received"    # received by the merchant
    REFUND_ISSUED = "refund_issued"
    EXCHANGE_SHIPPED = "exchange_shipped"
    CANCELLED = "cancelled"


class Direction(StrEnum):
    OUTBOUND = "outbound"
    RETURN = "return"


class ShipmentStatus(StrEnum):
    """Normalised carrier status; every provider code and mail maps onto one of these."""

    PENDING = "pending"
    INFO_RECEIVED = "info_received"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    PICKUP_READY = "pickup_ready"
    FAILED_ATTEMPT = "failed_attempt"
    DELIVERED = "delivered"
    RETURNING = "returning"
    RETURNED_TO_SENDER = "returned_to_sender"
    EXCEPTION = "exception"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        return self in (ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED_TO_SENDER, ShipmentStatus.EXPIRED)


# The From: address of a text the user pasted (``smartreturn add-text``): an SMS or app push, not a mail.
PASTED_TEXT_SENDER = "add-text@smartreturn.invalid"


class ReturnKind(StrEnum):
    RETURN = "return"
    EXCHANGE = "exchange"
    REFUND_ONLY = "refund_only"


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    LABEL_ISSUED = "label_issued"
    SHIPPED = "shipped"
    RECEIVED = "received"              # received by the merchant: the refund clock starts
    REFUNDED = "refunded"
    EXCHANGE_SHIPPED = "exchange_shipped"
    EXCHANGE_DELIVERED = "exchange_delivered"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    DISPUTED = "disputed"


class ReasonCategory(StrEnum):
    SIZE_FIT = "size_fit"
    DEFECTIVE = "defective"            # defective or damaged
    NOT_AS_DESCRIBED = "not_as_described"
    WRONG_ITEM = "wrong_item"
    MISSING_PARTS = "missing_parts"
    ARRIVED_LATE = "arrived_late"
    CHANGED_MIND = "changed_mind"
    BETTER_PRICE = "better_price"
    QUALITY = "quality"                # quality below expectations
    OTHER = "other"


# status_reason of a mail a specific parser identified but could not read, read by the generic layer
# instead: stored as parsed, and still counted by the drift alarm.
DEGRADED_PREFIX = "degraded:"


class MessageStatus(StrEnum):
    NEW = "new"            # stored, not parsed yet (a crash between store and parse)
    PARSED = "parsed"      # a parser produced records
    UNMATCHED = "unmatched"  # allowed sender, no parser produced anything (drift alarm input)
    IGNORED = "ignored"    # not from an allow-listed forwarder, or a negative case; reason kept
    FAILED = "failed"      # could not be decoded or a parser raised; error text kept


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str  # ISO 4217, upper case

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            object.__setattr__(self, "amount", Decimal(str(self.amount)))
        object.__setattr__(self, "currency", self.currency.upper())

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


@dataclass(frozen=True, slots=True)
class Item:
    name: str
    quantity: int = 1
    price: Money | None = None       # unit price
    sku: str | None = None


@dataclass(frozen=True, slots=True)
class TrackingRef:
    number: str
    carrier: str | None = None        # carrier code from tracking.carriers (e.g. "ups", "sf")
    direction: Direction = Direction.OUTBOUND
    # False: the carrier's own mail labels it its tracking number, but no format or check digit
    # confirms it (a redacted number, a format the table lacks). Shown as such; never dropped.
    verified: bool = True


@dataclass(frozen=True, slots=True)
class Event:
    """One fact a parser read from one mail. A mail may yield several (multi-parcel mails)."""

    kind: EventKind
    platform: str                      # "amazon", "jd", "taobao", "ups" (carrier-only mails), "schema_org"...
    order_number: str | None = None
    merchant: str | None = None
    occurred_at: datetime | None = None  # tz-aware; when the mail says it happened
    items: tuple[Item, ...] = ()
    total: Money | None = None
    tracking: tuple[TrackingRef, ...] = ()
    expected_delivery: date | None = None
    shipment_status: ShipmentStatus | None = None  # status the mail states for the tracking numbers
    return_case_number: str | None = None  # RMA / 服务单号 / return id when the platform gives one
    return_kind: ReturnKind | None = None
    return_reason: str | None = None   # free text as written (mail or the user's note)
    refund_amount: Money | None = None
    return_shipping_cost: Money | None = None
    merchant_email: str | None = None  # support address, for follow-up drafts
    pickup_code: str | None = None     # 取件码
    detail: str | None = None          # short human text ("Arriving early", "派送中")
    extra: tuple[tuple[str, str], ...] = field(default=())  # small parser-specific facts, sorted pairs
