"""What one mail may create: at most :data:`MAX_PER_MAIL` tracking numbers, items, orders and events.

Mail comes from anyone. A mail listing 10,000 tracking-number-looking strings must not create 10,000
parcels that every later listing and tracking poll has to carry. No real order or shipping mail comes
near the cap (a big marketplace order lists a few dozen items); what is cut is named in the mail's
status reason, so the user can see it.
"""

from __future__ import annotations

from dataclasses import replace

from smartreturn.model import Event

MAX_PER_MAIL = 50


def cap_events(events: list[Event], limit: int = MAX_PER_MAIL) -> tuple[list[Event], str | None]:
    """The events with at most ``limit`` events, distinct orders, distinct tracking numbers and items;
    and a sentence saying what was cut (None when nothing was)."""
    cut: dict[str, int] = {}
    kept: list[Event] = []
    orders: set[str] = set()
    numbers: set[str] = set()
    items = 0
    for index, event in enumerate(events):
        if len(kept) == limit:
            cut["events"] = len(events) - index
            break
        if event.order_number and event.order_number not in orders:
            if len(orders) == limit:
                cut["orders"] = cut.get("orders", 0) + 1
                continue
            orders.add(event.order_number)
        tracking = []
        for ref in event.tracking:
            if ref.number not in numbers and len(numbers) == limit:
                cut["tracking numbers"] = cut.get("tracking numbers", 0) + 1
                continue
            numbers.add(ref.number)
            tracking.append(ref)
        room = max(0, limit - items)
        if len(event.items) > room:
            cut["items"] = cut.get("items", 0) + len(event.items) - room
        items += min(len(event.items), room)
        if len(tracking) != len(event.tracking) or len(event.items) > room:
            event = replace(event, tracking=tuple(tracking), items=event.items[:room])
        kept.append(event)
    if not cut:
        return events, None
    what = ", ".join(f"{count} more {name}" for name, count in cut.items())
    return kept, f"capped at {limit} per mail: {what} not stored"
