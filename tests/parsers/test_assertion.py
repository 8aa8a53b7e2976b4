"""A refund asked about, promised or denied is no refund (parsers/assertion.py, the lexicons' [guards]):
sentences in every lexicon language read through the real generic layer as real MIME mail, the fixture
mails of fixtures/generic, and the guard's own cost and regexes."""

from __future__ import annotations

import time
import tomllib
from importlib import resources

import pytest

from smartreturn.model import EventKind
from smartreturn.parsers import generic, payment_cn
from smartreturn.parsers.assertion import guards, is_asserted
from smartreturn.parsers.payment_card import is_card_refund
from tests import regex_audit
from tests.parsers.carrier_mail import fixture, mail, run
from tests.timing import patience

SHOP = "Tiny House Plants <hello@tinyhouseplants.co.uk>"  # a shop no table lists: the generic layer reads it


def _kind(subject: str, body: str) -> EventKind | None:
    parser, events = run(mail(SHOP, subject, f"{body}\nOrder number: TH-100482\n"))
    assert parser in (None, "generic")
    return events[0].kind if events else None


# (subject, body) pairs that state no refund: questions, promises, conditions, denials, failures
NOT_A_REFUND = [
    ("Amazon refunded to your card?", "Hi, quick question."),
    ("Re: your return", "Your refund of EUR 23.90 will be credited within 5 days."),
    ("Re: your return", "Your refund has not been issued yet, the parcel is still on its way."),
    ("Re: your return", "No refund has been issued for this order."),
    ("Re: your return", "Once we receive the item, we'll send your refund."),
    ("Re: your return", "Your refund is pending approval."),
    ("Re: your return", "We’re sorry: your refund couldn’t be processed."),  # curly apostrophes
    ("Ihre Bestellung", "Ihre Rückerstattung wurde noch nicht veranlasst."),
    ("Ihre Bestellung", "Die Erstattung erfolgt, sobald die Ware bei uns eingegangen ist."),
    ("Ihre Bestellung", "Ihre Rückerstattung wird in den nächsten Tagen bearbeitet."),
    ("Votre commande", "Votre remboursement est en cours."),
    ("Votre commande", "Votre remboursement sera effectué dès réception du colis."),
    ("Tu pedido", "Tu reembolso todavía no se ha procesado."),
    ("Il tuo ordine", "Il rimborso sarà emesso entro 5 giorni."),
    ("Je bestelling", "De terugbetaling is nog niet verwerkt."),
    ("Twoje zamówienie", "Zwrot środków nie został jeszcze zlecony."),
    ("A sua encomenda", "O reembolso será processado em até 5 dias."),
    ("退款通知", "您的退款到账失败，请联系客服。"),
    ("退款通知", "退款到账了吗？"),
    ("退款通知", "预计3个工作日内退款到账。"),
    ("退款通知", "如果退款已到账，请忽略本邮件。"),
    ("ご注文について", "返金手続き中です。返金いたします。"),
    ("주문 안내", "환불완료 예정입니다."),
]

# refunds that happened, worded with the guard's words nearby: each must still be read as a refund
REFUNDS = [
    ("Refund for order TH-100482", "We've refunded £41.80 and it will appear on your statement within 3-5 days."),
    ("Re: your return", "Your refund of $1,299.00 has been issued. If you have not seen it in 5 days, reply."),
    ("Re: your return", "Questions about the process? Your refund of $12.00 has been issued."),
    ("Re: your return", "Your refund of $5.00 was issued, if you have questions reply to this mail."),
    ("Re: your return", "We have refunded your order https://shop.example/r?id=1 today."),
    ("Ihre Bestellung", "Ihre Rückerstattung wurde veranlasst und wird in 3 Tagen gutgeschrieben."),
    ("Il tuo ordine", "Il rimborso è stato emesso e sarà visibile entro 5 giorni."),
    ("A sua encomenda", "O reembolso foi processado e será creditado em até 5 dias."),
    ("Tu pedido", "Hemos procesado tu reembolso y se verá reflejado en 5 días."),
    ("退款通知", "您申请的退款已退款成功，请查收。"),
    ("ご注文について", "ご注文の代金を返金いたしました。"),
]


