"""UPS notification mails (UPS My Choice and shipper notifications from ups.com).

"Your UPS Package was delivered", "UPS Update: Package Scheduled for Delivery Today",
"UPS Update: Package Scheduled for Delivery Tuesday, 11/25/2026", "UPS Ship Notification",
"UPS Pre-Arrival: Your Driver is Arriving Soon!", "UPS Update: New Scheduled Delivery Date",
"UPS Update: Delivery Attempted", return labels. Marketing mail from the same senders carries no
valid tracking number and is not identified.
"""

from __future__ import annotations

from typing import ClassVar

from smartreturn.model import EventKind, ShipmentStatus
from smartreturn.parsers.carrier_intl import COMMON_RULES, CarrierMailParser, Rule, rule


class UpsParser(CarrierMailParser):
    name: ClassVar[str] = "ups"
    version: ClassVar[int] = 2
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ("@ups.com",)
    carrier: ClassVar[str] = "ups"
    rules: ClassVar[tuple[Rule, ...]] = (
        rule(EventKind.PICKUP_READY, ShipmentStatus.PICKUP_READY,
             r"(?:waiting|ready) (?:for you )?(?:for pick ?up )?at (?:a |the |your )?UPS Access Point"),
        # "UPS Pre-Arrival: Your Driver is Arriving Soon! Follow on a Live Map",
        # "UPS Update: Follow Your Delivery on a Live Map"
        rule(EventKind.OUT_FOR_DELIVERY, ShipmentStatus.OUT_FOR_DELIVERY,
             r"pre-arrival|driver is (?:arriving|on (?:the|their|its) way|nearby)|on a live map"),
        *COMMON_RULES,
    )
