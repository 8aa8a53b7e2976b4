"""Shopify stores: the shared Shopify notification templates (order confirmation, shipping
confirmation and update, out for delivery, delivered, ready for pickup, order canceled, refund,
return request / approval / label / declined), in English and German.

Each store sends from its own address, so a mail is recognised by Shopify's fingerprints (CDN
images, order-status links ``/<shop id>/orders/<token>``, the template's CSS classes, shopifyemail
relays) together with a transactional subject or opening sentence.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from functools import lru_cache
from typing import Any, ClassVar

from bs4 import BeautifulSoup

from smartreturn.first_chars import guarded, may_match, required_parts
from smartreturn.mail.html import parse_html
from smartreturn.mail.message import Email
from smartreturn.model import Direction, Event, EventKind, Item, Money, ReturnKind, TrackingRef
from smartreturn.parsers.common_intl import (
    carrier_code,
    find_items,
    find_money,
    find_tracking,
    guess_carrier,
    label_value,
    parse_money,
)
from smartreturn.parsers.platform_intl import IntlPlatformParser, link_refs, return_reason, with_label_event
from smartreturn.tracking.detect import detect

_FINGERPRINT_SOURCE = (
    r"cdn\.shopify\.com|shopifycdn|\.myshopify\.com|shopifyemail\.com|//(?:www\.)?shopify\.com/|"
    r"/\d{5,}/orders/[0-9a-f]{24,}|order-list__item|shop-name__text|customer-info__item|"
    r"subtotal-line__value|notification-template"
)
_FINGERPRINT = guarded(_FINGERPRINT_SOURCE, re.IGNORECASE)
_FINGERPRINT_PARTS = required_parts(_FINGERPRINT_SOURCE, re.IGNORECASE)  # a mail without any: no search
# Mail of the big platforms that merely mentions Shopify must not be claimed here.
_OTHER_PLATFORMS = re.compile(r"(?:^|\.)(?:amazon|ebay|aliexpress|etsy|temu|paypal)\.[a-z.]+$")
_NEGATIVE = re.compile(
    r"% off|\bsale\b|discount code|newsletter|new arrivals|back in stock|restock|abandoned|left (?:something|items) in your cart|"
    r"complete your (?:purchase|order)|verification code|login code|"
    r"sign in|password|account (?:invite|activation|confirmation)|activate your account|welcome|gift card|"
    r"rabatt|gutschein|warenkorb|bewert|anmelde|passwort|willkommen",
    re.IGNORECASE,
)
_RULES: tuple[tuple[EventKind, str], ...] = (
    (EventKind.RETURN_REJECTED, r"return\b.{0,40}\b(?:declined|rejected)|rücksendung abgelehnt|retour refusé"),
    (EventKind.RETURN_LABEL, r"return (?:shipping )?label|return instructions|rücksendeetikett|rücksendeanweisungen"),
    (EventKind.RETURN_APPROVED, r"return\b.{0,40}\b(?:approved|accepted)|rücksendung (?:wurde )?(?:genehmigt|akzeptiert)"),
    (EventKind.RETURN_RECEIVED, r"(?:received|erhalten).{0,20}return(?!\s*request)|return (?:was |has been )?received|rücksendung (?:erhalten|eingegangen)"),
    (EventKind.RETURN_REQUESTED, r"return request|return (?:started|submitted|requested)|rücksendeanfrage|rücksendung"),
    (EventKind.REFUND_ISSUED, r"refund|rückerstattung|erstattung|remboursement|reembolso|rimborso|terugbetaling|"
                              r"zwrot (?:pieniędzy|środków)"),
    (EventKind.CANCELLED, r"cancel+ed|canceled|storniert|annulée|cancelad[oa]|annullat[oa]|geannuleerd|anulowane"),
    (EventKind.PICKUP_READY, r"ready for (?:pickup|pick-up|collection)|abholbereit|zur abholung bereit|bereit zur abholung"),
    (EventKind.OUT_FOR_DELIVERY, r"out for delivery|in zustellung|wird heute zugestellt|en cours de livraison|en reparto|"
                                 r"in consegna|wordt vandaag bezorgd|w doręczeniu|saiu para entrega"),
    (EventKind.DELIVERED, r"has been delivered|was delivered|is delivered|\bdelivered\b|zugestellt|geliefert|livrée?|"
                          r"entregad[oa]|consegnat[oa]|bezorgd|dostarczon|foi entregue"),
    (EventKind.SHIPPED, r"shipment from order|is on (?:the|its) way|shipping update|has shipped|shipped|dispatched|"
                        r"versandt|versendet|unterwegs|versandbestätigung|sendung aus bestellung|expédiée?|enviado|"
                        r"expédition de la commande|est en route|envío del pedido|está en camino|spedizione dell'ordine|"
                        r"è in arrivo|spedit[oa]|zending van bestelling|is onderweg|verzonden|przesyłka z zamówienia|"
                        r"jest w drodze|wysłan[aeo]|envio do pedido|a caminho"),
    (EventKind.ORDER_PLACED, r"order .{0,25}confirmed|order confirmation|(?:we(?:'ve| have) )?received your order|order received|thank you for your (?:purchase|order)|"
                             r"bestellung .{0,25}bestätigt|bestellbestätigung|vielen dank für ihren? (?:einkauf|bestellung)|"
                             r"commande .{0,20}confirmée|pedido .{0,20}confirmado|ordine .{0,20}confermato|"
                             r"bestelling .{0,20}bevestigd|zamówienie .{0,30}potwierdzone|merci pour votre achat|"
                             r"gracias por tu compra|grazie per (?:il tuo|l')acquisto|bedankt voor je (?:aankoop|bestelling)"),
)
_RULE_RES = tuple((kind, re.compile(p, re.IGNORECASE)) for kind, p in _RULES)
_ORDER_NO = re.compile(
    r"(?:order|bestellung|commande|pedido|ordine|ordem|bestelling|zamówieni[ea])\s*+(?:number|nr\.?|no\.?|nummer)?\s*+[:]?\s*+#\s?([A-Z0-9][A-Z0-9-]{1,20})\b",
    re.IGNORECASE,
)
_BARE_ORDER_NO = re.compile(r"(?:order|bestellung|commande|pedido)\s++(?:no\.?\s*|nr\.?\s*)?([A-Z]{0,4}\d{3,}[A-Z0-9-]*)\b", re.IGNORECASE)
_TOTAL_LABELS = r"total|gesamtsumme|gesamt|summe|totale|importe total"
_REFUND_SPECIFIC = r"total refund(?:ed)?|refund(?:ed)? total|amount refunded|refunded|erstattungsbetrag|erstattet|rückerstattet"
_REFUND_GENERIC = r"refund(?: amount)?|rückerstattung|erstattung|remboursement|reembolso|rimborso"
_DELIVERY_LABELS = r"estimated delivery(?: date)?|expected delivery|arriving|voraussichtliche (?:lieferung|zustellung)|lieferdatum"
_REASON = re.compile(
    r"^(?:return reason|reason for (?:the )?return|reason|rücksendegrund|grund)\s*+[:：]?[ \t]*\n?[ \t]*(.+)$",
    re.IGNORECASE | re.MULTILINE,
)
_CONTACT = re.compile(r"(?:contact us at|reply to this email or contact us at|kontaktieren sie uns unter|"
                      r"schreiben sie uns an)\s*+:?\s*([\w.+-]{1,64}@[\w-]+(?:\.[\w-]+)+)", re.IGNORECASE)
_LABEL_SIGNS = re.compile(r"return label|print (?:the |your )?label|rücksendeetikett|etikett drucken", re.IGNORECASE)
_PLATFORM_HOSTS = ("shopify.com", "shopifyemail.com")


class ShopifyParser(IntlPlatformParser):
    name: ClassVar[str] = "shopify"
    version: ClassVar[int] = 2
    # Stores send from their own domains; only the relays are fixed.
    senders: ClassVar[tuple[str, ...]] = ("@shopify.com", "@shopifyemail.com", "@t.shopifyemail.com")
    # custom subjects ("Your Allbirds order"): the template's heading decides
    rules: ClassVar[tuple[tuple[Any, re.Pattern[str]], ...]] = _RULE_RES
    negative: ClassVar[re.Pattern[str]] = _NEGATIVE
    delivery_labels: ClassVar[str] = _DELIVERY_LABELS
    reason: ClassVar[re.Pattern[str]] = _REASON

    def site_of(self, email: Email) -> str | None:
        return email.sender_domain if _is_shopify(email) else None

    def currency(self, text: str, site: str) -> str:
        return _currency(text)

    def base_event(self, email: Email, text: str, kind: EventKind, currency: str) -> Event:
        order = _ORDER_NO.search(email.subject or "") or _ORDER_NO.search(text) or _BARE_ORDER_NO.search(email.subject or "")
        return Event(
            kind=kind, platform="shopify", order_number=order.group(1) if order else None, merchant=_shop_name(email),
            occurred_at=email.received, items=_html_items(email.html, currency) or find_items(text, currency),
            merchant_email=_merchant_email(email, text),
        )

    def total(self, email: Email, text: str, currency: str) -> Money | None:
        return _total(email.html, text, currency)

    def outbound_tracking(self, email: Email, text: str) -> tuple[TrackingRef, ...]:
        return _tracking(text, Direction.OUTBOUND, email.html)

    def refund_amount(self, text: str, currency: str) -> Money | None:
        return find_money(text, _REFUND_SPECIFIC, currency, window=40) or find_money(text, _REFUND_GENERIC, currency, window=60)

    def returns(self, email: Email, text: str, base: Event, kind: EventKind, currency: str) -> list[Event]:
        refund = self.refund_amount(text, currency)
        if kind == EventKind.CANCELLED:
            return [replace(base, refund_amount=refund)]
        refs = _tracking(text, Direction.RETURN, email.html) if kind != EventKind.REFUND_ISSUED else ()
        event = replace(
            base, return_kind=ReturnKind.RETURN if kind != EventKind.REFUND_ISSUED or re.search(r"return|rücksend", text, re.I)
            else ReturnKind.REFUND_ONLY,
            return_reason=return_reason(email, text, _REASON), refund_amount=refund, tracking=refs,
        )
        if kind in (EventKind.RETURN_REQUESTED, EventKind.RETURN_APPROVED) and (refs or _LABEL_SIGNS.search(text)):
            return with_label_event(event)
        return [event]


def _is_shopify(email: Email) -> bool:
    host = email.sender_domain
    if _OTHER_PLATFORMS.search(host):
        return False
    if host.endswith(_PLATFORM_HOSTS):
        return True
    if any("shopify" in value.lower() for key, value in email.headers
           if key.lower() in ("received", "return-path", "x-mailer", "list-unsubscribe", "feedback-id", "sender")
           or key.lower().startswith("x-shopify")):
        return True
    return _fingerprint(email.html or "") or _fingerprint(email.text or "")


def _fingerprint(text: str) -> bool:
    return may_match(_FINGERPRINT_PARTS, text, text.lower()) and _FINGERPRINT.search(text) is not None


@lru_cache(maxsize=8)
def _soup(html: str) -> BeautifulSoup:
    """One parse per mail, shared by the read-only lookups below (never modified)."""
    return parse_html(html)


def _currency(text: str) -> str:
    m = re.search(r"\b(USD|EUR|GBP|CAD|AUD|NZD|CHF|SEK|DKK|NOK|PLN|JPY)\b", text)
    if m:
        return m.group(1)
    found = parse_money(text)
    return found.currency if found else "USD"


def _shop_name(email: Email) -> str | None:
    if email.html:
        tag = _soup(email.html).select_one(".shop-name__text")
        if tag and tag.get_text(strip=True):
            return tag.get_text(" ", strip=True)
    return email.from_name or None


def _merchant_email(email: Email, text: str) -> str | None:
    reply_to = email.header("Reply-To")
    if reply_to:
        m = re.search(r"[\w.+-]{1,64}@[\w-]+(?:\.[\w-]+)+", reply_to)
        if m:
            return m.group(0).lower()
    m = _CONTACT.search(text)
    if m:
        return m.group(1).lower()
    if not email.sender_domain.endswith(_PLATFORM_HOSTS) and email.from_addr:
        return email.from_addr
    return None


def _html_items(html: str | None, currency: str) -> tuple[Item, ...]:
    """The template's ``order-list__item`` rows: "Title × 2", variant, line price."""
    if not html or "order-list__item" not in html:
        return ()
    items = []
    for row in _soup(html).select(".order-list__item"):
        title_tag = row.select_one(".order-list__item-title")
        if title_tag is None:
            continue
        title = title_tag.get_text(" ", strip=True)
        m = re.match(r"\A(.+?)(?<!\s)\s*+[×x]\s*+(\d{1,3})$", title)
        name, qty = (m.group(1), int(m.group(2))) if m else (title, 1)
        variant = row.select_one(".order-list__item-variant")
        if variant and variant.get_text(strip=True):
            name = f"{name} ({variant.get_text(' ', strip=True)})"
        price_tag = row.select_one(".order-list__item-price")
        line_price = parse_money(price_tag.get_text(" ", strip=True), currency) if price_tag else None
        unit = Money((line_price.amount / qty).quantize(Decimal("0.01")), line_price.currency) if line_price else None
        items.append(Item(name=name, quantity=qty, price=unit))
    return tuple(items)


