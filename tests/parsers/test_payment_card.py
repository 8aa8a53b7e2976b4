"""Card refund SMS of banks outside China: money back on a named card is a refund the user can see."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from smartreturn.cli.add_text import text_message
from smartreturn.mail.decode import parse_email
from smartreturn.model import EventKind
from smartreturn.parsers.registry import extract

WHEN = datetime(2026, 8, 21, 6, 30, tzinfo=timezone.utc)


def _parse(text: str):
    return extract(parse_email(text_message(text, WHEN)))


@pytest.mark.parametrize(("text", "amount", "currency", "merchant"), [
    # the wordings of fixtures/real/refund_issue_threads/ and a sibling of each
    ("INR 2 from Airport Lounge refunded to your Kotak Credit Card x8808 on 17-Jul-2026. Opted for EMI? Please call "
     "18602662666 to cancel.", "2", "INR", "Airport Lounge"),
    ("Transaction Reversed!On HDFC Bank CREDIT Card xx5555 Amt: Rs.862.16 By AMAZON                000 On "
     "2026-08-21:05:20:26", "862.16", "INR", "AMAZON"),
    ("Счёт карты MIR-5402 06.03.26 08:00 возврат покупки 12 174р ALIEXPRESS", "12174", "RUB", "ALIEXPRESS"),
    ("Your A/c no. 9753 is credited with INR 1,750.00 on 24-10-2025 towards Refund. Current Bal is INR 5,000.00 CR",
     "1750.00", "INR", None),
])
def test_a_card_refund_gives_amount_and_merchant(text, amount, currency, merchant):
    result = _parse(text)
    assert result.parser is not None and result.parser.name == "payment_card"
    (event,) = result.events
    assert event.kind is EventKind.REFUND_ISSUED
    assert event.refund_amount is not None
    assert (event.refund_amount.amount, event.refund_amount.currency) == (Decimal(amount), currency)
    assert event.merchant == merchant
    assert event.order_number is None


def test_a_card_alert_mail_naming_the_merchant_that_credited_the_card():
    # fixtures/real/arian_rbc_mail/: a long mask, and "As requested" is the alert's opening, not a refund asked for
    result = _parse("As requested, we're letting you know that your RBC Royal Bank credit card account "
                    "************1001 was credited for $840.72 on June 10, 2025 from SOME MERCHANT.")
    (event,) = result.events
    assert event.kind is EventKind.REFUND_ISSUED and event.merchant == "SOME MERCHANT"
    assert event.refund_amount is not None and event.refund_amount.amount == Decimal("840.72")


def test_a_japanese_debit_card_refund_names_merchant_and_yen():
    # fixtures/real/suin_japannetbank_mail/: the bank names its card product, not a card number
    result = _parse("JNB Visaデビットのご利用代金をご返金いたしました。\n\nご返金日時：2001/02/03 04:05:06\n"
                    "ご返金額：1,234円\n加盟店名：ＡＭＡＺＯＮ　ＣＯ　ＪＰ\n取引明細番号：1A199004")
    (event,) = result.events
    assert event.kind is EventKind.REFUND_ISSUED and event.merchant == "AMAZON CO JP"
    assert event.refund_amount is not None
    assert (event.refund_amount.amount, event.refund_amount.currency) == (Decimal("1234"), "JPY")


@pytest.mark.parametrize("text", [
    # the same card spent, and a lure about a refund to come
    "JNB Visaデビットのご利用代金を普通預金口座よりお引き落としいたしました。\nお引落金額：2,760円\n加盟店名：ＡＭＡＺＯＮ　ＣＯ　ＪＰ",
    "Visaデビットのご返金予定があります。カード情報を更新してください。",
])
def test_japanese_spending_and_lures_give_nothing(text):
    assert _parse(text).events == []


def test_a_korean_card_cancellation_is_money_back():
    # fixtures/real/kakao_card_sms/: the cancelled charge names the merchant on its line
    result = _parse("[Web발신]\nKB*카드\n김재호님\n05/29 20:52\n320,000원\n우리동물메디컬 취소\n누적 560,060원\n")
    (event,) = result.events
    assert event.kind is EventKind.REFUND_ISSUED and event.merchant == "우리동물메디컬"
    assert event.refund_amount is not None
    assert (event.refund_amount.amount, event.refund_amount.currency) == (Decimal("320000"), "KRW")


@pytest.mark.parametrize("text", [
    "[Web발신]\n[현대카드]-승인\n김재*님\n1,500원(일시불)\n마노핀익스프레스신림\n누적:354,220원\n",
    "[Web발신]\n신한카드승인 강*혜(9*0*) 04/27 21:31 (일시불)39,500원 (주)페어몬트 누적688,800원\n",
])
def test_korean_card_spending_gives_nothing(text):
    assert _parse(text).events == []


@pytest.mark.parametrize("text", [
    # fixtures/real/minokim_card_sms/: the cancellation is in the header, after the card digits
    "[Web발신]\n삼성0163취소 홍*동\n-1,368,930원 일시불\n07/25 17:33 쿠팡\n누적3,732,118원",
    "[Web발신]\n신한카드(5688)취소 홍*동 150,000원(일시불)08/07 14:47 망향주유소 누적994,030원",
])
def test_a_korean_card_cancellation_in_the_header_is_money_back(text):
    (event,) = _parse(text).events
    assert event.kind is EventKind.REFUND_ISSUED and event.refund_amount is not None


@pytest.mark.parametrize(("text", "amount", "currency", "merchant"), [
    # fixtures/real/mmex_samsung_card_sms/: a cancellation abroad is signed and names the merchant after the time
    ("[Web발신]\n삼성5185해외취소 이*윤\nUSD -0.99\n10/01 07:14 DISCORD*TEMPORARYAUTH", "0.99", "USD",
     "DISCORD*TEMPORARYAUTH"),
    ("삼성5185취소 이*윤\n-2,999,000원 03개월\n06/26 10:01 삼성전자(주)\n누적2,804,028원", "2999000", "KRW", "삼성전자(주)"),
    # a sale cancelled ("매출취소") is money back as well
    ("[Web발신]\n신한카드 (0088) 매출취소 최*업\n3,980원  04/11 (주)오아시스", "3980", "KRW", None),
])
def test_a_korean_cancellation_abroad_or_of_a_sale_is_money_back(text, amount, currency, merchant):
    (event,) = _parse(text).events
    assert event.kind is EventKind.REFUND_ISSUED and event.refund_amount is not None
    assert (event.refund_amount.amount, event.refund_amount.currency) == (Decimal(amount), currency)
    assert event.merchant == merchant


@pytest.mark.parametrize("text", [
    "[Web발신]\n삼성5185해외승인 이*윤\nUSD 155.88\n08/31 23:46 PADDLE.NET*FEEDLY",
    "삼성5185승인 이*윤\n2,520,000원 03개월\n06/09 21:40 삼성전자(주)\n누적4,077,275원",
])
def test_a_korean_approval_abroad_or_in_instalments_gives_nothing(text):
    assert _parse(text).events == []


@pytest.mark.parametrize("text", [
    # fixtures/real/refund_issue_threads/kakao_6_*: the cancellation right after the bracketed card name
    "[Web발신]\n[현대카드]-취소\n김재*님\n872,000원(일시불)\nAKPLAZA분당점\n누적:1,652,750원",
    "[Web발신]\n하나카드취소 박*영\n25,000원\n03/17 19:00 올리브영 명동점",
])
def test_a_korean_cancellation_after_the_card_name_is_money_back(text):
    (event,) = _parse(text).events
    assert event.kind is EventKind.REFUND_ISSUED and event.refund_amount is not None


@pytest.mark.parametrize("text", [
    "[Web발신]\n[현대카드]-승인\n김재*님\n872,000원(일시불)\nAKPLAZA분당점\n누적:1,621,300원",
    "[신한카드] 카드 취소 방법 안내: 홈페이지에서 확인하세요.",
])
def test_a_korean_approval_or_a_notice_about_cancelling_gives_nothing(text):
    assert _parse(text).events == []


@pytest.mark.parametrize(("text", "amount", "currency", "merchant"), [
    # shapes of real card reversals (Axis, ICICI) with other figures: a card payment undone is money back
    ("Txn of INR 120.50 on Axis Bank Credit Card no. XX9876 on 03-08-26 10:11:12 at SOMESHOP is reversed.",
     "120.50", "INR", "SOMESHOP"),
    ("Reversal of Rs 88.10 credited to ICICI Bank Credit Card XX2468 on 04-AUG-26.", "88.10", "INR", None),
    # Korean: an automatic payment cancelled after its date, a lump sum or an instalment plan cancelled
    ("[Web발신]\n[삼성카드]1357 자동결제 8/01 취소 김*수\n어느학원/수강료 -55,000원", "55000", "KRW", None),
    ("[Web발신] [광주BC](신용1357)김*수님 08/02 10:10 일시불 취소 9,900원누적 100,000원어느가게", "9900", "KRW", None),
    ("[Web발신]\n하나카드(1*2*) 김*수님 할부취소 120,000원/어느마트 08/02 10:00/누적 300,000", "120000", "KRW", None),
])
def test_card_reversals_and_korean_cancellations_are_money_back(text, amount, currency, merchant):
    (event,) = _parse(text).events
    assert event.kind is EventKind.REFUND_ISSUED and event.refund_amount is not None
    assert (event.refund_amount.amount, event.refund_amount.currency) == (Decimal(amount), currency)
    assert event.merchant == merchant


@pytest.mark.parametrize("text", [
    # a reversal still to come, a declined payment, a Korean approval on an instalment plan
    "Your payment of Rs 500 on card XX1234 failed. Any amount debited will be reversed within 5 working days.",
    "Reversal of Rs 450.00 initiated for failed UPI txn on A/c XX1234. Credit in 3-5 days",
    "Txn of INR 1,200.00 on ICICI Bank Card XX1234 at SOMESHOP declined due to insufficient balance",
    "[Web발신] [광주BC](신용1357)김*수님 08/02 10:10 할부(3개월) 9,900원누적 100,000원어느가게",
])
def test_reversals_to_come_and_declines_give_nothing(text):
    assert _parse(text).events == []


def test_a_redacted_amount_still_gives_the_refund():
    result = _parse("Dear Customer, refund of INR ** from Swiggy Limited Banga has been credited to your IndusInd Bank "
                    "Credit Card XX**** on 11-Jun-26 - IndusInd Bank")
    (event,) = result.events
    assert event.kind is EventKind.REFUND_ISSUED and event.refund_amount is None


@pytest.mark.parametrize("text", [
    # spending on a card
    "Tasty choice! You've spent Rs. 218.00 at Swiggy with your SBM One Credit Card ending in XX1783.",
    # a refund promised, pending or asked for; a scam naming no card
    "Refund initiated: Amt: Rs.34274.66 on HDFC Bank Credit Card 1111. To receive your Refund,please update your "
    "Bank details: TnC.",
    "Dear Sir/Madam, you have a pending refund of Rs 5000 from SBI. Submit your bank details to receive it.",
    "Your refund of Rs 499 will be credited to your card XX1234 within 5-7 business days.",
    # a refund the user asked for is not money back; nor is a payment made to the card by the user
    "Your refund of Rs 499 to your card XX1234 was requested on 12-05-26.",
    "A payment for $415.54 has been made to your credit card ************1001.",
])
def test_spending_promises_and_scams_give_nothing(text):
    assert _parse(text).events == []


def test_a_forwarded_sms_is_read_but_a_shops_own_mail_is_left_to_its_parser():
    sms = b"INR 2 from Airport Lounge refunded to your Kotak Credit Card x8808 on 17-Jul-2026.\r\n"
    head = b"To: me@example.org\r\nSubject: Fwd: SMS\r\nDate: Fri, 21 Aug 2026 06:30:00 +0000\r\n\r\n"
    forwarded = extract(parse_email(b"From: Me <me@example.org>\r\n" + head + sms))
    assert forwarded.parser is not None and forwarded.parser.name == "payment_card"
    raw = (b"From: Amazon.in <payment-update@amazon.in>\r\nTo: me@example.org\r\nSubject: Refund\r\n"
           b"Date: Fri, 21 Aug 2026 06:30:00 +0000\r\n\r\n"
           b"INR 2 from Airport Lounge refunded to your Kotak Credit Card x8808 on 17-Jul-2026.\r\n")
    result = extract(parse_email(raw))
    assert result.parser is None or result.parser.name != "payment_card"


def test_nfkc_joins_at_most_four_characters_into_one() -> None:
    """is_card_refund refuses a text longer than 4 x its limit without normalising it: NFKC composes at
    most the characters of the longest canonical decomposition into one."""
    import sys
    import unicodedata

    from smartreturn.parsers import payment_card

    longest = max(len(unicodedata.normalize("NFD", chr(c))) for c in range(sys.maxunicode + 1)
                  if not 0xD800 <= c <= 0xDFFF)
    assert longest == payment_card._NFKC_SHRINK
    composed = "\u1faf" * payment_card._MAX_CHARS  # 8,000 characters decomposed, 2,000 once normalised
    assert len(unicodedata.normalize("NFD", composed)) == payment_card._NFKC_SHRINK * payment_card._MAX_CHARS
