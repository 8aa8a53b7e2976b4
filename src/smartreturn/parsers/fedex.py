"""FedEx tracking updates (TrackingUpdates@fedex.com, FedEx Delivery Manager).

"FedEx Shipment 123456789012: Your package is on its way", "... is scheduled for delivery",
"... is out for delivery", "Your package has been delivered", delivery exceptions, return labels.
A multi-piece shipment ("Your packages are now out for delivery today") yields one event per piece
of its "TRACKING ID | STATUS" table, not one more for its master tracking number.
FedEx's all-digit numbers (12/15/22/34 digits) are validated with their check digits.
"""

from __future__ import annotations

import re
from typing import ClassVar

from smartreturn.mail.message import Email
from smartreturn.parsers.carrier_intl import CarrierMailParser
from smartreturn.tracking.detect import Detected, normalise_text

# A multi-piece shipment names its master number in the subject and under "MASTER TRACKING NUMBER";
# the parcels are the rows of the "TRACKING ID | STATUS" table.
_MASTER = re.compile(r"master\s+tracking\s*+(?:number|no\.?|id|#)?[\s:]*$", re.IGNORECASE)


class FedexParser(CarrierMailParser):
    name: ClassVar[str] = "fedex"
    version: ClassVar[int] = 2
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ("@fedex.com",)
    carrier: ClassVar[str] = "fedex"

    def numbers(self, email: Email, text: str) -> list[Detected]:
        found = super().numbers(email, text)
        if len(found) < 2:
            return found
        plain = normalise_text(text)
        subject_end = plain.find("\n")
        parcels = [d for d in found if not _only_master(plain, d.number, subject_end)]
        return parcels or found


def _only_master(text: str, number: str, subject_end: int) -> bool:
    """True when ``number`` is written only in the subject line or as the master tracking number."""
    for m in re.finditer(re.escape(number), text):
        if m.start() < subject_end:
            continue
        if not _MASTER.search(text[max(0, m.start() - 40): m.start()]):
            return False
    return True
