"""AliExpress: order placed / payment successful, shipped, out for delivery, ready for pickup,
delivered, dispute / return, refund and cancellation mails (international site, EN and DE).

Order numbers are 15-19 digits; parcels travel with Cainiao, 4PX, YunExpress, Yanwen or a postal
operator and usually hand over to a local carrier, so the carrier comes from the logistics line or
from the number itself.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, ClassVar

from smartreturn.mail.message import Email
from smartreturn.model import Direction, Event, EventKind, Item, TrackingRef
from smartreturn.parsers.common_intl import (
    body_text,
    datetime_after,
    find_items,
    guess_carrier,
    label_value,
    parse_money,
)
from smartreturn.parsers.platform_intl import (
    SHIPMENT_STATUS,
    IntlPlatformParser,
    expected_unless_delivered,
    one_per_parcel,
    tracking_refs,
)

_HOSTS = ("aliexpress.com", "aliexpress.us", "aliexpress.ru", "notice.aliexpress.com", "aliexpress.es", "aliexpress.fr")
_NEVER_LOCALS = frozenset(("newsletter", "promotion", "promotions", "marketing", "edm", "no-reply-marketing",
                           "aliexpress-promotion", "feedback", "survey"))
_NEGATIVE = re.compile(
    r"coupon|deals?\b|% off|sale\b|flash|super ?deals|gift|newsletter|price drop|wish ?list|recommend|"
    r"verification|verify|security code|sign[- ]?in|login|password|"
    r"gutschein|rabatt|angebot|confirm (?:receipt|delivery)|empfang bestätigen|awaiting payment|pay now|"
    r"complete (?:your )?payment|unpaid|zahlung ausstehend|jetzt bezahlen|awaiting (?:your )?confirmation|"
    r"auf bestätigung|lokale[nsr]? (?:angebot|lager)|local (?:offer|warehouse)",
    re.IGNORECASE,
)
_UPDATE = "delivery_update"
_CLOSED = "closed"  # "Your order … is closed": after delivery as often as after a cancellation
_BEING_DELIVERED = "being_delivered"
_CANCEL_WORDS = re.compile(r"cancel|storn|annul|refund|erstatt|not (?:been )?paid|nicht bezahlt", re.IGNORECASE)
_HANDED_OVER = re.compile(r"übergeben|handed (?:over )?to|local carrier|lokalen? (?:zusteller|kurier|versand)", re.IGNORECASE)
# Real subjects read "Order 8181234567890123: order shipped", ": package in transit", ": cleared customs",
# ": in your country", ": at delivery center", ": out for delivery", ": delivered", ": is closed" ...
# and, for one parcel, "Package JY26CAA0D000551012: with local carrier", "Package ... has been delivered".
_RULES: tuple[tuple[EventKind | str, str], ...] = (
    (EventKind.REFUND_ISSUED, r"refund (?:has been |was |is )?(?:processed|issued|successful|completed|sent|on its way)|"
                              r"refunded|(?:your|a) refund|refund for order|rückerstattung|erstattung"),
    (EventKind.RETURN_REQUESTED, r"dispute|refund request|return request|return (?:opened|started)|streitfall|"
                                 r"rücksendung|rückgabe|\breturn\b"),
    (_CLOSED, r"\bclosed\b|geschlossen"),
    (EventKind.CANCELLED, r"cancel+ed|storniert|annulée"),
    (EventKind.PICKUP_READY, r"ready for (?:pickup|pick-up|collection)|awaiting (?:pickup|collection)|pick ?up your|"
                             r"abholbereit|abholung"),
    # "Bestellung 8181…: Wird zugestellt" is out for delivery, or only the handover to the local carrier
    (_BEING_DELIVERED, r"wird zugestellt"),
    (EventKind.OUT_FOR_DELIVERY, r"out for delivery|in zustellung|arriving today"),
    (EventKind.DELIVERED, r"\bdelivered\b|has arrived|zugestellt|geliefert|livrée?"),
    (_UPDATE, r"delivery update|lieferupdate"),
    (EventKind.SHIPPED, r"shipped|has been sent|on (?:its|the) way|dispatched|in transit|awaiting delivery|"
                        r"(?:with|collected by|handed (?:over )?to) (?:the |a )?local carrier|"
                        r"cleared customs|in your country|at (?:the )?delivery cent(?:er|re)|arrived at|"
                        r"versandt|versendet|verschickt|unterwegs|zoll|expédiée?|im transit|in ihrem land|zielland|"
                        r"abflugregion|vom kurier abgeholt|neuer lieferstatus|lieferstatus|new delivery status"),
    (EventKind.ORDER_PLACED, r"payment (?:was )?(?:successful|confirmed|received)|order (?:has been )?(?:placed|confirmed|received)|"
                             r"ready to ship|versandbereit|order confirmation|thank(?:s| you) for your (?:order|purchase)|"
                             r"bestellungen wurden bestätigt|"
                             r"zahlung (?:erfolgreich|bestätigt)|bestellung (?:aufgegeben|bestätigt)|bestellbestätigung"),
)
_LATE = re.compile(r"delay|late|verspät|verzöger", re.IGNORECASE)
_RULE_RES = tuple((kind, re.compile(p, re.IGNORECASE)) for kind, p in _RULES)
_ORDER_NO = re.compile(r"(?<!\d)(\d{15,19})(?!\d)")
_ORDER_LABELS = r"order (?:number|no\.?|id|#)|bestellnummer|bestell-nr\.?|numéro de commande|número de pedido"
_STORE_LABELS = r"store|seller|shop|verkäufer|händler|boutique|tienda"
_CARRIER_LABELS = (r"logistics (?:service|company|provider)|shipping (?:method|company|service|carrier)|carrier|"
                   r"delivery (?:company|service)|versanddienstleister|versandart|versandunternehmen|logistik(?:dienst)?")
_TOTAL_LABELS = (r"order total|total (?:amount|paid)|payment amount|amount paid|you paid|order amount|"
                 r"gesamtbetrag|gesamtsumme|zahlungsbetrag|bestellwert|total")
_REFUND_LABELS = (r"refund amount|amount refunded|refunded amount|refund of|refunded|erstattungsbetrag|"
                  r"rückerstattungsbetrag|erstattet|refund")
_DELIVERY_LABELS = (r"estimated delivery(?: date| time)?|expected delivery|delivery (?:estimate|by)|arrives? by|"
                    r"voraussichtliche (?:lieferung|zustellung|zustellzeit|lieferzeit)|lieferung bis")
_DELIVERED_AT = r"delivered(?: on| at)?|zugestellt(?: am)?|delivery time"
_REASON = re.compile(
    r"^(?:(?:dispute|refund|return) reason|reason for (?:the )?(?:dispute|refund|return)|reason|grund)\s*+[:：]?[ \t]*\n?[ \t]*(.+)$",
    re.IGNORECASE | re.MULTILINE,
)
# "Order 8181234567890123: cleared customs" -> "Cleared customs" (the stage a tracking page would show)
_STAGE = re.compile(r"(?:order\s++\d{15,19}|bestellung\s++\d{15,19}|(?:package|packstück)\s++[A-Z0-9]{10,30})\s*+:\s*"
                    r"((?:package in transit|cleared customs|in your country|at (?:the )?delivery cent(?:er|re)|"
                    r"delivery update|out for delivery|with (?:the )?local carrier|paket im transit|in ihrem land|"
                    r"im zielland|vom kurier abgeholt|wird zugestellt|neuer lieferstatus)[^\n]{0,40})", re.IGNORECASE)
# The 2026 mails name the parcel, not the order: "Package JY26CAA0D000551012 has been delivered".
_PACKAGE_NO = re.compile(r"\b(?i:package|packstück|paket)\s+((?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{10,30})\b")
_PICKUP = r"pick-?up code|collection code|abholcode|取件码"


class AliExpressParser(IntlPlatformParser):
    name: ClassVar[str] = "aliexpress"
    version: ClassVar[int] = 2
    senders: ClassVar[tuple[str, ...]] = ("transaction@notice.aliexpress.com",)
    domains: ClassVar[tuple[str, ...]] = _HOSTS
    never_locals: ClassVar[frozenset[str]] = _NEVER_LOCALS
    never_host_prefixes: ClassVar[tuple[str, ...]] = ("mail.", "edm.", "promotion.", "marketing.")
    rules: ClassVar[tuple[tuple[Any, re.Pattern[str]], ...]] = _RULE_RES
    negative: ClassVar[re.Pattern[str]] = _NEGATIVE
    head_chars: ClassVar[int] = 500
    dayfirst: ClassVar[bool] = True
    total_labels: ClassVar[str] = _TOTAL_LABELS
    refund_labels: ClassVar[str] = _REFUND_LABELS
    delivery_labels: ClassVar[str] = _DELIVERY_LABELS
    carrier_labels: ClassVar[str] = _CARRIER_LABELS
    carrier_value: ClassVar[str] = r"[^\n\t]{2,50}"
    reason: ClassVar[re.Pattern[str]] = _REASON
    returning: ClassVar[re.Pattern[str]] = re.compile(r"\breturn|rücksend|rückgabe", re.IGNORECASE)
    case_labels: ClassVar[str | None] = r"dispute (?:id|number)|case (?:id|number)|return (?:id|number)"
    case_value: ClassVar[str] = r"\d{6,20}"
    return_tracking: ClassVar[bool] = True

    def kind_of(self, email: Email) -> Any:
        kind = super().kind_of(email)
        if kind == _CLOSED:
            return EventKind.CANCELLED if _CANCEL_WORDS.search(body_text(email)[:2000]) else None
        if kind == _BEING_DELIVERED:
            return EventKind.SHIPPED if _HANDED_OVER.search(body_text(email)[:2000]) else EventKind.OUT_FOR_DELIVERY
        if kind == _UPDATE:
            return EventKind.DELIVERY_EXCEPTION if _LATE.search(body_text(email)[:2000]) else EventKind.SHIPPED
        return kind

    def base_event(self, email: Email, text: str, kind: EventKind, currency: str) -> Event:
        number = label_value(text, _ORDER_LABELS, r"\d{15,19}")
        if number is None:
            m = _ORDER_NO.search(email.subject or "") or _ORDER_NO.search(text) or _LINK_ORDER.search(email.html or "")
            number = m.group(1) if m else None
        store = label_value(text, _STORE_LABELS, r"[^\n\t]{2,60}")
        if store is None:  # the order card names the shop on a line of its own: "Shenzhen Bright Lighting Store"
            sm = _STORE_LINE.search(text)
            store = sm.group(1).strip() if sm else None
        return Event(kind=kind, platform="aliexpress", order_number=number, merchant=store or "AliExpress",
                     occurred_at=email.received, items=find_items(text, currency) or _price_qty_items(text, currency))

    def shipments(self, email: Email, text: str, base: Event, kind: EventKind, currency: str) -> list[Event]:
        hint = self.labelled_carrier(text)  # only the labelled carrier, never the whole text
        refs = tracking_refs(text, hint, Direction.OUTBOUND, email.html) or tuple(
            TrackingRef(m.group(1), guess_carrier(m.group(1), hint), Direction.OUTBOUND)
            for m in [_PACKAGE_NO.search(email.subject or "") or _PACKAGE_NO.search(text)] if m)
        when = datetime_after(text, _DELIVERED_AT, email.received, dayfirst=True) if kind == EventKind.DELIVERED else None
        stage = _STAGE.search(email.subject or "")
        pickup = kind == EventKind.PICKUP_READY
        return one_per_parcel(replace(
            base, shipment_status=SHIPMENT_STATUS[kind], tracking=refs, occurred_at=when or email.received,
            expected_delivery=expected_unless_delivered(kind, text, _DELIVERY_LABELS, email.received, dayfirst=True),
            pickup_code=label_value(text, _PICKUP, r"[A-Z0-9-]{4,12}") if pickup else None,
            detail=label_value(text, r"pick-?up (?:point|location|station)|abholstation|packstation", r"[^\n\t]{3,80}")
            if pickup else (stage.group(1).strip().capitalize() if stage else None),
        ))


def _price_qty_items(text: str, currency: str) -> tuple[Item, ...]:
    """The order cards: "<title>..." [variant] "€ 1,99x1" (price and quantity on one line)."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    items = []
    for i, line in enumerate(lines):
        m = _PRICE_QTY.match(line)
        if not m or i == 0:
            continue
        above = lines[max(0, i - 2): i]
        # the title is the truncated line ("Beispiel-Kabel USB-C auf..."); a variant may sit below it
        name = next((ln for ln in reversed(above) if ln.endswith(("...", "…"))), None)
        if name is None and len(above) >= 1 and not _NOT_TITLE.search(above[-1]):
            name = above[-1]
        if name and len(name.rstrip(".… ")) >= 3:
            items.append(Item(name=name.rstrip(".… ").strip(), quantity=int(m.group("qty")),
                              price=parse_money(m.group("price"), currency)))
    return tuple(items)


_PRICE_QTY = re.compile(r"^(?P<price>(?:US ?\$|€|\$|£|EUR|USD)\s?\d[\d.,]*(?:\s?€)?|\d[\d.,]*\s?€)\s*+[x×]\s*+(?P<qty>\d{1,3})$")
_NOT_TITLE = re.compile(r"store|shop|aufgegeben|placed on|bestell|order|\$|€|x\d", re.IGNORECASE)
_STORE_LINE = re.compile(r"(?m)^[ \t]*+([A-Z0-9][^\n\t]{1,60}? (?:Store|Shop|Official Store|Flagship Store))[ \t]*$")
_LINK_ORDER = re.compile(r"(?:tradeOrderId|orderId|o_ids)=(\d{15,19})", re.IGNORECASE)
