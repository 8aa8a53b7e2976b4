"""Royal Mail parcel notifications (royalmail.com).

"Your Royal Mail parcel is on its way", "Your parcel is out for delivery today", "Your item has been
delivered", "Something for you" (missed delivery: the card is at the local office), "ready to
collect". Numbers are S10 items ending in GB; dates are day-first.
"""

from __future__ import annotations

from typing import ClassVar

from smartreturn.model import EventKind, ShipmentStatus
from smartreturn.parsers.carrier_intl import COMMON_RULES, CarrierMailParser, Rule, rule


class RoyalMailParser(CarrierMailParser):
    name: ClassVar[str] = "royal_mail"
    version: ClassVar[int] = 2
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ("@royalmail.com", "@royalmail.co.uk")
    carrier: ClassVar[str] = "royal_mail"
    dayfirst: ClassVar[bool] = True
    rules: ClassVar[tuple[Rule, ...]] = (
        rule(EventKind.DELIVERY_EXCEPTION, ShipmentStatus.FAILED_ATTEMPT,
             r"tried to deliver|something for you|we've left a card|fee to pay"),
        *COMMON_RULES,
    )
