"""Independent check-digit arithmetic for building valid test numbers (not the code under test)."""

from __future__ import annotations


def ups(body15: str) -> str:
    """'1Z' + 15-char body + mod-10 check (letters count (ord - 3) % 10, odd positions doubled)."""
    values = [int(c) if c.isdigit() else (ord(c) - 3) % 10 for c in body15]
    total = sum(v if i % 2 == 0 else 2 * v for i, v in enumerate(values))
    return f"1Z{body15}{(10 - total % 10) % 10}"


def s10(service: str, serial8: str, country: str) -> str:
    weights = (8, 6, 4, 2, 3, 5, 9, 7)
    rest = 11 - sum(int(d) * w for d, w in zip(serial8, weights)) % 11
    check = {10: 0, 11: 5}.get(rest, rest)
    return f"{service}{serial8}{check}{country}"


def fedex12(body11: str) -> str:
    weights = (3, 1, 7) * 4
    total = sum(int(d) * w for d, w in zip(body11, weights))
    return f"{body11}{total % 11 % 10}"


def mod10_31(body: str) -> str:
    """GS1 / USPS IMpb: weight 3 on the rightmost body digit, then 1, 3, ..."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return f"{body}{(10 - total % 10) % 10}"


def dhl_express10(body9: str) -> str:
    return f"{body9}{int(body9) % 7}"


def wrong_last(number: str) -> str:
    """The same number with its last digit changed: a near miss."""
    last = number[-1]
    return number[:-1] + str((int(last) + 1) % 10)


def wrong_digit(number: str, index: int) -> str:
    d = number[index]
    return number[:index] + str((int(d) + 1) % 10) + number[index + 1:]
