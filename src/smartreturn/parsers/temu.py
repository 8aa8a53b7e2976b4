"""Temu: order confirmation, shipped, out for delivery, delivered, return, refund and cancellation
mails from Temu's order sender. Order numbers look like ``PO-211-01234567890123456``; one order
often travels as several parcels, each with its own tracking number."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, ClassVar

from smartreturn.mail.message import Email
from smartreturn.model import Direction, Event, EventKind
from smartreturn.parsers.common_intl import date_after, find_items
from smartreturn.parsers.platform_intl import SHIPMENT_STATUS, IntlPlatformParser, one_per_parcel, tracking_refs

_LOCALS = frozenset(("orders", "order", "transaction", "noreply", "no-reply", "service", "support"))
_NEGATIVE = re.compile(
    r"coupon|credit|deals?\b|% off|sale\b|lightning|free gift|spin|game|farmland|fishland|newsletter|"
    r"price drop|recommend|verification|verify|security code|sign[- ]?in|login|password|"
    r"gutschein|rabatt|angebot|gratis",
    re.IGNORECASE,
)
_RULES = tuple((kind, re.compile(p, re.IGNORECASE)) for kind, p in (
    (EventKind.REFUND_ISSUED, r"refund|rückerstattung|erstattung|remboursement"),
    (EventKind.RETURN_RECEIVED, r"(?:received|erhalten).{0,20}return(?!\s*request)|return (?:was |has been )?received"),
    (EventKind.RETURN_REQUESTED, r"\breturn|rücksendung|rückgabe|retour"),
    (EventKind.CANCELLED, r"cancel+ed|storniert|annulée"),
    (EventKind.OUT_FOR_DELIVERY, r"out for delivery|in zustellung|arriving today"),
    (EventKind.DELIVERED, r"\bdelivered\b|zugestellt|livrée?"),
    (EventKind.SHIPPED, r"shipped|on (?:its|the) way|dispatched|in transit|versandt|versendet|unterwegs|expédiée?"),
    (EventKind.ORDER_PLACED, r"order confirm|thanks for your order|order (?:has been )?(?:placed|received)|"
                             r"bestellbestätigung|bestellung bestätigt|confirmation de commande"),
))
_ORDER_NO = re.compile(r"\b(PO-\d{3}-\d{10,20})\b", re.IGNORECASE)
_PACKAGE_MARK = re.compile(r"^(?:package|parcel|paket|colis)\s++(\d+)\b", re.IGNORECASE | re.MULTILINE)
_TOTAL_LABELS = r"order total|total paid|amount paid|total|gesamtbetrag|gesamtsumme"
_REFUND_LABELS = r"refund amount|amount refunded|refunded|refund of|refund total|erstattungsbetrag|erstattet|refund"
_DELIVERY_LABELS = r"estimated delivery|delivery estimate|arrives? by|expected delivery|voraussichtliche lieferung"
_CARRIER_LABELS = r"carrier|shipping carrier|courier|versanddienstleister|transporteur"
_REASON = re.compile(r"^(?:return reason|reason for (?:the )?(?:return|refund)|reason|grund)\s*+[:：]?[ \t]*\n?[ \t]*(.+)$",
                     re.IGNORECASE | re.MULTILINE)


class TemuParser(IntlPlatformParser):
    name: ClassVar[str] = "temu"
    version: ClassVar[int] = 2
    senders: ClassVar[tuple[str, ...]] = ("orders@order.temu.com", "orders@eu.temu.com", "noreply@temu.com")
    domains: ClassVar[tuple[str, ...]] = ("temu.com",)
    only_locals: ClassVar[frozenset[str] | None] = _LOCALS
    rules: ClassVar[tuple[tuple[Any, re.Pattern[str]], ...]] = _RULES
    negative: ClassVar[re.Pattern[str]] = _NEGATIVE
    total_labels: ClassVar[str] = _TOTAL_LABELS
    refund_labels: ClassVar[str] = _REFUND_LABELS
    delivery_labels: ClassVar[str] = _DELIVERY_LABELS
    carrier_labels: ClassVar[str] = _CARRIER_LABELS
    reason: ClassVar[re.Pattern[str]] = _REASON
    return_tracking: ClassVar[bool] = True

    def base_event(self, email: Email, text: str, kind: EventKind, currency: str) -> Event:
        m = _ORDER_NO.search(email.subject or "") or _ORDER_NO.search(text)
        return Event(kind=kind, platform="temu", order_number=m.group(1).upper() if m else None, merchant="Temu",
                     occurred_at=email.received, items=find_items(text, currency))

    def shipments(self, email: Email, text: str, base: Event, kind: EventKind, currency: str) -> list[Event]:
        """One event per parcel ("Package 1", "Package 2" sections), each with its own tracking and items."""
        marks = list(_PACKAGE_MARK.finditer(text))
        ends = [m.start() for m in marks[1:]] + [len(text)]
        blocks = [text[m.start():end] for m, end in zip(marks, ends, strict=True)] if len(marks) > 1 else [text]
        events = [replace(
            base, shipment_status=SHIPMENT_STATUS[kind],
            tracking=tracking_refs(block, self.labelled_carrier(block) or block, Direction.OUTBOUND,
                                   email.html if len(blocks) == 1 else None),
            items=find_items(block, currency) if len(blocks) > 1 else base.items,
            expected_delivery=None if kind == EventKind.DELIVERED
            else date_after(block, _DELIVERY_LABELS, email.received),
        ) for block in blocks]
        return one_per_parcel(events[0]) if len(events) == 1 else events
