"""schema.org markup -> events: the generic fallback for shops that annotate their mails.

Reads JSON-LD (``<script type="application/ld+json">``, a single object, a list or an ``@graph``)
and microdata (``itemscope``/``itemtype``/``itemprop``) for ``Order`` and ``ParcelDelivery``, the
types Gmail's "email markup" uses for order confirmations and shipping notices:

- ``Order`` -> an event whose kind follows ``orderStatus`` (``OrderProcessing`` -> order_placed,
  ``OrderInTransit`` -> shipped, ``OrderDelivered`` -> delivered, ``OrderCancelled`` -> cancelled,
  ``OrderReturned`` -> return_received ...), with items (``acceptedOffer`` / ``orderedItem``),
  total and merchant (``seller``, or the deprecated ``merchant``).
- ``ParcelDelivery`` (top level, or an Order's ``orderDelivery``) -> shipped / delivered / ... with
  the tracking number, the carrier code, the expected arrival and the order it belongs to
  (``partOfOrder`` or the enclosing Order). An Order whose status is a delivery state and that carries
  deliveries is told by those delivery events only.

Pure: nothing the markup links to (trackingUrl, images, potentialAction URLs) is ever fetched.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from bs4 import BeautifulSoup, Tag
from dateutil import parser as dateutil_parser

from smartreturn.mail.html import parse_html
from smartreturn.mail.message import Email
from smartreturn.model import Event, EventKind, Item, Money, ShipmentStatus, TrackingRef
from smartreturn.tracking import carriers

log = logging.getLogger(__name__)

__all__ = ["SchemaOrgParser", "extract_items_from_html"]

Thing = dict[str, Any]

# orderStatus / deliveryStatus (an OrderStatus, or a DeliveryEvent naming one) -> event kind
_STATUS_KIND: dict[str, EventKind] = {
    "orderpaymentdue": EventKind.ORDER_PLACED,
    "orderprocessing": EventKind.ORDER_PLACED,
    "orderintransit": EventKind.SHIPPED,
    "orderpickupavailable": EventKind.PICKUP_READY,
    "orderdelivered": EventKind.DELIVERED,
    "orderproblem": EventKind.DELIVERY_EXCEPTION,
    "ordercancelled": EventKind.CANCELLED,
    "orderreturned": EventKind.RETURN_RECEIVED,
}
_STATUS_SHIPMENT: dict[str, ShipmentStatus] = {
    "orderprocessing": ShipmentStatus.INFO_RECEIVED,
    "orderintransit": ShipmentStatus.IN_TRANSIT,
    "orderpickupavailable": ShipmentStatus.PICKUP_READY,
    "orderdelivered": ShipmentStatus.DELIVERED,
    "orderproblem": ShipmentStatus.EXCEPTION,
    "orderreturned": ShipmentStatus.RETURNED_TO_SENDER,
}
_KIND_SHIPMENT: dict[EventKind, ShipmentStatus] = {
    EventKind.SHIPPED: ShipmentStatus.IN_TRANSIT,
    EventKind.PICKUP_READY: ShipmentStatus.PICKUP_READY,
    EventKind.DELIVERED: ShipmentStatus.DELIVERED,
    EventKind.DELIVERY_EXCEPTION: ShipmentStatus.EXCEPTION,
}
_DELIVERY_KINDS = frozenset(_KIND_SHIPMENT)
_WANTED = ("order", "parceldelivery")
_LD_JSON = re.compile(r"application/ld\+json", re.IGNORECASE)


class SchemaOrgParser:
    name: ClassVar[str] = "schema_org"
    version: ClassVar[int] = 1
    fallback: ClassVar[bool] = True

    def identify(self, email: Email) -> bool:
        html = email.html
        if not html:
            return False
        lowered = html.lower()
        return "schema.org" in lowered and ("order" in lowered or "parceldelivery" in lowered)

    def extract(self, email: Email) -> list[Event]:
        if not email.html:
            return []
        things = extract_items_from_html(email.html)
        events: list[Event] = []
        for thing in things:
            kind = _type(thing)
            if kind == "order":
                events.extend(_order_events(thing, email))
            elif kind == "parceldelivery":
                events.append(_delivery_event(thing, None, email))
        return list(dict.fromkeys(events))  # JSON-LD and microdata often say the same thing twice


# --- reading the markup -------------------------------------------------------------------------


def extract_items_from_html(html: str) -> list[Thing]:
    """Top-level schema.org things (JSON-LD first, then microdata) as JSON-LD-like dicts."""
    soup = parse_html(html)
    things = list(_json_ld(soup))
    things.extend(_microdata(soup))
    return [t for t in things if _type(t) in _WANTED]


def _json_ld(soup: BeautifulSoup) -> Iterator[Thing]:
    for script in soup.find_all("script", attrs={"type": _LD_JSON}):
        source = (script.string or script.get_text() or "").strip()
        source = re.sub(r"^\s*+(?:<!--|//\s*<!\[CDATA\[)|(?:-->|//\s*\]\]>)\s*$", "", source)
        if not source:
            continue
        try:
            data = json.loads(source)
        except ValueError:
            log.debug("skipping a JSON-LD block that is not valid JSON")
            continue
        yield from _flatten(data)


def _flatten(data: Any) -> Iterator[Thing]:
    if isinstance(data, list):
        for entry in data:
            yield from _flatten(entry)
    elif isinstance(data, dict):
        if "@graph" in data:
            yield from _flatten(data["@graph"])
        else:
            yield data


def _microdata(soup: BeautifulSoup) -> Iterator[Thing]:
    for scope in soup.find_all(attrs={"itemscope": True}):
        if scope.has_attr("itemprop"):
            continue  # a property of an enclosing item, read with it
        yield _microdata_item(scope)


def _microdata_item(scope: Tag) -> Thing:
    item: Thing = {}
    itemtype = scope.get("itemtype")
    if itemtype:
        item["@type"] = itemtype if isinstance(itemtype, str) else " ".join(itemtype)
    for prop_tag in _own_properties(scope):
        value = _microdata_item(prop_tag) if prop_tag.has_attr("itemscope") else _microdata_value(prop_tag)
        for name in str(prop_tag.get("itemprop", "")).split():
            if name in item:
                existing = item[name]
                item[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
            else:
                item[name] = value
    return item


def _own_properties(scope: Tag) -> Iterator[Tag]:
    """Descendants with itemprop that belong to ``scope`` (not to a nested itemscope)."""
    for child in scope.children:
        if not isinstance(child, Tag):
            continue
        if child.has_attr("itemprop"):
            yield child
        if not child.has_attr("itemscope"):
            yield from _own_properties(child)


def _microdata_value(tag: Tag) -> str:
    if tag.has_attr("content"):
        return str(tag["content"]).strip()
    attribute = {"a": "href", "link": "href", "area": "href", "img": "src", "time": "datetime",
                 "data": "value", "meter": "value"}.get(tag.name)
    if attribute and tag.has_attr(attribute):
        return str(tag[attribute]).strip()
    return " ".join(tag.get_text(" ").split())


# --- values --------------------------------------------------------------------------------------


def _type(thing: Any) -> str:
    """Lower-case local type name: 'http://schema.org/ParcelDelivery' -> 'parceldelivery'."""
    if not isinstance(thing, dict):
        return ""
    raw = thing.get("@type") or ""
    if isinstance(raw, list):
        names = [_local(str(r)) for r in raw]
        return next((n for n in names if n in _WANTED), names[0] if names else "")
    return _local(str(raw).split()[0] if str(raw).split() else "")


def _local(value: str) -> str:
    return value.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].strip().lower()


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _many(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str | None:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@id") or value.get("value")
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _status(value: Any) -> str | None:
    value = _first(value)
    if isinstance(value, dict):  # a DeliveryEvent, or an OrderStatus written as an object
        value = value.get("@id") or value.get("name") or value.get("hasDeliveryMethod")
    return _local(str(value)) if value else None


def _decimal(value: Any) -> Decimal | None:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("value", value.get("price"))
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    text = re.sub(r"[^\d,.\-]", "", str(value))
    if "," in text and "." in text:
        text = text.replace(",", "") if text.rfind(".") > text.rfind(",") else text.replace(".", "").replace(",", ".")
    elif "," in text:
        head, _, tail = text.rpartition(",")
        text = f"{head.replace(',', '')}.{tail}" if len(tail) in (1, 2) else text.replace(",", "")
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def _money(amount: Any, currency: Any) -> Money | None:
    value = _decimal(amount)
    code = _text(currency)
    if isinstance(_first(amount), dict):  # MonetaryAmount / PriceSpecification
        spec = _first(amount)
        code = _text(spec.get("currency") or spec.get("priceCurrency")) or code
    if value is None or not code or not re.fullmatch(r"[A-Za-z]{3}", code):
        return None
    return Money(value, code)


def _datetime(value: Any, email: Email) -> datetime | None:
    text = _text(value)
    if not text:
        return None
    try:
        parsed = dateutil_parser.isoparse(text)
    except ValueError:
        try:
            parsed = dateutil_parser.parse(text)
        except (ValueError, OverflowError):
            return None
    if isinstance(parsed, date) and not isinstance(parsed, datetime):
        parsed = datetime.combine(parsed, time())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=email.received.tzinfo)
    return parsed


def _date(value: Any, email: Email) -> date | None:
    parsed = _datetime(value, email)
    return parsed.date() if parsed else None


# --- things -> events ---------------------------------------------------------------------------


def _merchant(order: Thing | None, email: Email) -> str | None:
    if order:
        for key in ("seller", "merchant", "broker"):
            name = _text(order.get(key))
            if name:
                return name
    return email.from_name or None


def _items(order: Thing) -> tuple[Item, ...]:
    items: list[Item] = []
    currency = order.get("priceCurrency")
    for offer in _many(order.get("acceptedOffer")):
        if not isinstance(offer, dict):
            continue
        product = _first(offer.get("itemOffered")) or {}
        name = _text(product) if isinstance(product, dict) else _text(product)
        if not name:
            continue
        quantity = _decimal(offer.get("eligibleQuantity")) or Decimal(1)
        price = _money(offer.get("price") or offer.get("priceSpecification"), offer.get("priceCurrency") or currency)
        sku = _text(product.get("sku")) if isinstance(product, dict) else None
        items.append(Item(name=name, quantity=int(quantity), price=price, sku=sku))
    for ordered in _many(order.get("orderedItem")):
        if not isinstance(ordered, dict):
            continue
        product = _first(ordered.get("orderedItem")) if _type(ordered) == "orderitem" else ordered
        name = _text(product)
        if not name:
            continue
        quantity = _decimal(ordered.get("orderQuantity")) or Decimal(1)
        sku = _text(product.get("sku")) if isinstance(product, dict) else None
        items.append(Item(name=name, quantity=int(quantity), sku=sku))
    return tuple(items)


def _total(order: Thing) -> Money | None:
    currency = order.get("priceCurrency")
    for key in ("totalPaymentDue", "totalPrice", "price", "priceSpecification"):
        if order.get(key) is not None:
            money = _money(order.get(key), currency)
            if money is not None:
                return money
    return None


def _order_events(order: Thing, email: Email) -> list[Event]:
    status = _status(order.get("orderStatus"))
    kind = _STATUS_KIND.get(status or "", EventKind.ORDER_PLACED)
    deliveries = [d for d in _many(order.get("orderDelivery")) if isinstance(d, dict)]
    delivery_events = [_delivery_event(d, order, email, default_kind=kind) for d in deliveries]
    if kind in _DELIVERY_KINDS and delivery_events:
        return delivery_events
    occurred = _datetime(order.get("orderDate"), email) if kind == EventKind.ORDER_PLACED else None
    event = Event(
        kind=kind,
        platform="schema_org",
        order_number=_text(order.get("orderNumber")),
        merchant=_merchant(order, email),
        occurred_at=occurred or email.received,
        items=_items(order),
        total=_total(order),
        shipment_status=_STATUS_SHIPMENT.get(status or "") if kind in _DELIVERY_KINDS else None,
    )
    return [event, *delivery_events]


def _delivery_event(delivery: Thing, order: Thing | None, email: Email, default_kind: EventKind | None = None) -> Event:
    part_of = _first(delivery.get("partOfOrder"))
    order = part_of if isinstance(part_of, dict) else order
    status = _status(delivery.get("deliveryStatus"))
    kind = _STATUS_KIND.get(status or "")
    if kind not in _DELIVERY_KINDS:
        kind = default_kind if default_kind in _DELIVERY_KINDS else EventKind.SHIPPED
    shipment_status = _STATUS_SHIPMENT.get(status or "") or _KIND_SHIPMENT[kind]
    carrier_name = _text(delivery.get("carrier") or delivery.get("provider"))
    carrier = carriers.by_name(carrier_name) if carrier_name else None
    tracking = tuple(
        TrackingRef(number=number, carrier=carrier.code if carrier else None)
        for number in (_text(n) for n in _many(delivery.get("trackingNumber")))
        if number
    )
    items = tuple(
        Item(name=name) for name in (_text(p) for p in _many(delivery.get("itemShipped"))) if name
    ) or (_items(order) if order else ())
    extra = []
    if carrier_name and carrier is None:
        extra.append(("carrier_name", carrier_name))
    return Event(
        kind=kind,
        platform="schema_org",
        order_number=_text(order.get("orderNumber")) if order else None,
        merchant=_merchant(order, email),
        occurred_at=email.received,
        items=items,
        total=_total(order) if order else None,
        tracking=tracking,
        expected_delivery=_date(delivery.get("expectedArrivalUntil") or delivery.get("expectedArrivalFrom"), email),
        shipment_status=shipment_status,
        extra=tuple(sorted(extra)),
    )

