"""Generic fallback: a mail no specific parser knows, but which names a valid tracking number.

Tried after the specific parsers and after schema.org markup. It identifies a mail only when
:func:`smartreturn.tracking.detect.detect` finds a number whose format and check digit fit a carrier
(all-digit numbers also need a carrier name and a tracking keyword nearby), so newsletters full of
digits do not fire. One SHIPPED event per distinct number; the direction is ``return`` when the
words around the number speak of a return ("return label", "Rücksendung", "退货", "退回").
"""

from __future__ import annotations

import re
from typing import ClassVar

from smartreturn.mail.message import Email
from smartreturn.model import Direction, Event, EventKind, TrackingRef
from smartreturn.parsers.carrier_intl import body_text
from smartreturn.tracking.detect import Detected, detect, normalise_text

# Higher than detect()'s default: an ambiguous all-digit number needs a carrier name AND a keyword.
MIN_CONFIDENCE = 0.65
_RETURN_WORDS = re.compile(r"\breturn|rücksend|retoure|退货|退回|寄回|退换", re.IGNORECASE)
_TO_SENDER = re.compile(r"return(?:ed|ing)? to (?:the )?sender|an den Absender|退回发件人|退回寄件人", re.IGNORECASE)
_BEFORE, _AFTER = 200, 80


class TrackingNumberParser:
    name: ClassVar[str] = "tracking_numbers"
    version: ClassVar[int] = 1
    fallback: ClassVar[bool] = True
    senders: ClassVar[tuple[str, ...]] = ()

    def _numbers(self, text: str) -> list[Detected]:
        return detect(text, min_confidence=MIN_CONFIDENCE)

    def identify(self, email: Email) -> bool:
        return bool(self._numbers(body_text(email)))

    def extract(self, email: Email) -> list[Event]:
        text = normalise_text(body_text(email))
        events = []
        for found in self._numbers(text):
            around = text[max(0, found.start - _BEFORE):found.end + _AFTER]
            around = _TO_SENDER.sub(" ", around)
            direction = Direction.RETURN if _RETURN_WORDS.search(around) else Direction.OUTBOUND
            events.append(Event(
                kind=EventKind.SHIPPED,
                platform=found.carrier or "unknown",
                occurred_at=email.received,
                tracking=(TrackingRef(found.number, found.carrier, direction),),
            ))
        return events
