"""Tables. Money is Numeric + an ISO currency column; times are tz-aware and stored in UTC.

Every table that parsers write to has a natural key (a unique constraint) so that writes are upserts
and ingesting the same mail twice changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from smartreturn import clock

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Accepts only tz-aware datetimes, stores UTC, returns tz-aware UTC (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: SmartReturn stores tz-aware times only")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    def result_processor(self, dialect, coltype):
        """On SQLite, parse the stored UTC text straight into an aware datetime: the same value as the
        generic path (parse, then ``replace(tzinfo=utc)``) at a fifth of the cost, which matters when
        the rules read some 100,000 timestamps per run. Anything unusual takes the generic path."""
        generic = super().result_processor(dialect, coltype)
        if dialect.name != "sqlite" or generic is None:
            return generic
        parse = datetime.fromisoformat

        def process(value):
            if value is None:
                return None
            try:
                return parse(value + "+00:00")
            except (TypeError, ValueError):
                return generic(value)
        return process


Amount = Numeric(14, 2, asdecimal=True)
Currency = String(3)


def utcnow() -> datetime:
    """When a row is written: bookkeeping only (no rule reads it as "now"); follows a pinned clock."""
    return clock.now()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Message(Base):
    """Every raw mail ever seen: the evidence, kept so later parser fixes can re-parse history."""

    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(998), index=True)  # header value, or "<sha256@smartreturn>"
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the raw bytes
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    source_kind: Mapped[str] = mapped_column(String(16))  # imap / file / maildir / mbox / text
    source_account: Mapped[str | None] = mapped_column(String(255))
    source_folder: Mapped[str | None] = mapped_column(String(255))
    source_uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    source_uid: Mapped[int | None] = mapped_column(BigInteger)
    source_path: Mapped[str | None] = mapped_column(Text)
    from_addr: Mapped[str | None] = mapped_column(String(320), index=True)  # original sender
    forwarded_by: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), index=True)  # model.MessageStatus
    status_reason: Mapped[str | None] = mapped_column(Text)
    parser_name: Mapped[str | None] = mapped_column(String(64))
    parser_version: Mapped[int | None] = mapped_column(Integer)
    parsed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_note: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        Index("ix_messages_source_imap", "source_account", "source_folder", "source_uidvalidity", "source_uid"),
    )


class ImapFolderState(Base):
    """(account, folder, UIDVALIDITY, last UID) per watched folder (paperless-ngx style)."""

    __tablename__ = "imap_folder_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(String(255))
    folder: Mapped[str] = mapped_column(String(255))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    __table_args__ = (UniqueConstraint("account", "folder"),)


class Merchant(Base):
    __tablename__ = "merchants"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    support_email: Mapped[str | None] = mapped_column(String(320))
    language: Mapped[str | None] = mapped_column(String(8))  # zh / en / de, for follow-up drafts
    __table_args__ = (UniqueConstraint("platform", "name"),)


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    order_number: Mapped[str] = mapped_column(String(128))
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"))
    order_date: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # listings sort by it
    currency: Mapped[str | None] = mapped_column(Currency)
    total: Mapped[Decimal | None] = mapped_column(Amount)
    status: Mapped[str] = mapped_column(String(32), default="placed")  # last EventKind seen
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    region: Mapped[str | None] = mapped_column(String(8))  # cn / eu / us / uk ..., for rules
    category: Mapped[str | None] = mapped_column(String(64))
    category_user_set: Mapped[bool] = mapped_column(Boolean, default=False)  # a CLI correction wins
    country: Mapped[str | None] = mapped_column(String(2))  # ISO 3166 of the shop: its legal calendar
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    merchant: Mapped[Merchant | None] = relationship()
    items: Mapped[list["OrderItem"]] = relationship(back_populates="order", order_by="OrderItem.id")
    __table_args__ = (UniqueConstraint("platform", "order_number"),)


class OrderItem(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_price: Mapped[Decimal | None] = mapped_column(Amount)
    currency: Mapped[str | None] = mapped_column(Currency)
    sku: Mapped[str | None] = mapped_column(String(128))
    category: Mapped[str | None] = mapped_column(String(64))
    order: Mapped[Order] = relationship(back_populates="items")
    __table_args__ = (UniqueConstraint("order_id", "name"),)


class ReturnCase(Base):
    __tablename__ = "return_cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    case_number: Mapped[str] = mapped_column(String(128), default="")  # RMA/服务单号; "" = the order's case
    kind: Mapped[str] = mapped_column(String(16), default="return")  # model.ReturnKind
    status: Mapped[str] = mapped_column(String(32), default="requested")  # model.ReturnStatus
    reason_category: Mapped[str | None] = mapped_column(String(32))  # model.ReasonCategory
    reason_text: Mapped[str | None] = mapped_column(Text)
    reason_source: Mapped[str | None] = mapped_column(String(16))  # mail / note / cli
    reason_confidence: Mapped[float | None] = mapped_column()
    reason_user_set: Mapped[bool] = mapped_column(Boolean, default=False)  # a CLI correction wins
    items_text: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # listings sort by it
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    label_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    currency: Mapped[str | None] = mapped_column(Currency)
    expected_refund: Mapped[Decimal | None] = mapped_column(Amount)
    expected_source: Mapped[str | None] = mapped_column(String(16))  # stated (merchant) / paid (prices) / cli
    refunded_amount: Mapped[Decimal | None] = mapped_column(Amount)
    return_shipping_cost: Mapped[Decimal | None] = mapped_column(Amount)
    restocking_fee: Mapped[Decimal | None] = mapped_column(Amount)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    order: Mapped[Order] = relationship()
    __table_args__ = (UniqueConstraint("order_id", "case_number"),)


class Shipment(Base):
    __tablename__ = "shipments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    carrier: Mapped[str] = mapped_column(String(32))  # tracking.carriers code, "unknown" if not known
    tracking_number: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(16), default="outbound")  # model.Direction
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    return_case_id: Mapped[int | None] = mapped_column(ForeignKey("return_cases.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(32), default="pending")  # model.ShipmentStatus
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expected_delivery: Mapped[date | None] = mapped_column(Date)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # listings sort by it
    stuck: Mapped[bool] = mapped_column(Boolean, default=False)
    origin: Mapped[str | None] = mapped_column(String(64))
    destination: Mapped[str | None] = mapped_column(String(64))
    phone_last4: Mapped[str | None] = mapped_column(String(4))  # SF Express via Kuaidi100 needs it
    pickup_code: Mapped[str | None] = mapped_column(String(32))
    # True: a carrier format or check digit confirmed the number; False: only a carrier's mail labels it
    # (redacted, or a format the table lacks); None: not recorded (stored before migration 0006)
    verified: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    provider: Mapped[str | None] = mapped_column(String(32))  # tracking API used for this parcel
    provider_registered: Mapped[bool] = mapped_column(Boolean, default=False)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    __table_args__ = (UniqueConstraint("carrier", "tracking_number"),)


class TrackingEvent(Base):
    __tablename__ = "tracking_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    description: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(32))  # "mail" or a provider name
    raw_code: Mapped[str | None] = mapped_column(String(64))  # the provider's own status code
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    __table_args__ = (UniqueConstraint("shipment_id", "status", "occurred_at"),)


class CaseEvent(Base):
    """The evidence timeline: each parsed event, linked to what it touched and the mail it came from."""

    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)  # position in the parser's output
    kind: Mapped[str] = mapped_column(String(32))  # model.EventKind or "cli:..." / "tracking:..."
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    return_case_id: Mapped[int | None] = mapped_column(ForeignKey("return_cases.id", ondelete="CASCADE"))
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    detail: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[Decimal | None] = mapped_column(Amount)  # refund amount for refund events
    currency: Mapped[str | None] = mapped_column(Currency)
    source: Mapped[str] = mapped_column(String(32), default="mail")  # mail / cli / tracking
    __table_args__ = (UniqueConstraint("message_id", "seq"),)


class Deadline(Base):
    """A deadline computed by a rule, stored with the rule that made it and its confidence."""

    __tablename__ = "deadlines"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # return_window / refund_due / auto_refund ...
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    return_case_id: Mapped[int | None] = mapped_column(ForeignKey("return_cases.id", ondelete="CASCADE"))
    due_on: Mapped[date] = mapped_column(Date, index=True)  # listings and the calendar sort by it
    rule_id: Mapped[str] = mapped_column(String(128))
    anchor: Mapped[str] = mapped_column(String(32))  # order_date / delivery / receipt / merchant_received / stated ...
    confidence: Mapped[str] = mapped_column(String(16))  # known / assumed / stated
    anchor_on: Mapped[date | None] = mapped_column(Date)  # the anchor's date: an assumed one is fixed once
    evidence_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("kind", "order_id", "return_case_id"),)


class StatedDeadline(Base):
    """A date the merchant stated in a mail ("Return window closes on Jan 15, 2027", "请在7天内寄回"):
    the evidence that beats a rule's computed date. The latest statement per (kind, order, case) wins."""

    __tablename__ = "stated_deadlines"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # return_window / ship_by / refund_due ...
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    return_case_id: Mapped[int | None] = mapped_column(ForeignKey("return_cases.id", ondelete="CASCADE"))
    due_on: Mapped[date] = mapped_column(Date)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    quote: Mapped[str] = mapped_column(Text)  # the sentence of the mail, as evidence
    stated_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the mail was sent
    __table_args__ = (UniqueConstraint("kind", "order_id", "return_case_id", "message_id"),)


