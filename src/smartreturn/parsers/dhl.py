"""DHL notifications: DHL Paket / Deutsche Post (German, dhl.de) and DHL Express (dhl.com).

German: "Ihre DHL Sendung kommt heute", "Ihr Paket kommt heute zwischen 13:00 und 16:00 Uhr",
"Ihr Paket wurde zugestellt", "Ihre Sendung liegt zur Abholung bereit", "Ihre DHL Sendung ist
unterwegs", the 2026 template "Ihre <Shop> Sendung kommt heute" (number only in its links);
English DHL Express: "Your DHL Express shipment is on the way", "... has been delivered".
The carrier code is ``dhl_paket`` for DHL Paket / Deutsche Post mails and ``dhl`` for DHL Express.
"""

from __future__ import annotations

import re
from typing import ClassVar

from smartreturn.mail.message import Email
from smartreturn.model import EventKind, ShipmentStatus
from smartreturn.parsers.carrier_intl import COMMON_RULES, CarrierMailParser, Rule, rule
from smartreturn.parsers.common_intl import sender_address

_PAKET_DOMAINS = ("dhl.de", "deutschepost.de")
_GERMAN = re.compile(r"\b(?:Ihre?|Sendung|Paket|zugestellt|heute|Zustellung)\b")
_EXPRESS = re.compile(r"DHL Express|On Demand Delivery|Waybill", re.IGNORECASE)
_FROM_MERCHANT = re.compile(
    r"(?:(?:Sendung|Paket|Lieferung) von|(?:Retoure|Rücksendung) an) ([^\n\t]{2,60}?)(?: kommt| ist| wurde| liegt|[.!]|$)",
    re.MULTILINE,
)
# The 2026 template names the shop between "Ihre" and "Sendung": "Ihre Gewürzhaus Meyer Sendung kommt heute".
_SHOP_SENDUNG = re.compile(
    r"\bIhre[rs]? ((?!DHL\b|neue\b|nächste\b)[^\n\t]{2,60}?) (?:Sendung|Paket|Lieferung)\b"
    r"(?= (?:kommt|ist|wurde|wird|liegt|konnte))"
)


class DhlParser(CarrierMailParser):
    name: ClassVar[str] = "dhl"
    version: ClassVar[int] = 2
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ("@dhl.de", "@dhl.com", "@deutschepost.de")
    carrier: ClassVar[str] = "dhl_paket"
    dayfirst: ClassVar[bool] = True
    rules: ClassVar[tuple[Rule, ...]] = (
        rule(EventKind.PICKUP_READY, ShipmentStatus.PICKUP_READY,
             r"(?:liegt|ist) (?:in|an) (?:der|Ihrer|einer) (?:Packstation|Filiale|Postfiliale|Paketshop)|"
             r"Abholung in"),
        rule(EventKind.SHIPPED, ShipmentStatus.INFO_RECEIVED,
             r"wird (?:bald )?(?:an DHL )?übergeben|wird vorbereitet"),
        *COMMON_RULES,
    )
    expected_labels: ClassVar[str] = (
        CarrierMailParser.expected_labels
        + r"|voraussichtliche Zustellung|voraussichtlich am|voraussichtlich|Zustellung am|Zustelltag|kommt am|kommt"
        r"|erwartete Zustellung|Zustellzeitraum"
    )
    occurred_labels: ClassVar[str] = CarrierMailParser.occurred_labels + r"|zugestellt am|Zustellung erfolgt am|Zustellzeit"

    def carrier_for(self, email: Email, text: str) -> str:
        domain = sender_address(email).rpartition("@")[2]
        if any(domain == d or domain.endswith("." + d) for d in _PAKET_DOMAINS):
            return "dhl_paket"
        if _EXPRESS.search(text) or not _GERMAN.search(text):
            return "dhl"
        return "dhl_paket"

    def merchant(self, text: str) -> str | None:
        m = _FROM_MERCHANT.search(text) or _SHOP_SENDUNG.search(text)
        if m:
            return m.group(1).strip(" *")
        return super().merchant(text)
