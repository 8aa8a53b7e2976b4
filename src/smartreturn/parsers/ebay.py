"""eBay (.com, .co.uk, .de and the other sites): order confirmed, shipped, out for delivery,
delivered, return (request, approval, label, received), refund and cancellation mails.

eBay puts the item title after a colon in the subject ("Order confirmed: Apple AirPods Pro ..."),
so the kind of mail is read from the part before the colon first and the title cannot mislead it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import ClassVar

from smartreturn.mail.forward import strip_subject_prefix
from smartreturn.mail.message import Email
from smartreturn.model import Direction, Event, EventKind, Item, ReturnKind
from smartreturn.parsers.common_intl import (
    body_text,
    classify,
    date_after,
    datetime_after,
    find_items,
    find_money,
    label_value,
    split_by_key,
)
from smartreturn.parsers.platform_intl import (
    SHIPMENT_STATUS,
    IntlPlatformParser,
    expected_unless_delivered,
    one_per_parcel,
    return_reason,
    tracking_refs,
    with_label_event,
)

_SITES: dict[str, str] = {  # domain -> currency
    "ebay.com": "USD", "ebay.co.uk": "GBP", "ebay.de": "EUR", "ebay.fr": "EUR", "ebay.it": "EUR",
    "ebay.es": "EUR", "ebay.at": "EUR", "ebay.ie": "EUR", "ebay.nl": "EUR", "ebay.be": "EUR",
    "ebay.ch": "CHF", "ebay.pl": "PLN", "ebay.ca": "CAD", "ebay.com.au": "AUD",
}
_NEVER_LOCALS = frozenset(("newsletter", "newsletter_en", "newsletter_de", "promotions", "deals", "marketing",
                           "members", "member", "survey", "feedback"))
_NEGATIVE = re.compile(
    r"security code|verification|verify|sign[- ]?in|password|passwort|sicherheitscode|bestätigungscode|"
    r"\bdeals?\b|% off|coupon|gutschein|rabatt|"
    r"watch(?:ed|list)|beobacht|saved search|gespeicherte suche|\bbid\b|gebot|outbid|überboten|"
    r"ending soon|endet bald|recommend|empfehl|price drop|newsletter|new message|neue nachricht|"
    r"sent (?:you )?a message|hat ihnen eine nachricht|question about|frage zu|"
    r"return (?:request )?(?:has been |was )?(?:closed|cancell?ed)|rückgabe (?:wurde )?(?:geschlossen|storniert)",
    re.IGNORECASE,
)
_RULES: tuple[tuple[EventKind, str], ...] = (
    (EventKind.RETURN_REQUESTED, r"refund request|requested a refund|refund requested|return request(?:ed)?\b(?!.{0,40}\b(?:approved|accepted|declined|rejected))|"
                                 r"you(?:'ve| have)? (?:requested|started|opened) a return|return (?:started|opened)|"
                                 r"rückgabe (?:angefordert|beantragt|gestartet)|rücksendung (?:angefordert|beantragt)"),
    (EventKind.REFUND_ISSUED, r"refund|refunded|rückerstattung|erstattung|remboursement|rimborso|reembolso|terugbetaling|"
                              r"zwrot (?:pieniędzy|środków|płatności)"),
    (EventKind.RETURN_RECEIVED, r"received your return|return (?:was |has been )?received|"
                                r"(?:rücksendung|rückgabe) (?:ist )?(?:erhalten|eingegangen)|hat ihre rücksendung erhalten|"
                                r"retour reçu|reçu (?:votre|ton) retour|reso ricevuto|ricevuto il (?:tuo )?reso|"
                                r"devolución recibida|recibido (?:tu|su) devolución|retour ontvangen|zwrot (?:otrzymany|został przyjęty)"),
    (EventKind.RETURN_SHIPPED, r"(?:you )?shipped your return|return (?:is on its way|was shipped|has shipped|in transit)|"
                               r"rücksendung (?:ist )?unterwegs|retour (?:expédié|envoyé)|reso spedito|devolución enviada|retour verzonden|"
                               r"zwrot (?:został )?(?:wysłany|nadany)"),
    (EventKind.RETURN_LABEL, r"return (?:shipping )?label|rücksendeetikett|etiquette de retour|etichetta (?:di|per il) reso|"
                             r"etiqueta de devoluci|retourlabel|etykiet[aę] zwrotn"),
    (EventKind.RETURN_REJECTED, r"return\b.{0,40}\b(?:declined|rejected)|rückgabe abgelehnt"),
    (EventKind.RETURN_APPROVED, r"return\b.{0,40}\b(?:approved|accepted)|accepted your return|"
                                r"rückgabe (?:wurde )?(?:genehmigt|akzeptiert)|retour accepté|reso accettato|devolución aceptada|"
                                r"retour geaccepteerd|zwrot (?:został )?zaakceptowany"),
    (EventKind.RETURN_REQUESTED, r"\breturn|rückgabe|rücksendung|retour|reso\b|devoluci|\bzwrot"),
    (EventKind.CANCELLED, r"cancel|storniert|stornierung|annul"),
    (EventKind.DELIVERY_EXCEPTION, r"delayed|delivery attempt|attempted delivery|verspätet|verzögert|zustellversuch"),
    (EventKind.OUT_FOR_DELIVERY, r"out for delivery|in zustellung|zustellung heute|arriving today|en cours de livraison|"
                                 r"in consegna|en reparto|vandaag bezorgd|w doręczeniu"),
    (EventKind.DELIVERED, r"\bdelivered\b|zugestellt|geliefert|livré|consegnat[oa]|entregado|bezorgd|dostarczon"),
    (EventKind.SHIPPED, r"shipped|on (?:its|the) way|dispatched|posted|versandt|versendet|verschickt|unterwegs|expédié|"
                        r"spedit[oa]|enviado|verzonden|wysłan[oa]"),
    (EventKind.ORDER_PLACED, r"order (?:is )?confirmed|order confirmation|confirmation of your order|we got your order|you(?:'ve| have)? (?:just )?(?:bought|purchased|paid)|"
                             r"thanks for your (?:order|purchase)|bestellung (?:ist )?bestätigt|bestellbestätigung|"
                             r"sie haben .{0,60} gekauft|vielen dank für ihren kauf|commande confirmée|ordine confermato|"
                             r"merci pour votre achat|vous avez acheté|grazie per (?:l'|il tuo )acquisto|hai acquistato|"
                             r"gracias por tu compra|has comprado|bedankt voor je aankoop|dziękujemy za zakup|kupiłeś|kupiłaś"),
)
_RULE_RES = tuple((kind, re.compile(p, re.IGNORECASE)) for kind, p in _RULES)
# Opening sentences of transactional mail whose subject says nothing ("Update on your order").
_BODY_RES = tuple((kind, re.compile(p, re.IGNORECASE)) for kind, p in (
    (EventKind.REFUND_ISSUED, r"(?:we(?:'ve| have)?|has) (?:issued|sent) (?:you )?(?:a |your )?refund|refund (?:has been|was) issued"),
    (EventKind.RETURN_REQUESTED, r"you(?:'ve| have) (?:started|requested|opened) a return"),
    (EventKind.CANCELLED, r"(?:order|purchase) (?:was|has been) cancell?ed"),
    (EventKind.OUT_FOR_DELIVERY, r"is out for delivery"),
    (EventKind.DELIVERED, r"(?:was|has been) delivered|wurde zugestellt"),
    (EventKind.SHIPPED, r"(?:has|have) (?:shipped|posted|dispatched)|is on its way|wurde versandt"),
    (EventKind.ORDER_PLACED, r"your order is confirmed|thanks for your purchase|bestellung ist bestätigt"),
))
_RETURN_KINDS = frozenset((EventKind.RETURN_REQUESTED, EventKind.RETURN_APPROVED, EventKind.RETURN_REJECTED,
                           EventKind.RETURN_LABEL, EventKind.RETURN_SHIPPED, EventKind.RETURN_RECEIVED,
                           EventKind.REFUND_ISSUED))

_ORDER_NO = re.compile(r"\b(\d{2}-\d{5}-\d{5})\b")
_ORDER_LABELS = r"order number|order no\.?|order #|bestellnummer|numéro de commande|numero ordine|número de pedido"
_ITEM_ID_LABELS = r"item (?:id|number|#)|artikelnummer|n° de l'objet|numero oggetto"
_SELLER_LABELS = r"seller|sold by|verkäufer|verkauft von|vendeur|venditore|vendedor"
_TOTAL_LABELS = (r"order total|total charged|total paid|amount paid|you paid|gesamtbetrag|gesamtpreis|bezahlter betrag|"
                 r"summe|total")
_DELIVERY_LABELS = (r"estimated delivery|est\.? delivery|delivery estimate|expected delivery|get it by|arrives by|arrives|"
                    r"delivery by|voraussichtliche (?:lieferung|zustellung)|lieferung voraussichtlich|lieferdatum|"
                    r"livraison estimée|consegna prevista")
_CARRIER_LABELS = (r"carrier|shipping (?:service|carrier|company)|shipped (?:via|with|by)|delivered by|"
                   r"versandservice|versandunternehmen|versand mit|versanddienstleister|transporteur|corriere")
_CASE_LABELS = r"return id|return number|return request id|request id|case (?:id|number)|rücksendenummer|fallnummer|fall-nr\.?"
_REASON = re.compile(
    r"^(?:reason for (?:the )?return|return reason|reason|rückgabegrund|grund der rückgabe|grund|motif|motivo)"
    r"\s*+[:：]?[ \t]*\n?[ \t]*(.+)$",
    re.IGNORECASE | re.MULTILINE,
)
_REFUND_LABELS = (r"refund amount|refund total|total refund|amount refunded|refunded|refund of|you(?:'ll| will) get|"
                  r"erstattungsbetrag|rückerstattungsbetrag|erstattet|erstattung|rückerstattung|refund")
_DELIVERED_AT = r"delivered(?: on)?|zugestellt(?: am)?|geliefert(?: am)?|livré le|consegnato il"
_RETURN_BY = r"ship (?:it|the item|your return) by|return by|send (?:it )?back by|rücksendung bis|zurücksenden bis|bis zum"


class EbayParser(IntlPlatformParser):
    name: ClassVar[str] = "ebay"
    version: ClassVar[int] = 2
    senders: ClassVar[tuple[str, ...]] = tuple(f"ebay@{domain}" for domain in _SITES)
    domains: ClassVar[tuple[str, ...]] = tuple(_SITES)
    never_locals: ClassVar[frozenset[str]] = _NEVER_LOCALS

    def kind_of(self, email: Email) -> EventKind | None:
        subject = strip_subject_prefix(email.subject or "")
        prefix, sep, _title = subject.partition(":")
        if sep and not _NEGATIVE.search(prefix):
            # "Order confirmed: <title>": the words before the colon decide, the title cannot
            kind = classify(prefix, _RULE_RES, _NEGATIVE)
            if kind is not None:
                return kind
        if sep and _NEGATIVE.search(prefix):
            return None
        return classify(subject, _RULE_RES, _NEGATIVE, head=lambda: body_text(email)[:800], body_rules=_BODY_RES)

    def events(self, email: Email, site: str, kind: EventKind) -> list[Event]:
        text = body_text(email)
        currency = _SITES[site]
        dayfirst = site != "ebay.com"
        order = _ORDER_NO.search(text) or _ORDER_NO.search(email.subject)
        seller = label_value(text, _SELLER_LABELS, r"[\w.*-]{2,64}")
        base = Event(
            kind=kind, platform="ebay", order_number=order.group(1) if order else label_value(text, _ORDER_LABELS, r"\d[\d-]{6,}\d"),
            merchant=seller, occurred_at=email.received,
            items=find_items(text, currency) or _items_from_ids(text) or _item_from_subject(email.subject),
        )
        if kind == EventKind.ORDER_PLACED:
            sections = split_by_key(text, _ORDER_NO)
            orders = [(base, text)] if len(sections) == 1 else [  # one checkout, one order per seller
                (replace(base, order_number=number, items=find_items(section, currency),
                         merchant=label_value(section, _SELLER_LABELS, r"[\w.*-]{2,64}") or seller), section)
                for number, section in sections]
            return [replace(order, total=find_money(section, _TOTAL_LABELS, currency, window=40),
                            expected_delivery=date_after(section, _DELIVERY_LABELS, email.received, dayfirst=dayfirst))
                    for order, section in orders]
        hint = label_value(text, _CARRIER_LABELS, r"[A-Za-z][\w .&-]{1,30}") or text
        if kind in SHIPMENT_STATUS:
            when = datetime_after(text, _DELIVERED_AT, email.received, dayfirst=dayfirst) if kind == EventKind.DELIVERED else None
            return one_per_parcel(replace(
                base, shipment_status=SHIPMENT_STATUS[kind], tracking=tracking_refs(text, hint, Direction.OUTBOUND, email.html),
                expected_delivery=expected_unless_delivered(kind, text, _DELIVERY_LABELS, email.received, dayfirst=dayfirst),
                occurred_at=when or email.received,
            ))
        if kind == EventKind.CANCELLED:
            return [replace(base, refund_amount=find_money(text, _REFUND_LABELS, currency))]
        if kind not in _RETURN_KINDS:
            return []
        return_by = date_after(text, _RETURN_BY, email.received, dayfirst=dayfirst)
        refs = tracking_refs(text, hint, Direction.RETURN)
        event = replace(
            base, return_kind=ReturnKind.RETURN, return_reason=return_reason(email, text, _REASON),
            return_case_number=label_value(text, _CASE_LABELS, r"\d[\d-]{5,}"),
            refund_amount=find_money(text, _REFUND_LABELS, currency),
            return_shipping_cost=find_money(text, r"return shipping (?:cost|fee)|rücksendekosten", currency),
            tracking=refs if kind != EventKind.REFUND_ISSUED else (),
            extra=(("return_by", return_by.isoformat()),) if return_by else (),
        )
        if kind in (EventKind.RETURN_REQUESTED, EventKind.RETURN_APPROVED) and refs:
            return with_label_event(event)
        return [event]


def _items_from_ids(text: str) -> tuple[Item, ...]:
    """"<title>" followed by "Item ID: 1234567890" lines (the eBay card layout without a quantity)."""
    items = []
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    for i, line in enumerate(lines):
        m = re.match(rf"(?:{_ITEM_ID_LABELS})\s*+[:#]?\s*+(\d{{9,14}})", line, re.IGNORECASE)
        if m and i > 0:
            name = lines[i - 1].split("\t")[0].strip()
            if len(name) > 3 and not re.match(r"(?:order|bestell|seller|verkäufer|total|price|preis)", name, re.I):
                items.append(Item(name=name, sku=m.group(1)))
    return tuple(items)


def _item_from_subject(subject: str) -> tuple[Item, ...]:
    _prefix, sep, title = (subject or "").partition(":")
    title = title.strip().rstrip(".…").strip()
    return (Item(name=title),) if sep and len(title) > 3 else ()
