"""Check-digit algorithms for tracking numbers.

The carriers the ``tracking-numbers`` package knows (UPS, FedEx, USPS, DHL Express, S10, Amazon) are
validated through it; the few formats it lacks (GS1 SSCC, used by DHL Paket) are written out here.
Every function takes a normalised number (upper case, no spaces) and returns a bool; none raises.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import tracking_numbers
from tracking_numbers.definition import TrackingNumberDefinition

Check = Callable[[str], bool]


@lru_cache(maxsize=None)
def _definitions(courier: str) -> tuple[TrackingNumberDefinition, ...]:
    return tuple(d for d in tracking_numbers.DEFINITIONS if d.courier.code == courier)


def library(courier: str, *products: str) -> Check:
    """A check that passes when one of the package's definitions for ``courier`` validates the number.

    ``products`` narrows it to the named products ("DHL Express", "FedEx Express (12)", ...).
    """
    wanted = {p.lower() for p in products}

    def check(number: str) -> bool:
        for definition in _definitions(courier):
            if wanted and definition.product.name.lower() not in wanted:
                continue
            try:
                result = definition.test(number)
            except (ValueError, IndexError):  # a malformed number must not stop detection
                continue
            if result is not None and result.valid:
                return True
        return False

    check.__name__ = f"library_{courier}"
    return check


def gs1_mod10(number: str) -> bool:
    """GS1 check digit (SSCC, GTIN): weights 3,1,3,... from the right, excluding the check digit."""
    if not number.isdigit() or len(number) < 2:
        return False
    body, check = number[:-1], int(number[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def sscc_with_ai(number: str) -> bool:
    """A 20-digit "00" + SSCC-18 number (DHL Paket's 00340434… Sendungsnummer)."""
    return len(number) == 20 and number.startswith("00") and gs1_mod10(number[2:])



def s10_digit(number: str) -> bool:
    """Only the UPU S10 mod-11 check digit of "XX12345678CYY", whatever the service letters.

    Royal Mail's domestic Tracked 24/48 numbers use the S10 layout with service letters outside the
    UPU list that the package checks ("TT…GB"); the check digit still holds.
    """
    if len(number) != 13 or not number[2:11].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[2:10], (8, 6, 4, 2, 3, 5, 9, 7), strict=True))
    rest = 11 - total % 11
    return {10: 0, 11: 5}.get(rest, rest) == int(number[10])
