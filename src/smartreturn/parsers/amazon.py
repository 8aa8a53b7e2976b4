"""Amazon (.com, .co.uk, .de and the other marketplaces): order, shipment, delivery, return, refund
and cancellation mails, in English and German.

Amazon changes its templates often, so nothing here depends on one layout: the kind of mail comes
from the subject (quoted item titles removed, so an item called "Return Air Filter" cannot mislead),
and the facts from labelled values in the readable body ("Order #", "Quantity:", "Tracking ID",
"Rücksendegrund", "Erstattungsbetrag" ...).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import ClassVar

from smartreturn.mail.forward import strip_subject_prefix
from smartreturn.mail.message import Email
from smartreturn.model import Direction, Event, EventKind, Item, Money, ReturnKind, ShipmentStatus, TrackingRef
from smartreturn.parsers.common_intl import (
    body_text,
    carrier_code,
    date_after,
    datetime_after,
    find_items,
    find_money,
    find_tracking,
    guess_carrier,
    label_value,
    SOFT_NEGATIVE,
    split_by_key,
    text_part,
)
from smartreturn.parsers.generic import subject_kind
from smartreturn.parsers.platform_intl import IntlPlatformParser, link_refs, one_per_parcel, return_reason

_MARKETS: dict[str, str] = {  # domain -> currency
    "amazon.com": "USD", "amazon.co.uk": "GBP", "amazon.de": "EUR", "amazon.fr": "EUR", "amazon.it": "EUR",
    "amazon.es": "EUR", "amazon.nl": "EUR", "amazon.com.be": "EUR", "amazon.ie": "EUR", "amazon.at": "EUR",
    "amazon.se": "SEK", "amazon.pl": "PLN", "amazon.ca": "CAD", "amazon.com.au": "AUD", "amazon.com.mx": "MXN",
    "amazon.com.br": "BRL", "amazon.co.jp": "JPY", "amazon.in": "INR", "amazon.sg": "SGD", "amazon.ae": "AED",
    "amazon.sa": "SAR", "amazon.com.tr": "TRY",
}
# Transactional senders for the drift alarm. identify() accepts any Amazon sender except _NEVER_LOCALS;
# no-reply@ is left out here because it also sends sign-in and account notices.
_LOCALS = ("auto-confirm", "shipment-tracking", "order-update", "return", "returns", "rueckgabe",
           "retours", "payments-messages", "conferma-ordine", "conferma-spedizione", "bestellbestaetigung",
           "versandbestaetigung", "confirmar-envio", "confirmation-commande", "thehub")
# Senders that only send marketing, reviews or account mail.
_NEVER_LOCALS = frozenset(("store-news", "deals", "vfe-campaign-response", "customer-reviews-messages",
                           "account-update", "marketplace-messages", "newsletter", "recommendations",
                           "gc-orders", "prime", "alexa", "kindle-deals", "ebooks-deals"))

_QUOTED = re.compile(r"\"[^\"]*\"|„[^“”\"]*[“”\"]|“[^”]*”|«[^»]*»|'[^']{6,}'")
# Mail that is never about one order: account, security, marketing.
_NEGATIVE = re.compile(
    r"verification code|sign-?in|password|one-time|\botp\b|security alert|unusual activity|delivery code|"
    r"anmelde|passwort|bestätigungscode|sicherheitscode|einmalpasswort|deals?\b|% off|prime day|black friday|"
    r"cyber monday|recommend|empfehl|angebot|newsletter|wish ?list|wunschzettel|wunschliste|price drop|"
    r"preissenkung|subscribe|abonn|survey|umfrage|gift guide|"
    r"return (?:request )?(?:has been |was )?(?:cancell?ed|closed)|rücksendung (?:wurde )?storniert",
    re.IGNORECASE,
)
_EARLY = "arriving_early"
_UPDATE = "delivery_update"
# Order matters: the first rule that matches the (quote-free) subject wins.
_SUBJECT_RULES: tuple[tuple[str, str], ...] = (
    (EventKind.REFUND_ISSUED, r"refund|erstattung|remboursement|rimborso|reembolso|terugbetaling|återbetalning|"
                              r"zwrot (?:pieniędzy|środków|płatności|należności)|iade"),
    (EventKind.RETURN_RECEIVED, r"(?:received|erhalten|eingegangen).{0,40}(?:return|rücksendung|rückgabe)(?!\s*+(?:request|label))|"
                                r"(?:return|rücksendung|rückgabe)(?!\s*+(?:request|label))\b.{0,40}(?:received|erhalten|eingegangen)|"
                                r"retour.{0,40}(?:reçu|ontvangen)|reçu.{0,40}retour|reso.{0,40}ricevut|ricevuto.{0,40}reso|"
                                r"devoluci[oó]n.{0,40}recibid|recibido.{0,40}devoluci|zwrot.{0,40}(?:otrzyma|przyjęt)|"
                                r"retur.{0,40}mottag"),
    (EventKind.RETURN_SHIPPED, r"drop[- ]?off|dropped off|return (?:is )?(?:in transit|on its way)|"
                               r"(?:rücksendung|rückgabe).{0,30}(?:abgegeben|unterwegs)"),
    (EventKind.RETURN_LABEL, r"return (?:shipping )?label|rücksendeetikett|etiquette de retour|etichetta di reso|"
                             r"etiqueta de devoluci|retourlabel|retouretiket|etykiet[aę] zwrotn|returetikett"),
    (EventKind.RETURN_REQUESTED, r"\breturn|rücksendung|rückgabe|retour|\breso\b|devoluci|zwrot|\bretur\b"),
    (EventKind.CANCELLED, r"cancel|storniert|stornierung|annul"),
    (EventKind.PICKUP_READY, r"ready for (?:pick-?up|collection)|package to pick up|abholbereit|zur abholung|"
                             r"hub locker|amazon counter|abholstation"),
    (EventKind.DELIVERY_EXCEPTION, r"delivery attempt|attempted delivery|zustellversuch|delayed|running late|"
                                   r"verspätet|verzögert|could not be delivered|nicht zugestellt|problem with (?:your )?delivery|"
                                   r"may be lost|lieferproblem"),
    (EventKind.EXCHANGE_SHIPPED, r"replacement.{0,40}(?:shipped|dispatched|on (?:its|the) way)|"
                                 r"(?:ersatz|umtausch).{0,40}(?:versandt|verschickt|unterwegs)"),
    (_UPDATE, r"delivery update|lieferupdate|aktualisierung (?:zur|ihrer) lieferung"),
    (EventKind.OUT_FOR_DELIVERY, r"out for delivery|in zustellung|zustellung heute|heute zugestellt|"
                                 r"wird heute (?:geliefert|zugestellt)|arriving today|kommt heute|"
                                 r"en cours de livraison|in consegna|en reparto|w doręczeniu|"
                                 r"(?:wordt )?vandaag bezorgd|levereras idag|ute för leverans|"
                                 r"arrive aujourd'hui|arriva oggi|llega hoy|se entregará hoy"),
    (EventKind.DELIVERED, r"\bdelivered\b|zugestellt|geliefert|livré|consegna effettuata|consegnato|entregado|"
                          r"dostarczon|bezorgd|levererad|levererat|teslim edildi"),
    (_EARLY, r"arriving early|arrive early|arriving earlier|arrives early|früher als|kommt früher|früher an|"
             r"now arriving"),
    (EventKind.SHIPPED, r"shipped|dispatched|versandt|versendet|verschickt|on (?:its|the) way|unterwegs|expédié|"
                        r"spedit[oa]|enviado|expedido|wysłan[oa]|verzonden|onderweg|skickad|skickat|kargoya verildi"),
    (EventKind.ORDER_PLACED, r"ordered\b|order confirm|your amazon\S* (?:fresh )?order|thanks? (?:you )?for (?:your order|shopping)|"
                             r"bestellt\b|bestellbestätigung|ihre (?:amazon\S* )?bestellung|deine bestellung|"
                             r"commandé|confirmation de commande|ordinato|conferma d'ordine|pedido realizado|zamówiono|"
                             r"votre commande amazon|merci pour votre commande|il tuo ordine amazon|grazie per il tuo ordine|"
                             r"tu pedido de amazon|gracias por tu pedido|confirmación de pedido|je bestelling bij amazon|"
                             r"bedankt voor je bestelling|bestelbevestiging|twoje zamówienie|potwierdzenie zamówienia|"
                             r"din beställning|orderbekräftelse|siparişiniz alındı"),
)
_SUBJECT_RES = tuple((kind, re.compile(p, re.IGNORECASE)) for kind, p in _SUBJECT_RULES)
# Sentences that only a transactional body opens with (for mails whose subject was lost or rewritten).
_BODY_RULES: tuple[tuple[str, str], ...] = (
    (EventKind.REFUND_ISSUED, r"(?:issued|processed|initiated) (?:a |your )?refund|refund (?:of|total|amount)|"
                              r"erstattung (?:in höhe|von|veranlasst)|erstattungsbetrag"),
    (EventKind.RETURN_RECEIVED, r"(?:we(?:'ve| have)? received|wir haben) (?:your |ihre )?(?:return|rücksendung)"),
    (EventKind.RETURN_REQUESTED, r"your return (?:request|is|has)|return reason|rücksendegrund|ihre rücksendung"),
    (EventKind.CANCELLED, r"(?:has|have) been (?:successfully )?cancell?ed|wurde storniert"),
    (EventKind.PICKUP_READY, r"ready for pick-?up|pickup code is|abholcode"),
    (EventKind.OUT_FOR_DELIVERY, r"is out for delivery|ist in zustellung"),
    (EventKind.DELIVERED, r"(?:was|been|has been) delivered|wurde zugestellt"),
    (_EARLY, r"arriving early|früher als erwartet"),
    (EventKind.SHIPPED, r"(?:has|have) (?:been )?(?:shipped|dispatched)|we(?:'ve| have) shipped|wurde(?:n)? versandt"),
    (EventKind.ORDER_PLACED, r"thanks? (?:you )?for (?:your order|shopping with us)|vielen dank für ihre bestellung|"
                             r"danke für deine bestellung|order confirmation|bestellbestätigung|merci pour votre commande|"
                             r"grazie per il tuo ordine|gracias por tu pedido|bedankt voor je bestelling|"
                             r"dziękujemy za (?:zamówienie|zakupy)|tack för din beställning"),
)
_BODY_RES = tuple((kind, re.compile(p, re.IGNORECASE)) for kind, p in _BODY_RULES)
_LATE = re.compile(r"running late|delayed|delay|verspät|verzöger|new delivery date|neues lieferdatum", re.IGNORECASE)

_ORDER_NO = re.compile(r"\b((?:\d{3}|D\d{2})-\d{7}-\d{7})\b")
_SHIPMENT_MARK = re.compile(
    r"^(?:shipment|package|parcel|sendung|paket|lieferung|envoi|colis|pacco|paquete)\s++(\d+)\s++(?:of|von|de|di|/)\s++(\d+)\b",
    re.IGNORECASE | re.MULTILINE,
)
_TOTAL_LABELS = (r"order total|grand total|total for this order|gesamtsumme|gesamtbetrag|endbetrag|bestellsumme|"
                 r"summe|total|montant total|totale")
_DELIVERY_LABELS = (r"now arriving|arriving|arrives|will arrive|ankunft|(?:estimated|guaranteed) delivery date is|estimated delivery(?: date)?|guaranteed delivery|"
                    r"delivery estimate|expected (?:delivery|by)|now expected|voraussichtliche (?:lieferung|zustellung)|"
                    r"voraussichtliches lieferdatum|lieferung(?: voraussichtlich)?|zustellung|kommt an|jetzt am|"
                    r"livraison prévue|arrivée prévue|arrivée|consegna prevista|arriverà|arriva|llega|entrega prevista|"
                    r"llegada prevista|entrega|a chegar|dostawa")
_CARRIER_LABELS = (r"carrier|shipped with|shipped by|shipped via|delivered by|being shipped by|"
                   r"versand (?:durch|mit)|zusteller|versanddienstleister|transporteur|corriere|transportista|"
                   r"drop (?:it )?off at(?: an?| any| the)?|abgeben bei|versendet mit|zurücksenden mit")
_REASON = re.compile(
    r"^(?:return reason|reason for (?:your )?return|reason|rücksendegrund|rückgabegrund|grund (?:für die|der) "
    r"(?:rücksendung|rückgabe)|motif du retour|motivo del reso|motivo de la devolución)\s*+[:：]?[ \t]*\n?[ \t]*(.+)$",
    re.IGNORECASE | re.MULTILINE,
)
_DELIVERED_AT = r"delivered(?: on)?|zugestellt(?: am)?|geliefert(?: am)?|livré le|consegnato il|entregado el"
_PICKUP_LABELS = r"pick-?up code(?: is)?|collection code(?: is)?|abholcode(?: lautet)?|abholnummer"
_DHL_PAKET = re.compile(r"\d{12}|\d{20}|JJD\d{10,20}|JVGL\d{10,20}")
_SHIPMENT_ID = re.compile(r"[?&;]shipmentId=([A-Za-z0-9]{5,})")
_CASE_LABELS = r"return id|return number|rma(?: number| #)?|return authori[sz]ation(?: number)?|rücksendenummer|rma-nummer"
_REFUND_LABELS = (r"refund total|total refund|refund amount|refund of|refund subtotal|estimated refund|"
                  r"amount refunded|refunded|erstattungsbetrag|erstattung in höhe von|gesamterstattung|"
                  r"voraussichtliche erstattung|erstattung von|erstattung|rückerstattung|remboursement|rimborso|reembolso|"
                  r"refund")
# The return window Amazon states on order and delivery mails ("Return eligible through Jan 30, 2027").
_WINDOW = (r"(?:return )?eligible through|return window closes(?: on)?|returnable until|return by|"
           r"rückgabe (?:möglich )?bis(?: zum)?|rücksendung (?:möglich )?bis(?: zum)?|retournable jusqu'au")
_RETURN_BY = (r"return by|return deadline|please return (?:it |your item |them )?by|ship (?:it|your return) by|"
              r"drop (?:it )?off by|rücksendung bis|zurücksenden bis|bis spätestens|bis zum")
_EXCHANGE = re.compile(r"replacement|exchange|umtausch|ersatzlieferung|ersatzartikel", re.IGNORECASE)
_LABEL_SIGNS = re.compile(
    r"return label|print (?:your |the )?label|qr code|rücksendeetikett|etikett|qr-code|label drucken", re.IGNORECASE
)


class AmazonParser(IntlPlatformParser):
    name: ClassVar[str] = "amazon"
    version: ClassVar[int] = 2
    senders: ClassVar[tuple[str, ...]] = tuple(
        f"{local}@{domain}" for domain in ("amazon.com", "amazon.co.uk", "amazon.de", "amazon.fr", "amazon.it",
                                           "amazon.es", "amazon.ca") for local in _LOCALS
    )
    domains: ClassVar[tuple[str, ...]] = tuple(_MARKETS)
    never_locals: ClassVar[frozenset[str]] = _NEVER_LOCALS

    def kind_of(self, email: Email) -> str | None:
        return _classify(email)

    def events(self, email: Email, site: str, kind: str) -> list[Event]:
        return _Extractor(email, site, kind).events()


def _classify(email: Email) -> str | None:
    subject = _QUOTED.sub(" ", email.subject or "")
    subject = strip_subject_prefix(subject)
    if _NEGATIVE.search(subject):
        return None
    soft = SOFT_NEGATIVE.search(subject)
    if soft:
        subject = subject[: soft.start()]
    kind = next((k for k, pattern in _SUBJECT_RES if pattern.search(subject)), None) or subject_kind(subject)
    if kind is None and not soft:
        head = body_text(email)[:1500]
        kind = next((k for k, pattern in _BODY_RES if pattern.search(head)), None)
    if kind == _UPDATE:
        kind = EventKind.DELIVERY_EXCEPTION if _LATE.search(body_text(email)[:3000]) else EventKind.SHIPPED
    return kind


class _Extractor:
    def __init__(self, email: Email, domain: str, kind: str) -> None:
        self.email = email
        self.domain = domain
        self.kind = kind
        self.currency = _MARKETS[domain]
        self.dayfirst = domain != "amazon.com"
        self.text = body_text(email)
        order = _ORDER_NO.search(self.text) or _ORDER_NO.search(email.subject)
        self.base = Event(
            kind=EventKind.ORDER_PLACED,
            platform="amazon",
            order_number=order.group(1) if order else None,
            merchant="Amazon." + domain.partition(".")[2],
            occurred_at=email.received,
        )

    # ----------------------------------------------------------------- dispatch
    def events(self) -> list[Event]:
        found = self.dispatch()
        if self.kind in (EventKind.ORDER_PLACED, EventKind.DELIVERED, EventKind.SHIPPED, _EARLY):
            window = self.date_after(self.text, _WINDOW)
            if window is not None:
                found = [replace(e, extra=tuple(sorted((*e.extra, ("return_by", window.isoformat())))))
                         for e in found]
        return found

    def dispatch(self) -> list[Event]:
        kind = self.kind
        if kind == EventKind.ORDER_PLACED:
            return self.orders()
        if kind in (EventKind.SHIPPED, _EARLY, EventKind.OUT_FOR_DELIVERY, EventKind.DELIVERED,
                    EventKind.DELIVERY_EXCEPTION, EventKind.PICKUP_READY, EventKind.EXCHANGE_SHIPPED):
            return self.shipments()
        if kind == EventKind.CANCELLED:
            return [replace(self.base, kind=kind, items=self.items(self.text),
                            refund_amount=find_money(self.text, _REFUND_LABELS, self.currency))]
        return self.returns()

    def orders(self) -> list[Event]:
        """One ORDER_PLACED per order number: a checkout split over several sellers or dates
        confirms several orders in one mail, each with its own items and total."""
        sections = split_by_key(self.text, _ORDER_NO)
        if len(sections) == 1:
            return [replace(self.base, kind=EventKind.ORDER_PLACED, items=self.items(self.text),
                            total=self.total(self.text), expected_delivery=self.expected(self.text))]
        return [replace(self.base, kind=EventKind.ORDER_PLACED, order_number=number, items=self.items(section),
                        total=self.total(section),
                        expected_delivery=self.expected(section) or self.expected(self.text))
                for number, section in sections]

    # ----------------------------------------------------------------- shipments
    def shipments(self) -> list[Event]:
        kind, status, detail = {
            EventKind.SHIPPED: (EventKind.SHIPPED, ShipmentStatus.IN_TRANSIT, None),
            _EARLY: (EventKind.SHIPPED, ShipmentStatus.IN_TRANSIT, "Arriving early"),
            EventKind.OUT_FOR_DELIVERY: (EventKind.OUT_FOR_DELIVERY, ShipmentStatus.OUT_FOR_DELIVERY, None),
            EventKind.DELIVERED: (EventKind.DELIVERED, ShipmentStatus.DELIVERED, None),
            EventKind.DELIVERY_EXCEPTION: (EventKind.DELIVERY_EXCEPTION, ShipmentStatus.EXCEPTION, None),
            EventKind.PICKUP_READY: (EventKind.PICKUP_READY, ShipmentStatus.PICKUP_READY, None),
            EventKind.EXCHANGE_SHIPPED: (EventKind.EXCHANGE_SHIPPED, ShipmentStatus.IN_TRANSIT, "Replacement"),
        }[self.kind]
        blocks = self.blocks()
        events: list[Event] = []
        for block in blocks:
            refs = self.tracking(block, Direction.OUTBOUND)
            if not refs and len(blocks) == 1:  # only a carrier's "Track package" link carries the number
                refs = link_refs(self.email.html, Direction.OUTBOUND)
            items = self.items(block) if len(blocks) > 1 or events == [] else ()
            order = _ORDER_NO.search(block)
            events.append(replace(
                self.base, kind=kind, shipment_status=status, detail=detail, tracking=refs, items=items,
                order_number=order.group(1) if order else self.base.order_number,
                expected_delivery=None if kind == EventKind.DELIVERED else self.expected(block),
                occurred_at=(datetime_after(block, _DELIVERED_AT, self.email.received, dayfirst=self.dayfirst)
                             if kind == EventKind.DELIVERED else None) or self.email.received,
            ))
        if kind == EventKind.EXCHANGE_SHIPPED:
            events = [replace(e, return_kind=ReturnKind.EXCHANGE) for e in events]
        if kind == EventKind.PICKUP_READY:
            code = label_value(self.text, _PICKUP_LABELS, r"\d{4,8}", anywhere=True)
            if code is None:  # "You have a package to pick up - 123456"
                sm = re.search(r"pick ?up\D{0,40}?\b(\d{6})\b", self.email.subject or "", re.IGNORECASE)
                code = sm.group(1) if sm else None
            place = label_value(self.text, r"pick ?up (?:location|point)|locker|abholort|abholstation", r"[^\n\t]{3,80}")
            until = self.date_after(self.text, r"pick ?up by|collect by|abholen bis|abholbar bis")
            extra = (("pickup_by", until.isoformat()),) if until else ()
            events = [replace(e, pickup_code=code, detail=place, extra=extra) for e in events]
        ids = _shipment_ids(self.email.html or self.email.text)
        if len(ids) == len(events):  # Amazon's own parcel ids: they tell two parcels apart without tracking
            events = [replace(e, extra=tuple(sorted((*e.extra, ("amazon_shipment_id", i)))))
                      for e, i in zip(events, ids, strict=True)]
        if len(blocks) == 1:  # several tracking numbers but no per-parcel sections: one event per parcel
            events = one_per_parcel(events[0])
        return events

    def blocks(self) -> list[str]:
        marks = list(_SHIPMENT_MARK.finditer(self.text))
        if len(marks) < 2:
            return [self.text]
        # the head (order number, greeting) applies to every parcel through self.base
        ends = [m.start() for m in marks[1:]] + [len(self.text)]
        return [self.text[m.start(): end] for m, end in zip(marks, ends, strict=True)]

    def tracking(self, block: str, direction: Direction) -> tuple[TrackingRef, ...]:
        numbers = find_tracking(block)
        if not numbers:
            return ()
        hint = label_value(block, _CARRIER_LABELS, r"[A-Za-z][\w .&-]{1,30}", anywhere=True)
        if carrier_code(hint) is None:
            hint = block if carrier_code(block) else None
        return tuple(TrackingRef(n, self.carrier(n, hint), direction) for n in numbers)

    def carrier(self, number: str, hint: str | None) -> str | None:
        found = guess_carrier(number, hint)
        if found is None and self.domain in ("amazon.de", "amazon.at") and _DHL_PAKET.fullmatch(number):
            return "dhl_paket"  # Amazon.de's default carrier; its numbers carry no carrier name
        return found

    # ----------------------------------------------------------------- returns and refunds
    def returns(self) -> list[Event]:
        text = self.text
        reason = return_reason(self.email, text, _REASON)
        case = label_value(text, _CASE_LABELS, r"[A-Za-z0-9][A-Za-z0-9-]{4,}")
        refund = find_money(text, _REFUND_LABELS, self.currency)
        fee = find_money(text, r"return shipping (?:fee|cost)|rücksendekosten|label fee", self.currency)
        return_by = self.date_after(text, _RETURN_BY)
        extra = (("return_by", return_by.isoformat()),) if return_by else ()
        exchange = _EXCHANGE.search(self.email.subject or "") or _EXCHANGE.search(text[:600])
        common = replace(self.base, items=self.items(text), return_reason=reason, return_case_number=case,
                         refund_amount=refund, return_shipping_cost=fee,
                         return_kind=ReturnKind.EXCHANGE if exchange else ReturnKind.RETURN, extra=extra)
        refs = self.tracking(text, Direction.RETURN)
        if self.kind == EventKind.REFUND_ISSUED:
            return [replace(common, kind=EventKind.REFUND_ISSUED,
                            return_kind=ReturnKind.RETURN if re.search(r"return|rücksendung|rückgabe", text, re.I)
                            else ReturnKind.REFUND_ONLY)]
        if self.kind in (EventKind.RETURN_RECEIVED, EventKind.RETURN_SHIPPED):
            return [replace(common, kind=self.kind, tracking=refs)]
        events = []
        if self.kind == EventKind.RETURN_REQUESTED:
            events.append(replace(common, kind=EventKind.RETURN_REQUESTED))
        if self.kind == EventKind.RETURN_LABEL or refs or _LABEL_SIGNS.search(text):
            events.append(replace(common, kind=EventKind.RETURN_LABEL, tracking=refs))
        return events

    # ----------------------------------------------------------------- fields
    def total(self, block: str) -> Money | None:
        return find_money(block, _TOTAL_LABELS, self.currency, window=40)

    def expected(self, block: str) -> date | None:
        return self.date_after(block, _DELIVERY_LABELS)

    def date_after(self, block: str, labels: str) -> date | None:
        return date_after(block, labels, self.email.received, dayfirst=self.dayfirst)

    def items(self, block: str) -> tuple[Item, ...]:
        found = find_items(block, self.currency)
        if found:
            return found
        if block is not self.text:
            return ()
        if self.email.html and self.email.text:  # the HTML shows pictures, the text part says "Quantity: 1"
            found = find_items(text_part(self.email), self.currency)
            if found:
                return found
        titled = re.search(r"[\"„“«‘']([^\"“”»’']{3,})[\"“”»’']", strip_subject_prefix(self.email.subject or ""))
        if titled:
            return (Item(name=titled.group(1).strip().rstrip(".…,;: -–").strip()),)
        return ()


def _shipment_ids(body: str) -> list[str]:
    ids: list[str] = []
    for m in _SHIPMENT_ID.finditer(body or ""):
        if m.group(1) not in ids:
            ids.append(m.group(1))
    return ids
