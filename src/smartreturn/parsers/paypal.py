"""PayPal: a refund that a shop paid back through PayPal ("You've got a refund from Northwind Outfitters").

For many buyers in Europe and North America the PayPal notice is the proof that a return's money
arrived; the shop's own refund mail may never come. The notice names the shop and the amount, never
the shop's order number, so the refund pays back the open return it fits by amount and merchant
(rules/refund_match.py), like a bank's refund SMS (payment_card.py).

Only a refund the user received counts. Payments, money requests, disputes, pending or requested
refunds, and refunds the user sent as a seller yield nothing. The phrases are those of PayPal's notices in
English, German, French, Spanish, Italian, Dutch and Polish. Every regex is bounded (linear time).
Pure: no clock, no I/O.
"""

from __future__ import annotations

import re
from typing import ClassVar

from smartreturn.mail.message import Email
from smartreturn.model import Event, EventKind, Money
from smartreturn.parsers.common_intl import body_text, find_money, parse_money

__all__ = ["PayPalParser"]

_DOMAIN = re.compile(r"(?:^|\.)paypal\.(?:com|de|fr|it|es|nl|pl|at|ch|be|ie|ca|co\.uk|com\.au)$")
_CURRENCY_OF_TLD = {"com": "USD", "ca": "CAD", "co.uk": "GBP", "com.au": "AUD", "ch": "CHF", "pl": "PLN"}
_HEAD = 800  # a notice says what happened in its first lines

# the user received a refund: "You've got a refund from X", "Sie haben eine Rückzahlung von X erhalten",
# "X hat Ihnen 49,95 € zurückerstattet", "Vous avez reçu un remboursement de X", "X vous a remboursé"
_RECEIVED = re.compile(
    r"you(?:'ve|\s+have)?\s+(?:got|received)\s+a\s+refund|\brefund\s+from\b|sent\s+you\s+a\s+refund|"
    r"(?:has\s+)?refunded\s+you\b|issued\s+you\s+a\s+refund|"
    r"(?:rückzahlung|rückerstattung)\s+(?:von|erhalten)|haben\s+eine\s+(?:rückzahlung|rückerstattung)\s+erhalten|"
    r"hat\s+(?:ihnen|dir)\s+[^\n]{0,40}?(?:zurückerstattet|erstattet|zurückgezahlt)|"
    r"(?:avez|as)\s+reçu\s+un\s+remboursement|\bremboursement\s+de\b|vous\s+a\s+remboursé|"
    r"(?:ha|has)\s+recibido\s+un\s+reembolso|\breembolso\s+de\b|(?:le|te)\s+ha\s+reembolsado|"
    r"(?:hai|ha)\s+ricevuto\s+un\s+rimborso|\brimborso\s+da\b|ti\s+ha\s+rimborsato|"
    r"terugbetaling\s+(?:van|ontvangen)|heeft\s+(?:je|u)\s+[^\n]{0,40}?terugbetaald|"
    r"zwrot\s+(?:pieniędzy\s+|środków\s+)?od\b|otrzymał(?:eś|aś|eś\(aś\)|eś/aś)?\s+zwrot",
    re.IGNORECASE,
)
# not money back to the user: asked for, pending, disputed, or sent by the user (as a seller)
_NOT_RECEIVED = re.compile(
    r"you\s+(?:sent|issued)\s+a\s+refund|refund\s+request|request(?:ed)?\s+a\s+refund|\bdispute|\bpending\b|"
    r"sie\s+haben\s+eine\s+(?:rückzahlung|rückerstattung)\s+(?:gesendet|veranlasst)|konflikt|ausstehend|"
    r"vous\s+avez\s+(?:envoyé|effectué)\s+un\s+remboursement|litige|en\s+attente|"
    r"has\s+enviado\s+un\s+reembolso|disputa|pendiente|hai\s+inviato\s+un\s+rimborso|contestazione|in\s+sospeso|"
    r"geschil|in\s+behandeling|spór|oczekuj",
    re.IGNORECASE,
)
# the shop that paid the refund: the rest of the subject after "from", or the name that opens the sentence
_MERCHANT_IN_SUBJECT = re.compile(
    r"(?:refund\s+from|(?:rückzahlung|rückerstattung)\s+von|remboursement\s+de(?:\s+la\s+part\s+de)?|"
    r"reembolso\s+de|rimborso\s+da|terugbetaling\s+van|zwrot\s+(?:pieniędzy\s+|środków\s+)?od)\s++"
    r"(?P<m>[^\n]{2,80})",
    re.IGNORECASE,
)
_MERCHANT_IN_BODY = re.compile(
    r"^[ \t]*+(?P<m>[^\n]{2,60}?)\s++(?:sent\s+you\s+a\s+refund|has\s+refunded\s+you|hat\s+(?:ihnen|dir)\b|"
    r"vous\s+a\s+remboursé|(?:le|te)\s+ha\s+reembolsado|ti\s+ha\s+rimborsato|heeft\s+(?:je|u)\b)",
    re.IGNORECASE | re.MULTILINE,
)
_TRAILING_WORDS = ("erhalten", "received", "reçu", "recibido", "ricevuto", "ontvangen", "otrzymany")
_AMOUNT_LABELS = (r"refund amount|amount refunded|rückzahlungsbetrag|erstattungsbetrag|montant du remboursement|"
                  r"montant remboursé|importe del reembolso|importo del rimborso|terugbetaald bedrag|kwota zwrotu|"
                  r"a refund of|refund of|zurückerstattet|remboursé|reembolsado|rimborsato|terugbetaald|"
                  r"betrag|montant|importe|importo|bedrag|kwota|total")


class PayPalParser:
    """Refunds received through PayPal, in its notices' languages."""

    name: ClassVar[str] = "paypal"
    version: ClassVar[int] = 1
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ("service@paypal.com", "service@intl.paypal.com", "service@paypal.de",
                                          "service@paypal.fr", "service@paypal.co.uk", "service@paypal.it",
                                          "service@paypal.es", "service@paypal.nl", "service@paypal.pl")

    def identify(self, email: Email) -> bool:
        try:
            if _DOMAIN.search(email.sender_domain or "") is None:
                return False
            head = f"{email.subject or ''}\n{body_text(email)[:_HEAD]}"
            return _RECEIVED.search(head) is not None and _NOT_RECEIVED.search(head) is None
        except Exception:  # identify() must never raise on hostile text
            return False

    def extract(self, email: Email) -> list[Event]:
        if not self.identify(email):
            return []
        text = body_text(email)
        return [Event(kind=EventKind.REFUND_ISSUED, platform=self.name, merchant=_merchant(email.subject or "", text),
                      occurred_at=email.received, refund_amount=_amount(email, text), detail="refund received via PayPal")]


def _merchant(subject: str, text: str) -> str | None:
    found = _MERCHANT_IN_SUBJECT.search(subject) or _MERCHANT_IN_BODY.search(text[:_HEAD])
    if found is None:
        return None
    name, _, last = found["m"].strip().rpartition(" ")
    name = name if last.lower() in _TRAILING_WORDS else found["m"]  # "Rückzahlung von Zalando SE erhalten"
    return name.strip(" \t.:!,;\"'“”„«»") or None


def _amount(email: Email, text: str) -> Money | None:
    tld = (email.sender_domain or "").rpartition("paypal.")[2]
    currency = _CURRENCY_OF_TLD.get(tld, "EUR")
    return find_money(text[:4000], _AMOUNT_LABELS, currency) or parse_money(email.subject or "", currency)
