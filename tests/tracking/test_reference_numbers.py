"""The reference data's own test numbers (jkeen/tracking_number_data, vendored): every valid number is
found in a sentence that names its carrier, with that carrier; no invalid number is accepted for it.

The numbers are read from the vendored JSON, spaced forms included (" 1 Z 8 V 9 2 A 7 0 …"); the
expected carrier is the one whose registry entry uses the definition (for S10, the post of the
country code). Counts are asserted too, so a definition silently dropped from the registry fails.
"""

from __future__ import annotations

import pytest

from smartreturn.tracking import refdata
from smartreturn.tracking.carriers import Carrier, all_carriers
from smartreturn.tracking.detect import detect

DEFINITIONS = refdata.definitions()
VALID = [(d, n) for d in DEFINITIONS for n in d.valid]
INVALID = [(d, n) for d in DEFINITIONS for n in d.invalid]


def _owner(definition: refdata.Definition, number: str) -> Carrier | None:
    """The registry carrier that uses this definition for this number (the S10 country's post)."""
    norm = refdata.normalise(number)
    for carrier in all_carriers():
        for fmt in carrier.formats:
            if fmt.definition is definition and fmt.match(norm) is not None:
                return carrier
    return None


def _sentence(carrier: Carrier | None, number: str) -> str:
    name = carrier.name_en if carrier else "Your parcel"
    return f"Hello, your order has shipped. {name} tracking number: {number}\nThank you."


def test_the_vendored_data_is_complete() -> None:
    couriers = {d.courier_code for d in DEFINITIONS}
    assert {"ups", "fedex", "usps", "dhl", "dpd", "s10", "lasership", "ontrac", "purolator", "yodel"} <= couriers
    assert len(VALID) >= 190 and len(INVALID) >= 85


@pytest.mark.parametrize(("definition", "number"), VALID, ids=[f"{d.key}:{n}" for d, n in VALID])
def test_valid_reference_number_is_found_with_its_carrier(definition: refdata.Definition, number: str) -> None:
    carrier = _owner(definition, number)
    found = [(d.number, d.carrier, d.carrier_name) for d in detect(_sentence(carrier, number))]
    norm = refdata.normalise(number)
    if carrier is not None:
        assert (norm, carrier.code) in [(n, c) for n, c, _ in found]
    else:  # an S10 of a post outside the registry: no code, but the post is named
        entry = definition.lookup(definition.match(norm), "Courier")  # type: ignore[arg-type]
        assert (norm, None, entry["courier"]) in found  # type: ignore[index]


@pytest.mark.parametrize(("definition", "number"), INVALID, ids=[f"{d.key}:{n}" for d, n in INVALID])
def test_invalid_reference_number_is_not_accepted_for_its_carrier(definition: refdata.Definition, number: str) -> None:
    codes = {c.code for c in all_carriers() if any(f.definition is definition for f in c.formats)}
    carrier = next(c for c in all_carriers() if c.code in codes) if codes else None
    found = detect(_sentence(carrier, number))
    if number == "331426749957":
        # purolator_alpha's invalid example is a valid Purolator (12) number: accepted as Purolator,
        # rightly, by the other definition of the same carrier
        assert [(d.number, d.carrier) for d in found] == [("331426749957", "purolator")]
        return
    assert not [d for d in found if d.carrier in codes or (definition.key == "s10" and d.carrier is None)]
