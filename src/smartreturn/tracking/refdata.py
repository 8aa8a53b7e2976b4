"""The tracking-number reference data (jkeen/tracking_number_data, MIT), vendored under ``data/``.

Each courier file lists number definitions: a regex with named groups (``SerialNumber``,
``CheckDigit``, ``CountryCode``...), a check-digit algorithm with its constants, an optional
``serial_number_format`` (digits to prepend before checking), ``additional`` lookup tables (S10
country -> postal service) and valid / invalid test numbers. See ``data/tracking_number_data/PROVENANCE.md``.

The reference regexes allow whitespace between any two characters (``([0-9]\\s*){8}``). Here they are
compiled in a *compact* form, without the ``\\s*``, and only ever full-matched against a normalised
candidate of at most :data:`MAX_LENGTH` characters: the detector finds the candidates (spaced or not)
with its own linear scan, so no reference regex ever runs over a whole mail body.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from smartreturn.tracking.checkdigits import Checksum, checksum

__all__ = ["MAX_LENGTH", "Definition", "compact_regex", "definitions", "get", "normalise"]

MAX_LENGTH = 40         # longest number any definition accepts (USPS IMpb with 420+ZIP+4: 34)
_DATA = "data/tracking_number_data/couriers"


_SPACES_AND_DASHES = re.compile(r"[\s\-]")


def normalise(number: str) -> str:
    """A number as the compact regexes see it: upper case, without whitespace and dashes."""
    if number.isalnum() and number.isascii():
        return number.upper()
    return _SPACES_AND_DASHES.sub("", number).upper()


def compact_regex(regex: str) -> str:
    """The reference regex without its whitespace allowances, in Python syntax.

    ``\\s*`` and ``\\s`` inside a class are dropped, a literal ``-`` outside a class too (numbers are
    matched without dashes), and ``(?<Name>`` becomes ``(?P<Name>``.
    """
    out: list[str] = []
    i, in_class = 0, False
    while i < len(regex):
        char = regex[i]
        if char == "\\":
            pair = regex[i:i + 2]
            i += 2
            if pair == r"\s":
                if not in_class and regex[i:i + 1] == "*":
                    i += 1
                continue
            out.append(pair)
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "-":
            i += 1
            continue
        out.append(char)
        i += 1
    return re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", "".join(out))


@dataclass(frozen=True, slots=True)
class Lookup:
    name: str                                  # "Courier", "Service Type"
    group: str                                 # the regex group it looks up
    entries: tuple[Mapping[str, Any], ...]
    # the first entry of each "matches" value, and the "matches_regex" entries: (position, entry)
    _exact: Mapping[str, tuple[int, Mapping[str, Any]]] = field(init=False, repr=False, compare=False)
    _regexes: tuple[tuple[int, re.Pattern[str], Mapping[str, Any]], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        exact: dict[str, tuple[int, Mapping[str, Any]]] = {}
        regexes = []
        for position, entry in enumerate(self.entries):
            if "matches" in entry:
                exact.setdefault(entry["matches"], (position, entry))
            if "matches_regex" in entry:
                regexes.append((position, re.compile(entry["matches_regex"]), entry))
        object.__setattr__(self, "_exact", MappingProxyType(exact))
        object.__setattr__(self, "_regexes", tuple(regexes))

    def find(self, value: str) -> Mapping[str, Any] | None:
        """The first entry, in table order, whose "matches" equals ``value`` or whose
        "matches_regex" full-matches it (the S10 country table has ~190 rows: one dict look-up)."""
        exact = self._exact.get(value)
        for position, regex, entry in self._regexes:
            if exact is not None and position >= exact[0]:
                break
            if regex.fullmatch(value):
                return entry
        return exact[1] if exact is not None else None


@dataclass(frozen=True, slots=True)
class Definition:
    key: str                                   # the reference's id, or its name when it has none
    name: str
    courier_code: str                          # the reference's courier code ("ups", "s10", ...)
    courier_name: str
    pattern: re.Pattern[str]                   # compact regex, full-matched against a normalised number
    check: Checksum | None
    prepend: tuple[re.Pattern[str], str] | None  # serial_number_format.prepend_if
    required: tuple[str, ...]                  # lookups that must find the number's value
    lookups: tuple[Lookup, ...]
    tracking_url: str | None                   # "%s" template, as in the data
    valid: tuple[str, ...] = field(default=(), compare=False)
    invalid: tuple[str, ...] = field(default=(), compare=False)

    def match(self, number: str) -> re.Match[str] | None:
        """The match of a normalised number when it has this format and passes its checks."""
        m = self.pattern.fullmatch(number)
        return m if m is not None and self.valid_match(m) else None

    def valid_match(self, m: re.Match[str]) -> bool:
        """Whether a full match of :attr:`pattern` passes the check digit and the required lookups."""
        if self.check is not None:
            serial, check = m.group("SerialNumber"), _group(m, "CheckDigit")
            if serial is None or check is None:
                return False
            if self.prepend is not None and self.prepend[0].search(serial):
                serial = self.prepend[1] + serial
            if not self.check(serial, check):
                return False
        for name in self.required:
            if self.lookup(m, name) is None:
                return False
        return True

    def lookup(self, m: re.Match[str], name: str) -> Mapping[str, Any] | None:
        """The entry of the lookup called ``name`` ("Courier", "Service Type") for this match."""
        for table in self.lookups:
            if table.name == name:
                value = _group(m, table.group)
                return table.find(value) if value is not None else None
        return None


def _group(m: re.Match[str], name: str) -> str | None:
    """The named group's text, None when it did not take part or the regex has no such group."""
    return m.group(name) if name in m.re.groupindex else None


def _definition(courier: Mapping[str, Any], spec: Mapping[str, Any]) -> Definition:
    regex = spec["regex"]
    pattern = re.compile(compact_regex("".join(regex) if isinstance(regex, list) else regex))
    validation = spec.get("validation") or {}
    check = checksum(validation["checksum"]) if validation.get("checksum") else None
    prepend = None
    if rule := (validation.get("serial_number_format") or {}).get("prepend_if"):
        prepend = (re.compile(compact_regex(rule["matches_regex"])), rule["content"])
    lookups = tuple(
        Lookup(a["name"], a["regex_group_name"], tuple(MappingProxyType(e) for e in a["lookup"]))
        for a in spec.get("additional") or ()
    )
    tests = spec.get("test_numbers") or {}
    return Definition(
        key=spec.get("id") or spec["name"],
        name=spec["name"],
        courier_code=courier["courier_code"],
        courier_name=courier["name"],
        pattern=pattern,
        check=check,
        prepend=prepend,
        required=tuple((validation.get("additional") or {}).get("exists", ())),
        lookups=lookups,
        tracking_url=spec.get("tracking_url"),
        valid=tuple(tests.get("valid", ())),
        invalid=tuple(tests.get("invalid", ())),
    )


@cache
def definitions() -> tuple[Definition, ...]:
    """Every definition of the vendored courier files, in file order."""
    found: list[Definition] = []
    folder = resources.files("smartreturn.tracking").joinpath(_DATA)
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.name.endswith(".json"):
            courier = json.loads(path.read_text(encoding="utf-8"))
            found.extend(_definition(courier, spec) for spec in courier["tracking_numbers"])
    return tuple(found)


def get(key: str) -> Definition:
    """The definition with this id (or name, for the few without an id); KeyError if none."""
    for definition in definitions():
        if definition.key == key:
            return definition
    raise KeyError(key)
