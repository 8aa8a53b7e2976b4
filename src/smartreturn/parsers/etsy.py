"""Etsy: purchase confirmation, shipped, delivered, refund, cancellation and case mails from
Etsy Transactions (the shop sells, Etsy writes the mail; the shop name is the merchant).

Order mail comes from transaction@etsy.com and, since 2025, no-reply@account.etsy.com: "Another package
for your Etsy order is on the way (Receipt #3869977574)", "It's here! Your order from YverInc has been
delivered."
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from smartreturn.mail.message import Email
from smartreturn.model import Event, EventKind, Item
from smartreturn.parsers.common_intl import find_items, label_value
from smartreturn.parsers.platform_intl import IntlPlatformParser

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
_ORDER_NO = re.compile(r"(?:order|receipt|bestellung)\s*+(?:number|no\.?|nr\.?|id)?\s*+[:#]?\s*+#?\s*+(\d{9,12})\b|\((\d{9,12})\)",
                       re.IGNORECASE)
_ITEM_AFTER_ORDER = re.compile(r"(?m)^[ \t]*Order[ \t]*\n[ \t]*+#\d{9,12}[ \t]*\n+[ \t]*([^\n\t]{3,160})$")
_NOT_ITEM = re.compile(r"shipping to|delivered to|track|ship to|total|subtotal|(?<!\W)\W*$", re.IGNORECASE)
_SHOP_FROM_SUBJECT = re.compile(r"\bfrom\s++([A-Za-z0-9][\w-]{1,40})\b")
# "Your order from YverInc is on the way!", "get excited to open your delivery from\nYverInc"
_SHOP_IN_TEXT = re.compile(r"\b(?:order|delivery|purchase|package) from\s*\n?\s*+([A-Za-z0-9][\w-]{1,40})\b")
_TOTAL_LABELS = r"order total|total paid|total|gesamtsumme|gesamtbetrag"
_REFUND_LABELS = r"refund amount|amount refunded|refunded|refund of|refund total|erstattungsbetrag|erstattet"
_DELIVERY_LABELS = r"estimated delivery|estimated arrival|arrives by|expected delivery|voraussichtliche lieferung"
_REASON = re.compile(r"^(?:reason(?: for (?:the )?(?:refund|return|cancell?ation|case))?|grund)\s*+[:：]?[ \t]*\n?[ \t]*(.+)$",
                     re.IGNORECASE | re.MULTILINE)


class EtsyParser(IntlPlatformParser):
    name: ClassVar[str] = "etsy"
    version: ClassVar[int] = 2
    senders: ClassVar[tuple[str, ...]] = ("transaction@etsy.com", "transactions@etsy.com", "no-reply@account.etsy.com")
    # order mail comes from no-reply@account.etsy.com (and transaction@etsy.com); marketing from mail. hosts
    domains: ClassVar[tuple[str, ...]] = ("etsy.com",)
    only_locals: ClassVar[frozenset[str] | None] = _TRANSACTIONAL_LOCALS
    never_host_prefixes: ClassVar[tuple[str, ...]] = ("mail.", "email.", "em.", "news.", "marketing.")
    rules: ClassVar[tuple[tuple[Any, re.Pattern[str]], ...]] = _RULES
    negative: ClassVar[re.Pattern[str]] = _NEGATIVE
    total_labels: ClassVar[str] = _TOTAL_LABELS
    refund_labels: ClassVar[str] = _REFUND_LABELS
    delivery_labels: ClassVar[str] = _DELIVERY_LABELS
    carrier_labels: ClassVar[str] = r"carrier|shipping carrier|shipped (?:with|via)|versanddienstleister"
    reason: ClassVar[re.Pattern[str]] = _REASON
    case_labels: ClassVar[str | None] = r"case (?:number|id|#)"

    def base_event(self, email: Email, text: str, kind: EventKind, currency: str) -> Event:
        m = _ORDER_NO.search(email.subject or "") or _ORDER_NO.search(text)
        shop = label_value(text, r"shop|sold by|seller|verkäufer", r"[A-Za-z0-9][\w-]{1,40}")
        if shop is None:
            sm = _SHOP_FROM_SUBJECT.search(email.subject or "") or _SHOP_IN_TEXT.search(text)
            shop = sm.group(1) if sm else None
        items = find_items(text, currency)
        if not items:  # the 2025 cards: "Order / #4127730951 / <item title>" without quantity or price
            im = _ITEM_AFTER_ORDER.search(text)
            items = (Item(name=im.group(1).strip()),) if im and not _NOT_ITEM.match(im.group(1)) else ()
        return Event(kind=kind, platform="etsy", order_number=(m.group(1) or m.group(2)) if m else None,
                     merchant=shop, occurred_at=email.received, items=items)
