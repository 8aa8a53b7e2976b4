"""Check-digit algorithms of the tracking-number reference data (jkeen/tracking_number_data).

Each algorithm takes the serial number and the check digit as the reference regexes capture them
(spaces already removed) plus the constants the definition's ``validation.checksum`` block states,
as its ``CHECKSUM_ALGORITHMS.md`` describes them. :func:`checksum` turns such a block into one
callable. None of them raises: a malformed input is simply not valid.
"""

from __future__ import annotations

import string
from operator import mul
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["Checksum", "checksum", "gs1", "luhn", "mod7", "mod10", "mod_37_36", "s10", "sum_product"]

Checksum = Callable[[str, str], bool]   # (serial number, check digit) -> valid?

_ALNUM = string.digits + string.ascii_uppercase   # value of a character in ISO 7064 MOD 37,36: 0-9, A=10 .. Z=35


# A digit's value; a letter counts (ord - 3) % 10, as UPS and the reference's mod10 count it. Sums run
# as map() over slices of the number: a mail's candidates are checked by the thousand.
_VALUE = {c: int(c) if c.isdigit() else (ord(c) - 3) % 10 for c in string.digits + string.ascii_letters}.__getitem__
_LUHN_DOUBLED = {str(d): 2 * d - 9 if 2 * d > 9 else 2 * d for d in range(10)}.__getitem__


def _digit(check: str) -> int | None:
    return int(check) if len(check) == 1 and check.isdigit() else None


def mod10(serial: str, check: str, *, evens: int = 1, odds: int = 1, reverse: bool = False) -> bool:
    """Weighted sum (``evens`` on positions 0, 2, ..., ``odds`` on 1, 3, ...) completed to a multiple of 10."""
    if _digit(check) is None or not serial.isalnum() or not serial.isascii():
        return False
    chars = serial[::-1] if reverse else serial
    total = sum(map(_VALUE, chars[0::2])) * evens + sum(map(_VALUE, chars[1::2])) * odds
    return (10 - total % 10) % 10 == int(check)


def mod7(serial: str, check: str) -> bool:
    """DHL Express: the serial number modulo 7."""
    return serial.isdigit() and serial.isascii() and _digit(check) == int(serial) % 7


def s10(serial: str, check: str, weights: Sequence[int] = (8, 6, 4, 2, 3, 5, 9, 7)) -> bool:
    """UPU S10: weights 8,6,4,2,3,5,9,7 modulo 11; remainder 1 gives 0 and remainder 0 gives 5."""
    if len(serial) != len(weights) or not serial.isdigit() or not serial.isascii():
        return False
    remainder = sum(map(mul, map(int, serial), weights)) % 11
    expected = {1: 0, 0: 5}.get(remainder, 11 - remainder)
    return _digit(check) == expected


def sum_product(serial: str, check: str, *, weights: Sequence[int], modulo1: int, modulo2: int) -> bool:
    """FedEx: sum of digit x weight, then modulo ``modulo1`` and ``modulo2``."""
    if len(serial) > len(weights) or not serial.isdigit() or not serial.isascii():
        return False
    total = sum(map(mul, map(int, serial), weights))   # (serial no longer than the weights)
    return _digit(check) == total % modulo1 % modulo2


def luhn(serial: str, check: str) -> bool:
    """Luhn: from the right, every other digit doubled (9 subtracted above 9), completed to a multiple of 10."""
    if not serial.isdigit() or not serial.isascii():
        return False
    backwards = serial[::-1]   # from the right: positions 0, 2, ... doubled
    total = sum(map(_LUHN_DOUBLED, backwards[0::2])) + sum(map(int, backwards[1::2]))
    return _digit(check) == (10 - total % 10) % 10


def mod_37_36(serial: str, check: str) -> bool:
    """ISO 7064 MOD 37,36 (DPD parcel labels): the check character is a digit or a letter."""
    mod = 36
    cd = mod
    for char in serial:
        value = _ALNUM.find(char)
        if value < 0:
            return False
        cd += value
        if cd > mod:
            cd -= mod
        cd *= 2
        if cd > mod:
            cd -= mod + 1
    cd = (mod + 1) - cd
    if cd == mod:
        cd = 0
    return check == _ALNUM[cd]


def gs1(serial: str, check: str) -> bool:
    """GS1 (SSCC, GTIN): weight 3 on the digit next to the check digit, then 1, 3, ..."""
    return mod10(serial, check, evens=3, odds=1, reverse=True)


def checksum(spec: Mapping[str, Any]) -> Checksum:
    """The check a definition's ``validation.checksum`` block describes; ValueError for an unknown one."""
    name = spec.get("name")
    if name == "mod10":
        evens, odds = int(spec.get("evens_multiplier", 1)), int(spec.get("odds_multiplier", 1))
        reverse = bool(spec.get("reverse", False))
        return lambda serial, check: mod10(serial, check, evens=evens, odds=odds, reverse=reverse)
    if name == "mod7":
        return mod7
    if name == "s10":
        weights = tuple(spec.get("weightings", (8, 6, 4, 2, 3, 5, 9, 7)))
        return lambda serial, check: s10(serial, check, weights)
    if name == "sum_product_with_weightings_and_modulo":
        weights = tuple(spec["weightings"])
        m1, m2 = int(spec["modulo1"]), int(spec["modulo2"])
        return lambda serial, check: sum_product(serial, check, weights=weights, modulo1=m1, modulo2=m2)
    if name == "luhn":
        return luhn
    if name == "mod_37_36":
        return mod_37_36
    if name == "gs1":
        return gs1
    raise ValueError(f"unknown check-digit algorithm {name!r}")
