"""Temu: order confirmation, shipped, out for delivery, delivered, return, refund and cancellation
mails from Temu's order sender. Order numbers look like ``PO-211-01234567890123456``; one order
often travels as several parcels, each with its own tracking number."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import ClassVar

from smartreturn.mail.message import Email
from smartreturn.model import Direction, Event, EventKind, ReturnKind, ShipmentStatus, TrackingRef
from smartreturn.parsers.common_intl import (
    body_text,
    classify,
    date_after,
    find_items,
    find_money,
    find_tracking,
    guess_carrier,
    label_value,
    note_reason,
    parse_money,
    sender_address,
    tracking_from_links,
)

log = logging.getLogger(__name__)

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
_STATUS = {EventKind.SHIPPED: ShipmentStatus.IN_TRANSIT, EventKind.OUT_FOR_DELIVERY: ShipmentStatus.OUT_FOR_DELIVERY,
           EventKind.DELIVERED: ShipmentStatus.DELIVERED}
_ORDER_NO = re.compile(r"\b(PO-\d{3}-\d{10,20})\b", re.IGNORECASE)
_PACKAGE_MARK = re.compile(r"^(?:package|parcel|paket|colis)\s+(\d+)\b", re.IGNORECASE | re.MULTILINE)
_TOTAL_LABELS = r"order total|total paid|amount paid|total|gesamtbetrag|gesamtsumme"
_REFUND_LABELS = r"refund amount|amount refunded|refunded|refund of|refund total|erstattungsbetrag|erstattet|refund"
_DELIVERY_LABELS = r"estimated delivery|delivery estimate|arrives? by|expected delivery|voraussichtliche lieferung"
_CARRIER_LABELS = r"carrier|shipping carrier|courier|versanddienstleister|transporteur"
_REASON = re.compile(r"^(?:return reason|reason for (?:the )?(?:return|refund)|reason|grund)\s*[:：]?[ \t]*\n?[ \t]*(.+)$",
                     re.IGNORECASE | re.MULTILINE)


class TemuParser:
    name: ClassVar[str] = "temu"
    version: ClassVar[int] = 2
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ("orders@order.temu.com", "orders@eu.temu.com", "noreply@temu.com")

    def identify(self, email: Email) -> bool:
        try:
            return _is_temu(email) and _classify(email) is not None
        except Exception:
            log.exception("temu identify failed")
            return False

    def extract(self, email: Email) -> list[Event]:
        kind = _classify(email) if _is_temu(email) else None
        return _extract(email, kind) if kind is not None else []


def _is_temu(email: Email) -> bool:
    local, _, host = sender_address(email).partition("@")
    return (host == "temu.com" or host.endswith(".temu.com")) and local in _LOCALS


def _classify(email: Email) -> EventKind | None:
    return classify(email.subject, _RULES, _NEGATIVE, head=lambda: body_text(email)[:600])


def _extract(email: Email, kind: EventKind) -> list[Event]:
    text = body_text(email)
    money = parse_money(text)
    currency = money.currency if money else "USD"
    m = _ORDER_NO.search(email.subject or "") or _ORDER_NO.search(text)
    base = Event(kind=kind, platform="temu", order_number=m.group(1).upper() if m else None, merchant="Temu",
                 occurred_at=email.received, items=find_items(text, currency))
    if kind == EventKind.ORDER_PLACED:
        return [replace(base, total=find_money(text, _TOTAL_LABELS, currency, window=40),
                        expected_delivery=date_after(text, _DELIVERY_LABELS, email.received))]
    if kind in _STATUS:
        return _parcels(email, text, base, kind, currency)
    refund = find_money(text, _REFUND_LABELS, currency, window=40)
    if kind == EventKind.CANCELLED:
        return [replace(base, refund_amount=refund)]
    reason = note_reason(email)
    if reason is None:
        rm = _REASON.search(text)
        reason = rm.group(1).split("\t")[0].strip() if rm else None
    refs = () if kind == EventKind.REFUND_ISSUED else tuple(
        TrackingRef(n, guess_carrier(n, label_value(text, _CARRIER_LABELS)), Direction.RETURN) for n in find_tracking(text))
    returning = re.search(r"\breturn|rücksend", text, re.IGNORECASE)
    return [replace(base, refund_amount=refund, return_reason=reason, tracking=refs,
                    return_kind=ReturnKind.RETURN if returning else ReturnKind.REFUND_ONLY)]


def _parcels(email: Email, text: str, base: Event, kind: EventKind, currency: str) -> list[Event]:
    """One event per parcel ("Package 1", "Package 2" sections), each with its own tracking and items."""
    marks = list(_PACKAGE_MARK.finditer(text))
    ends = [m.start() for m in marks[1:]] + [len(text)]
    blocks = [text[m.start():end] for m, end in zip(marks, ends, strict=True)] if len(marks) > 1 else [text]
    events = []
    for block in blocks:
        hint = label_value(block, _CARRIER_LABELS) or block
        refs = tuple(TrackingRef(n, guess_carrier(n, hint), Direction.OUTBOUND) for n in find_tracking(block))
        if not refs and len(blocks) == 1:
            refs = tuple(TrackingRef(n, c, Direction.OUTBOUND) for n, c in tracking_from_links(email.html))
        events.append(replace(
            base, shipment_status=_STATUS[kind], tracking=refs,
            items=find_items(block, currency) if len(blocks) > 1 else base.items,
            expected_delivery=None if kind == EventKind.DELIVERED
            else date_after(block, _DELIVERY_LABELS, email.received),
        ))
    if len(events) == 1 and len(events[0].tracking) > 1:
        first = events[0]
        return [replace(first, tracking=(ref,), items=first.items if i == 0 else ())
                for i, ref in enumerate(first.tracking)]
    return events
