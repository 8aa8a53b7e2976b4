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


class UspsParser(CarrierMailParser):
    name: ClassVar[str] = "usps"
    version: ClassVar[int] = 1
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ("@usps.com", "@usps.gov")
    carrier: ClassVar[str] = "usps"
    rules: ClassVar[tuple[Rule, ...]] = (
        rule(EventKind.DELIVERY_EXCEPTION, ShipmentStatus.FAILED_ATTEMPT, r"notice left|no access to delivery location"),
        *COMMON_RULES,
        rule(EventKind.SHIPPED, ShipmentStatus.IN_TRANSIT, r"arriving (?:soon|tomorrow)|expected (?:on|by)"),
    )

    def merchant_for(self, text: str, number: Detected) -> str | None:
        text = normalise_text(text)
        for m in _DIGEST_ROW.finditer(text):
            if m.start() <= number.start < m.end():
                return m.group(1).strip()
        return self.merchant(text)
