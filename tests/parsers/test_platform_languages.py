"""A marketplace writes in its buyer's language: where a template parser's own phrases (English and
German, mostly) say nothing, the lexicons of every language (parsers/lexicon/) name the kind."""

from __future__ import annotations

import pytest

from smartreturn.model import EventKind
from tests.parsers.intl import mail, run


@pytest.mark.parametrize(("sender", "subject", "parser", "kind"), [
    ("orders@order.temu.com", "Tu paquete ha sido entregado", "temu", EventKind.DELIVERED),
    ("orders@order.temu.com", "Il tuo pacco è stato spedito", "temu", EventKind.SHIPPED),
    ("transaction@notice.aliexpress.com", "Twoje zamówienie zostało wysłane", "aliexpress", EventKind.SHIPPED),
    ("transaction@notice.aliexpress.com", "Tu pedido ha sido entregado", "aliexpress", EventKind.DELIVERED),
    ("transaction@etsy.com", "Je bestelling is verzonden", "etsy", EventKind.SHIPPED),
    ("transaction@etsy.com", "Votre remboursement a été effectué", "etsy", EventKind.REFUND_ISSUED),
    ("ebay@ebay.de", "WG: Ihr Paket wurde zugestellt", "ebay", EventKind.DELIVERED),
], ids=["temu-es", "temu-it", "aliexpress-pl", "aliexpress-es", "etsy-nl", "etsy-fr", "ebay-forwarded-de"])
def test_a_subject_in_another_language_gives_the_kind(sender: str, subject: str, parser: str, kind: EventKind) -> None:
    found_by, events = run(mail(sender, subject, "Order number: 12345678901234\n"))
    assert found_by == parser and events and events[0].kind is kind


@pytest.mark.parametrize(("sender", "subject"), [
    ("orders@order.temu.com", "Descuentos de hasta 90%"),
    ("transaction@notice.aliexpress.com", "¿Recibiste tu pedido? Valora tu compra"),
    ("transaction@notice.aliexpress.com", "¿Todavía no has recibido tu reembolso?"),
])
def test_a_promotion_or_a_question_in_another_language_is_no_event(sender: str, subject: str) -> None:
    assert run(mail(sender, subject, "Order number: 12345678901234\n")) == (None, [])
