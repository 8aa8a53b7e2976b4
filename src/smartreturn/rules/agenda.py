"""What the user should look at today: the contract between the rules engine and notifications.

``build_agenda()`` (rules side) fills it; the digest, pushes and drafts (notify side) render it.
Text fields hold mail-derived text as is: every HTML renderer must escape it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from smartreturn.model import Money


class Urgency(StrEnum):
    URGENT = "urgent"    # act today: window closes within a day, refund overdue, ...
    SOON = "soon"        # act this week
    INFO = "info"        # news: arrived, refunded


class AgendaKind(StrEnum):
    WINDOW_CLOSING = "window_closing"
    SHIP_BY = "ship_by"                        # send the parcel back by ...
    PLATFORM_TIMER = "platform_timer"          # the platform decides if the shop is silent (merchant response, auto-refund)
    DELIVERY_PROBLEM = "delivery_problem"      # a parcel reported an exception / failed attempt today
    REFUND_SHORT = "refund_short"              # less money came back than paid or than the shop said
    REFUND_OVERDUE = "refund_overdue"
    RETURN_STUCK = "return_stuck"              # return parcel not moving
    PARCEL_STUCK = "parcel_stuck"              # outbound parcel not moving
    RECEIVED_NO_REFUND = "received_no_refund"  # delivered to the merchant, no refund yet
    ANOMALY = "anomaly"
    ARRIVED = "arrived"
    REFUNDED = "refunded"
    PARSER_HEALTH = "parser_health"


@dataclass(frozen=True, slots=True)
class AgendaItem:
    key: str                 # stable, for idempotency: e.g. "window_closing:order:12:2026-11-28:d3"
    kind: AgendaKind
    urgency: Urgency
    title: str
    detail: str = ""
    priority: float = 0.0    # higher first
    factors: tuple[tuple[str, float], ...] = ()  # what made the priority, for --by-priority
    order_id: int | None = None
    return_case_id: int | None = None
    shipment_id: int | None = None
    platform: str | None = None
    merchant: str | None = None
    order_number: str | None = None
    item_names: tuple[str, ...] = ()
    due_on: date | None = None
    days_left: int | None = None
    amount: Money | None = None
    action: str = ""         # what to do, for wording in every language (notify/phrases.py): send_back ...
    shop: str | None = None  # the shop's name for the reader (never a parser name)
    platform_name: str | None = None  # the platform a timer belongs to (Taobao ...)


@dataclass(frozen=True, slots=True)
class Agenda:
    generated_at: datetime
    items: tuple[AgendaItem, ...] = ()             # sorted by urgency, then priority (desc)
    money_outstanding: tuple[Money, ...] = ()     # refunds expected but not received, per currency
    parser_health: tuple[tuple[str, int], ...] = field(default=())  # (sender, mails without records)

    def by_urgency(self, urgency: Urgency) -> tuple[AgendaItem, ...]:
        return tuple(item for item in self.items if item.urgency == urgency)

