"""USPS tracking mails and Informed Delivery digests (usps.com, informeddelivery.usps.com).

"USPS® Expected Delivery on Tuesday, November 25, 2026 arriving by 9:00pm 9400...",
"USPS® Item Out for Delivery", "USPS® Item Delivered, In/At Mailbox", "USPS® Delivery Attempted",
"USPS® Item Available for Pickup", and the Informed Delivery "Daily Digest" (one event per package).
"""

from __future__ import annotations

import re
from typing import ClassVar

from smartreturn.model import EventKind, ShipmentStatus
from smartreturn.parsers.carrier_intl import COMMON_RULES, CarrierMailParser, Rule, rule
from smartreturn.tracking.detect import Detected, normalise_text

# Informed Delivery rows: "From:<tab>WAYFAIR<tab>Tracking Number:<tab>9405…"
_DIGEST_ROW = re.compile(r"^From:\t([^\t\n]+)\t[^\n]*$", re.MULTILINE)
# Informed Delivery section headers: the packages below them share that status.
_SECTION = re.compile(r"^(Arriving Today|Arriving Soon|Arriving Tomorrow|Delivered Today|Delivered)\s*$",
                      re.MULTILINE | re.IGNORECASE)
_SECTION_RULE = {
    "arriving today": Rule(EventKind.OUT_FOR_DELIVERY, ShipmentStatus.OUT_FOR_DELIVERY, re.compile("arriving today")),
    "arriving soon": Rule(EventKind.SHIPPED, ShipmentStatus.IN_TRANSIT, re.compile("arriving soon")),
    "arriving tomorrow": Rule(EventKind.SHIPPED, ShipmentStatus.IN_TRANSIT, re.compile("arriving tomorrow")),
    "delivered today": Rule(EventKind.DELIVERED, ShipmentStatus.DELIVERED, re.compile("delivered today")),
    "delivered": Rule(EventKind.DELIVERED, ShipmentStatus.DELIVERED, re.compile("delivered")),
}


class UspsParser(CarrierMailParser):
    name: ClassVar[str] = "usps"
    version: ClassVar[int] = 2
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ("@usps.com", "@usps.gov")
    carrier: ClassVar[str] = "usps"
    rules: ClassVar[tuple[Rule, ...]] = (
        rule(EventKind.DELIVERY_EXCEPTION, ShipmentStatus.FAILED_ATTEMPT, r"notice left|no access to delivery location"),
        *COMMON_RULES,
        rule(EventKind.SHIPPED, ShipmentStatus.IN_TRANSIT, r"arriving (?:soon|tomorrow)|expected (?:on|by)"),
    )

    def rule_for(self, text: str, number: Detected, mail_rule: Rule) -> Rule:
        """In a digest, the section header above the package ("Arriving Today") gives its status."""
        section = None
        for m in _SECTION.finditer(normalise_text(text)):
            if m.start() < number.start:
                section = m.group(1).lower()
        return _SECTION_RULE[section] if section else mail_rule

    def merchant_for(self, text: str, number: Detected) -> str | None:
        text = normalise_text(text)
        for m in _DIGEST_ROW.finditer(text):
            if m.start() <= number.start < m.end():
                return m.group(1).strip()
        return self.merchant(text)
