"""Etsy: purchase confirmation, shipped, delivered, refund, cancellation and case mails from
Etsy Transactions (the shop sells, Etsy writes the mail; the shop name is the merchant).

Order mail comes from transaction@etsy.com and, since 2025, no-reply@account.etsy.com: "Another package
for your Etsy order is on the way (Receipt #3869977574)", "It's here! Your order from YverInc has been
delivered."
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import ClassVar

from smartreturn.mail.message import Email
from smartreturn.model import Direction, Event, EventKind, Item, ReturnKind, ShipmentStatus, TrackingRef
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

_TRANSACTIONAL_LOCALS = frozenset(("transaction", "transactions", "no-reply", "noreply", "support"))
_NEGATIVE = re.compile(
    r"sign[- ]?in|security code|verification|password|new message|conversation|favou?rite|sale\b|% off|"
    r"coupon|deals?\b|gift (?:guide|ideas)|recommend|newsletter|trending|picks for you|left in your cart",
    re.IGNORECASE,
)
_RULES = tuple((kind, re.compile(p, re.IGNORECASE)) for kind, p in (
    (EventKind.REFUND_ISSUED, r"refund|rückerstattung|erstattung|remboursement"),
    (EventKind.RETURN_REQUESTED, r"case (?:has been )?opened|opened a case|\breturn|rücksendung"),
    (EventKind.CANCELLED, r"cancel+ed|storniert|annulée"),
    (EventKind.OUT_FOR_DELIVERY, r"out for delivery|in zustellung"),
    (EventKind.DELIVERED, r"\bdelivered\b|zugestellt|livrée?"),
    (EventKind.SHIPPED, r"shipped|dispatched|on (?:its|the) way|versandt|expédiée?"),
    (EventKind.ORDER_PLACED, r"your etsy purchase|purchase from|order (?:is )?confirmed|thanks for your (?:order|purchase)|"
                             r"ihr (?:etsy-)?kauf|bestellung bei"),
))
_STATUS = {EventKind.SHIPPED: ShipmentStatus.IN_TRANSIT, EventKind.OUT_FOR_DELIVERY: ShipmentStatus.OUT_FOR_DELIVERY,
           EventKind.DELIVERED: ShipmentStatus.DELIVERED}
_ORDER_NO = re.compile(r"(?:order|receipt|bestellung)\s*(?:number|no\.?|nr\.?|id)?\s*[:#]?\s*#?\s*(\d{9,12})\b|\((\d{9,12})\)",
                       re.IGNORECASE)
_ITEM_AFTER_ORDER = re.compile(r"(?m)^[ \t]*Order[ \t]*\n[ \t]*#\d{9,12}[ \t]*\n+[ \t]*([^\n\t]{3,160})$")
_NOT_ITEM = re.compile(r"shipping to|delivered to|track|ship to|total|subtotal|\W*$", re.IGNORECASE)
_MARKETING_HOSTS = ("mail.", "email.", "em.", "news.", "marketing.")
_SHOP_FROM_SUBJECT = re.compile(r"\bfrom\s+([A-Za-z0-9][\w-]{1,40})\b")
# "Your order from YverInc is on the way!", "get excited to open your delivery from\nYverInc"
_SHOP_IN_TEXT = re.compile(r"\b(?:order|delivery|purchase|package) from\s*\n?\s*([A-Za-z0-9][\w-]{1,40})\b")
_TOTAL_LABELS = r"order total|total paid|total|gesamtsumme|gesamtbetrag"
_REFUND_LABELS = r"refund amount|amount refunded|refunded|refund of|refund total|erstattungsbetrag|erstattet"
_DELIVERY_LABELS = r"estimated delivery|estimated arrival|arrives by|expected delivery|voraussichtliche lieferung"
_REASON = re.compile(r"^(?:reason(?: for (?:the )?(?:refund|return|cancell?ation|case))?|grund)\s*[:：]?[ \t]*\n?[ \t]*(.+)$",
                     re.IGNORECASE | re.MULTILINE)


class EtsyParser:
    name: ClassVar[str] = "etsy"
    version: ClassVar[int] = 2
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ("transaction@etsy.com", "transactions@etsy.com", "no-reply@account.etsy.com")

    def identify(self, email: Email) -> bool:
        try:
            return _is_etsy(email) and _classify(email) is not None
        except Exception:
            log.exception("etsy identify failed")
            return False

    def extract(self, email: Email) -> list[Event]:
        kind = _classify(email) if _is_etsy(email) else None
        return _extract(email, kind) if kind is not None else []


def _is_etsy(email: Email) -> bool:
    local, _, host = sender_address(email).partition("@")
    if host != "etsy.com" and not host.endswith(".etsy.com"):
        return False
    # order mail comes from no-reply@account.etsy.com (and transaction@etsy.com); marketing from mail. hosts
    return local in _TRANSACTIONAL_LOCALS and not host.startswith(_MARKETING_HOSTS)


def _classify(email: Email) -> EventKind | None:
    return classify(email.subject, _RULES, _NEGATIVE, head=lambda: body_text(email)[:600])


def _extract(email: Email, kind: EventKind) -> list[Event]:
    text = body_text(email)
    money = parse_money(text)
    currency = money.currency if money else "USD"
    m = _ORDER_NO.search(email.subject or "") or _ORDER_NO.search(text)
    order = (m.group(1) or m.group(2)) if m else None
    shop = label_value(text, r"shop|sold by|seller|verkäufer", r"[A-Za-z0-9][\w-]{1,40}")
    if shop is None:
        sm = _SHOP_FROM_SUBJECT.search(email.subject or "") or _SHOP_IN_TEXT.search(text)
        shop = sm.group(1) if sm else None
    items = find_items(text, currency)
    if not items:  # the 2025 cards: "Order / #4127730951 / <item title>" without quantity or price
        im = _ITEM_AFTER_ORDER.search(text)
        items = (Item(name=im.group(1).strip()),) if im and not _NOT_ITEM.match(im.group(1)) else ()
    base = Event(kind=kind, platform="etsy", order_number=order, merchant=shop, occurred_at=email.received,
                 items=items)
    if kind == EventKind.ORDER_PLACED:
        return [replace(base, total=find_money(text, _TOTAL_LABELS, currency, window=40),
                        expected_delivery=date_after(text, _DELIVERY_LABELS, email.received))]
    if kind in _STATUS:
        hint = label_value(text, r"carrier|shipping carrier|shipped (?:with|via)|versanddienstleister") or text
        refs = tuple(TrackingRef(n, guess_carrier(n, hint), Direction.OUTBOUND) for n in find_tracking(text)) or tuple(
            TrackingRef(n, c, Direction.OUTBOUND) for n, c in tracking_from_links(email.html))
        event = replace(base, shipment_status=_STATUS[kind], tracking=refs,
                        expected_delivery=None if kind == EventKind.DELIVERED
                        else date_after(text, _DELIVERY_LABELS, email.received))
        if len(refs) > 1:
            return [replace(event, tracking=(ref,), items=base.items if i == 0 else ()) for i, ref in enumerate(refs)]
        return [event]
    refund = find_money(text, _REFUND_LABELS, currency, window=40)
    if kind == EventKind.CANCELLED:
        return [replace(base, refund_amount=refund)]
    reason = note_reason(email)
    if reason is None:
        rm = _REASON.search(text)
        reason = rm.group(1).split("\t")[0].strip() if rm else None
    returning = re.search(r"\breturn|rücksend", text, re.IGNORECASE)
    return [replace(base, refund_amount=refund, return_reason=reason,
                    return_kind=ReturnKind.RETURN if returning else ReturnKind.REFUND_ONLY,
                    return_case_number=label_value(text, r"case (?:number|id|#)", r"\d{6,14}"))]
