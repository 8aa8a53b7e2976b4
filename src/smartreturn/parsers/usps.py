"""USPS tracking mails and Informed Delivery digests (usps.com, informeddelivery.usps.com).

"USPS® Expected Delivery on Tuesday, November 25, 2026 arriving by 9:00pm 9400...",
"USPS® Item Out for Delivery", "USPS® Item Delivered, In/At Mailbox", "USPS® Delivery Attempted",
"USPS® Item Available for Pickup", and the Informed Delivery "Daily Digest" (one event per package).
"""

from __future__ import annotations

from typing import ClassVar

from smartreturn.model import EventKind, ShipmentStatus
from smartreturn.parsers.carrier_intl import COMMON_RULES, CarrierMailParser, Rule, rule


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
