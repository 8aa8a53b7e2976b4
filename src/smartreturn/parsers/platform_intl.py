"""The frame every international platform parser (Amazon, eBay, Shopify, AliExpress, Etsy, Temu) shares.

A platform parser is a subclass of :class:`IntlPlatformParser` that declares its name, senders and
sender domains, its subject rules and the labels of its mails; it overrides only what its mails do
differently (the base event, the shipment or return events). The steps every platform takes in the
same way live here once: which sender is the platform's, identify() that never raises, the order /
shipment / return dispatch, one event per parcel, the return reason and the return label split.
Pure text work on :mod:`smartreturn.parsers.common_intl`, no I/O.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, ClassVar

from smartreturn.mail.message import Email
from smartreturn.model import Direction, Event, EventKind, Money, ReturnKind, ShipmentStatus, TrackingRef
from smartreturn.parsers.common_intl import (
    body_text,
    classify,
    date_after,
    find_money,
    find_tracking,
    guess_carrier,
    label_value,
    note_reason,
    parse_money,
    sender_address,
    tracking_from_links,
)
from smartreturn.parsers.generic import subject_kind

__all__ = [
    "SHIPMENT_STATUS",
    "IntlPlatformParser",
    "default_currency",
    "expected_unless_delivered",
    "one_per_parcel",
    "return_reason",
    "sender_site",
    "tracking_refs",
    "with_label_event",
]

log = logging.getLogger(__name__)

# The shipment kinds of platform mail and the parcel status each announces.
SHIPMENT_STATUS: Mapping[EventKind, ShipmentStatus] = MappingProxyType({
    EventKind.SHIPPED: ShipmentStatus.IN_TRANSIT,
    EventKind.OUT_FOR_DELIVERY: ShipmentStatus.OUT_FOR_DELIVERY,
    EventKind.DELIVERED: ShipmentStatus.DELIVERED,
    EventKind.PICKUP_READY: ShipmentStatus.PICKUP_READY,
    EventKind.DELIVERY_EXCEPTION: ShipmentStatus.EXCEPTION,
})


# --------------------------------------------------------------------------- helpers

def sender_site(
    email: Email,
    domains: tuple[str, ...],
    *,
    never_locals: frozenset[str] = frozenset(),
    only_locals: frozenset[str] | None = None,
    never_host_prefixes: tuple[str, ...] = (),
) -> str | None:
    """The first of ``domains`` the sender belongs to (subdomains too), unless its local part or
    host marks marketing mail. Cheap: for identify()."""
    local, _, host = sender_address(email).partition("@")
    if local in never_locals or (only_locals is not None and local not in only_locals):
        return None
    if never_host_prefixes and host.startswith(never_host_prefixes):
        return None
    return next((d for d in domains if host == d or host.endswith("." + d)), None)


def default_currency(text: str, fallback: str = "USD") -> str:
    """The currency of the first amount in the mail."""
    found = parse_money(text)
    return found.currency if found else fallback


def tracking_refs(text: str, hint: str | None, direction: Direction, html: str | None = None) -> tuple[TrackingRef, ...]:
    """Labelled tracking numbers, carriers guessed with ``hint``; else (with ``html``) the numbers
    in carrier tracking links."""
    refs = tuple(TrackingRef(n, guess_carrier(n, hint), direction) for n in find_tracking(text))
    if refs or html is None:
        return refs
    return link_refs(html, direction)


def link_refs(html: str | None, direction: Direction) -> tuple[TrackingRef, ...]:
    return tuple(TrackingRef(n, c, direction) for n, c in tracking_from_links(html))


def one_per_parcel(event: Event) -> list[Event]:
    """One event per tracking number; the items stay on the first so that nothing counts twice."""
    if len(event.tracking) <= 1:
        return [event]
    return [replace(event, tracking=(ref,), items=event.items if i == 0 else ()) for i, ref in enumerate(event.tracking)]


def return_reason(email: Email, text: str, pattern: re.Pattern[str]) -> str | None:
    """The reason the user wrote above a forward, else the mail's labelled reason (group 1)."""
    reason = note_reason(email)
    if reason is None:
        m = pattern.search(text)
        reason = m.group(1).split("\t")[0].strip() if m else None
    return reason


def expected_unless_delivered(kind: Any, text: str, labels: str, received: datetime, *,
                              dayfirst: bool = False) -> date | None:
    return None if kind == EventKind.DELIVERED else date_after(text, labels, received, dayfirst=dayfirst)


def with_label_event(event: Event) -> list[Event]:
    """A request or approval mail that already carries the return label: the label is its own fact."""
    return [replace(event, tracking=()), replace(event, kind=EventKind.RETURN_LABEL)]


# --------------------------------------------------------------------------- the parser frame

