"""Goods categories from item names (the word lists of categories.toml): what the statutory
exclusions (fresh, custom-made, digital, newspapers) and Amazon's short holiday window look at. Pure.

A substring match on the lower-cased name, first category in file order wins; linear in the name's
length times the number of words. The user's correction (``order update --category``) always wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def classify_item(name: str, words: Mapping[str, tuple[str, ...]]) -> str | None:
    """The first category whose words occur in ``name``, or None."""
    text = name.casefold()[:500]
    for category, needles in words.items():
        if any(needle in text for needle in needles):
            return category
    return None


def order_category(names: Iterable[str], words: Mapping[str, tuple[str, ...]]) -> str | None:
    """The order's category when every item has the same one (a mixed order has none)."""
    found = {classify_item(name, words) for name in names}
    return found.pop() if len(found) == 1 else None