def _total(html: str | None, text: str, currency: str) -> Money | None:
    if html and "subtotal-line__value--total" in html:
        tag = _soup(html).select_one(".subtotal-line__value--total")
        if tag:
            found = parse_money(tag.get_text(" ", strip=True), currency)
            if found:
                return found
    m = re.search(r"(?:^|\n)[ \t]*+(?:total|gesamtsumme|gesamt|summe)[ \t:]*([^\n]*)", text, re.IGNORECASE)
    if m:
        found = parse_money(m.group(1), currency)
        if found:
            return found
    return find_money(text, _TOTAL_LABELS, currency, window=40)


def _tracking(text: str, direction: Direction, html: str | None) -> tuple[TrackingRef, ...]:
    if not find_tracking(text):  # only a "Track your shipment" button: read the number from its link
        linked = link_refs(html, direction)
        if linked:
            return linked
        # newer templates print "UPS 1Z…" on a button whose link goes to the shop, not the carrier:
        # numbers that prove themselves (check digits, carrier name beside them)
        return tuple(TrackingRef(d.number, d.carrier, direction) for d in detect(text))
    refs = []
    for number in find_tracking(text):
        line = next((ln for ln in text.split("\n") if number in ln.replace(" ", "").upper()), "")
        hint = line if carrier_code(line) else label_value(text, r"carrier|shipping carrier|versanddienstleister|"
                                                                  r"versandunternehmen|versand mit")
        refs.append(TrackingRef(number, guess_carrier(number, hint), direction))
    return tuple(refs)