@pytest.mark.parametrize(("subject", "body"), NOT_A_REFUND)
def test_a_refund_asked_promised_or_denied_is_no_refund(subject: str, body: str) -> None:
    assert _kind(subject, body) is not EventKind.REFUND_ISSUED


@pytest.mark.parametrize(("subject", "body"), REFUNDS)
def test_a_refund_that_happened_is_still_read(subject: str, body: str) -> None:
    assert _kind(subject, body) is EventKind.REFUND_ISSUED


def test_a_promise_leaves_the_receipt_of_the_return() -> None:
    """The refund sentence comes first but promises; the return's receipt that follows is what happened."""
    subject, body = "Update on your return", ("Your refund will be credited within 5 days. We've received your "
                                              "return and our team is checking the item.")
    reading = generic.read(mail(SHOP, subject, body))
    assert reading.kind is EventKind.RETURN_RECEIVED
    promise = generic.read(mail(SHOP, subject, "Once we've received your return, we'll refund you."))
    assert promise.kind is None  # a return not yet received starts no refund clock


@pytest.mark.parametrize(("case", "expected"), [
    ("generic/refund_question_from_a_friend_negative.eml", None),
    ("generic/refund_promised_within_days_negative.eml", None),
    ("generic/erstattung_noch_nicht_de_negative.eml", None),
    ("generic/refund_failed_zh_negative.eml", None),
    ("generic/refund_issued_will_appear_en.eml", EventKind.REFUND_ISSUED),
])
def test_the_fixture_mails(case: str, expected: EventKind | None) -> None:
    parser, events = fixture(case)
    assert [e.kind for e in events] == ([expected] if expected else [])
    assert parser == ("generic" if expected else None)


@pytest.mark.parametrize("lang", generic.LANGUAGES)
def test_every_language_has_guard_words(lang: str) -> None:
    data = tomllib.loads((resources.files("smartreturn.parsers") / "lexicon" / f"{lang}.toml").read_text("utf-8"))
    assert data["guards"]["negation"] and data["guards"]["not_yet"]
    assert set(data["guards"]) <= {"negation", "not_yet", "until", "question", "clause_breaks"}


def test_the_guard_looks_at_a_bounded_window() -> None:
    """A body of 20,000 guarded phrases costs about 2x one of 10,000: each phrase reads a window, not the body."""
    pattern = generic.lexicon().status["refund_issued"]

    def cost(n: int) -> float:
        text = "Your refund will be issued soon. " * n
        start = time.process_time()
        assert not any(is_asserted(text, m.start(), m.end()) for m in pattern.finditer(text))
        return time.process_time() - start

    small, big = cost(2_000), cost(4_000)
    assert big <= 2 * small * 1.5 + 0.05 * patience()


def test_the_guard_regexes_are_linear() -> None:
    g = guards()
    keys = [(p.pattern, p.flags) for p in (g.sentence_end, g.comma, g.clause_break, g.cue, g.until)]
    assert regex_audit.failures(regex_audit.audit(keys)) == {}


@pytest.mark.parametrize(("text", "refund"), [
    ("Amazon refunded to your Card x8808?", False),
    ("INR 250 from Swiggy has not been refunded to your Card x8808", False),
    ("INR 2 from Airport Lounge refunded to your Kotak Credit Card x8808 on 05-03-26", True),
])
def test_the_card_notices_share_the_guard(text: str, refund: bool) -> None:
    assert is_card_refund(text) is refund


@pytest.mark.parametrize(("text", "refund"), [
    ("【招商银行】您尾号1234的信用卡退款到账失败，金额59.90元", False),
    ("【招商银行】您尾号1234的信用卡11月20日退款人民币59.90元，商户：优衣库。", True),
])
def test_the_chinese_payment_notices_share_the_guard(text: str, refund: bool) -> None:
    assert payment_cn.is_refund(text) is refund
