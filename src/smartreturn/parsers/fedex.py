"""FedEx tracking updates (TrackingUpdates@fedex.com, FedEx Delivery Manager).

"FedEx Shipment 123456789012: Your package is on its way", "... is scheduled for delivery",
"... is out for delivery", "Your package has been delivered", delivery exceptions, return labels.
FedEx's all-digit numbers (12/15/22/34 digits) are validated with their check digits.
"""

from __future__ import annotations

from typing import ClassVar

from smartreturn.parsers.carrier_intl import CarrierMailParser


class FedexParser(CarrierMailParser):
    name: ClassVar[str] = "fedex"
    version: ClassVar[int] = 1
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ("@fedex.com",)
    carrier: ClassVar[str] = "fedex"