class Notification(Base):
    """One notification, keyed for exactly-once: recorded as pending before sending, sent after."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    channel: Mapped[str] = mapped_column(String(32))  # digest / push / draft
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending / sending / sent / failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    subject: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ProviderUsage(Base):
    """Calls made to a tracking API per period, so monthly quotas survive restarts."""

    __tablename__ = "provider_usage"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(16))  # "2026-11" (month) or "2026-11-25T12" (hour)
    count: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (UniqueConstraint("provider", "period"),)


class JobState(Base):
    """Last and next run of each scheduler job (digest, tracking poll, reminders)."""

    __tablename__ = "job_state"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class ApiToken(Base):
    """A bearer token for the REST API and the calendar feed; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the secret
    scopes: Mapped[str] = mapped_column(String(128))  # space-separated: read write ingest calendar
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebSession(Base):
    """A signed-in browser: the cookie holds a random id, the table its SHA-256 and the CSRF token."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    username: Mapped[str] = mapped_column(String(255))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Snooze(Base):
    """An agenda item the user put off: hidden (and not reminded) until ``until`` (local date)."""

    __tablename__ = "snoozes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_key: Mapped[str] = mapped_column(String(255), unique=True)  # AgendaItem.key
    until: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoredAgenda(Base):
    """The last agenda built, shared by every process on this store (daemon, web, CLI): valid while
    ``key`` (the store's fingerprint, the local hour and the settings) is the current one."""

    __tablename__ = "agenda_cache"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    body: Mapped[bytes] = mapped_column(LargeBinary)  # zlib-compressed JSON (rules.agenda.agenda_to_json)