class IntlPlatformParser:
    """identify()/extract() of one platform; subclasses set the class attributes and override the
    steps their mails need (at least :meth:`base_event`)."""

    name: ClassVar[str]
    version: ClassVar[int] = 1
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ()            # transactional senders (the drift alarm counts their misses)
    domains: ClassVar[tuple[str, ...]] = ()            # sender domains (subdomains too), first match wins
    never_locals: ClassVar[frozenset[str]] = frozenset()   # marketing, survey and account senders
    only_locals: ClassVar[frozenset[str] | None] = None    # when set: the only local parts that send orders
    never_host_prefixes: ClassVar[tuple[str, ...]] = ()    # marketing hosts ("mail.", "edm.")
    rules: ClassVar[tuple[tuple[Any, re.Pattern[str]], ...]] = ()  # (kind, subject regex), first match wins
    negative: ClassVar[re.Pattern[str]] = re.compile(r"(?!)")      # account, security, marketing subjects
    head_chars: ClassVar[int] = 600                   # how much of the body decides when the subject does not
    dayfirst: ClassVar[bool] = False
    total_labels: ClassVar[str] = r"order total|total"
    delivery_labels: ClassVar[str] = r"estimated delivery|expected delivery"
    refund_labels: ClassVar[str] = r"refund amount|amount refunded|refunded|refund"
    carrier_labels: ClassVar[str] = r"carrier"
    carrier_value: ClassVar[str] = r"[^\n\t]+"
    reason: ClassVar[re.Pattern[str]] = re.compile(r"^(?:return reason|reason)\s*+[:：]?[ \t]*\n?[ \t]*(.+)$",
                                                   re.IGNORECASE | re.MULTILINE)
    returning: ClassVar[re.Pattern[str]] = re.compile(r"\breturn|rücksend", re.IGNORECASE)
    case_labels: ClassVar[str | None] = None
    case_value: ClassVar[str] = r"\d{6,14}"
    return_tracking: ClassVar[bool] = False            # return mails name the return parcel's tracking

    # --- protocol ----------------------------------------------------------------------------
    def identify(self, email: Email) -> bool:
        try:
            return self.site_of(email) is not None and self.kind_of(email) is not None
        except Exception:  # identify() never raises
            log.exception("%s identify failed", self.name)
            return False

    def extract(self, email: Email) -> list[Event]:
        site = self.site_of(email)
        kind = self.kind_of(email) if site is not None else None
        return self.events(email, site, kind) if site is not None and kind is not None else []

    # --- hooks -------------------------------------------------------------------------------
    def site_of(self, email: Email) -> str | None:
        """The platform's site (domain) that sent the mail, or None when the mail is not ours."""
        return sender_site(email, self.domains, never_locals=self.never_locals, only_locals=self.only_locals,
                           never_host_prefixes=self.never_host_prefixes)

    def kind_of(self, email: Email) -> Any:
        """The kind of the mail from its subject, else from the opening of its body."""
        return classify(email.subject, self.rules, self.negative, head=lambda: body_text(email)[: self.head_chars],
                        fallback=subject_kind)

    def events(self, email: Email, site: str, kind: Any) -> list[Event]:
        text = body_text(email)
        currency = self.currency(text, site)
        base = self.base_event(email, text, kind, currency)
        if kind == EventKind.ORDER_PLACED:
            return self.order_placed(email, text, base, currency)
        if kind in SHIPMENT_STATUS:
            return self.shipments(email, text, base, kind, currency)
        return self.returns(email, text, base, kind, currency)

    def currency(self, text: str, site: str) -> str:
        return default_currency(text)

    def base_event(self, email: Email, text: str, kind: Any, currency: str) -> Event:
        raise NotImplementedError

    def order_placed(self, email: Email, text: str, base: Event, currency: str) -> list[Event]:
        return [replace(base, total=self.total(email, text, currency),
                        expected_delivery=date_after(text, self.delivery_labels, email.received, dayfirst=self.dayfirst))]

    def total(self, email: Email, text: str, currency: str) -> Money | None:
        return find_money(text, self.total_labels, currency, window=40)

    def labelled_carrier(self, text: str) -> str | None:
        """The carrier the mail names after one of :attr:`carrier_labels`."""
        return label_value(text, self.carrier_labels, self.carrier_value)

    def outbound_tracking(self, email: Email, text: str) -> tuple[TrackingRef, ...]:
        """The parcels of a shipment mail: labelled numbers (carrier from the labelled carrier, else
        from the whole text), else the numbers in carrier tracking links."""
        return tracking_refs(text, self.labelled_carrier(text) or text, Direction.OUTBOUND, email.html)

    def shipments(self, email: Email, text: str, base: Event, kind: Any, currency: str) -> list[Event]:
        return one_per_parcel(replace(
            base, shipment_status=SHIPMENT_STATUS[kind], tracking=self.outbound_tracking(email, text),
            expected_delivery=expected_unless_delivered(kind, text, self.delivery_labels, email.received,
                                                        dayfirst=self.dayfirst),
        ))

    def refund_amount(self, text: str, currency: str) -> Money | None:
        return find_money(text, self.refund_labels, currency, window=40)

    def returns(self, email: Email, text: str, base: Event, kind: Any, currency: str) -> list[Event]:
        """Cancellations, returns and refunds."""
        refund = self.refund_amount(text, currency)
        if kind == EventKind.CANCELLED:
            return [replace(base, refund_amount=refund)]
        event = replace(
            base, refund_amount=refund, return_reason=return_reason(email, text, self.reason),
            return_kind=ReturnKind.RETURN if self.returning.search(text) else ReturnKind.REFUND_ONLY,
            return_case_number=label_value(text, self.case_labels, self.case_value) if self.case_labels else None,
        )
        if self.return_tracking and kind != EventKind.REFUND_ISSUED:
            event = replace(event, tracking=tracking_refs(text, self.labelled_carrier(text), Direction.RETURN))
        return [event]
