"""Refund and reversal notices of banks and card issuers outside China (pasted or forwarded SMS).

A card or account credited back by a merchant is, for many users, the only proof that a refund arrived:
"INR 2 from Airport Lounge refunded to your Kotak Credit Card x8808", "your RBC Royal Bank credit card account
************1001 was credited for $840.72 on June 10, 2025 from SOME MERCHANT", "refund of INR 250 from Swiggy … has
been credited to your IndusInd Bank Credit Card XX1234", "Transaction Reversed!On HDFC Bank CREDIT Card
xx5555 Amt: Rs.862.16 By AMAZON", "Счёт карты MIR-5402 06.03.26 08:00 возврат покупки 12 174р ALIEXPRESS", "JNB Visaデビットのご利用代金を
ご返金いたしました … ご返金額：1,234円 加盟店名：ＡＭＡＺＯＮ　ＣＯ　ＪＰ", a Korean card SMS "KB*카드 … 320,000원
우리동물메디컬 취소".
Each gives one ``refund_issued`` record with the amount and the merchant when the message names them; like
the Chinese notices (:mod:`payment_cn`) they carry no order number, so the refund is linked to an open
return by amount and merchant where events are applied.

Only pasted text (``smartreturn add-text``) or a short mail from a sender no shop, carrier or template
parser owns (an SMS the user or an SMS-forwarding app sent on) is read, and only a message that names a
masked card or account ("Card x8808", "A/c no. 9753", "карты MIR-5402"): scams and adverts that promise a
refund ("you have a pending refund of Rs 5000, share your bank details") name none. Spending, refunds
asked for or still pending, and one-time codes yield nothing. Regexes are bounded (linear-time). Pure: no clock, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import ClassVar

from smartreturn.first_chars import guarded, may_match, required_parts
from smartreturn.mail.message import Email
from smartreturn.model import Event, EventKind, Money
from smartreturn.parsers.assertion import first_asserted
from smartreturn.model import PASTED_TEXT_SENDER
from smartreturn.parsers.generic import registry_sender, sender_info

__all__ = ["CardRefundParser", "is_card_refund", "refund_event"]

_MAX_CHARS = 2000  # one SMS or app push (pasted, or forwarded by mail), not a mail or a statement
# NFKC joins at most 4 characters into one (the longest canonical decomposition, U+1FAF; tested), so a text
# longer than 4 x _MAX_CHARS is still longer than _MAX_CHARS once normalised
_NFKC_SHRINK = 4

# a masked card or account: "Card x8808", "Card XX****", "CREDIT Card xx5555", "A/c no. 9753", "карты MIR-5402"
_CARD_REF = guarded(re.compile(
    r"(?i)(?:\bcard|\ba/c|\bacct|\baccount|карт[а-я]{0,3}|сч[её]т[а-я]{0,3})[^\S\n]{0,3}"
    r"(?:no\.?|ending(?:[^\S\n]in)?|#)?[^\S\n]{0,3}(?:[x*•]{1,16}[\d*]{2,6}|[a-z]{2,5}-\d{4}|\d{4})(?![\d*])"
    r"|(?:visa|jcb|mastercard)[^\S\n]?デビット"  # a Japanese bank's debit card names no number: "JNB Visaデビット"
    r"|(?:[a-z]{1,4}|[가-힣]{1,4})\*?(?:카드|체크)"  # a Korean card SMS names its issuer: "KB*카드", "현대카드", "KB국민체크"
    # or its issuer and card digits, abroad too: "삼성0163승인", "삼성0163취소", "삼성5185해외취소"
    r"|[가-힣]{1,4}\d{4}(?=[^\S\n]?(?:해외)?(?:승인|취소))"
    r"|\((?:신용|체크)\d{4}\)"  # a BC card names its kind and digits: "[광주BC](신용7442)"
))
# the refund happened: the money is back on the card or account
_DONE = re.compile(
    r"(?i)\brefunded\s+to\s+your\b|\brefund\s+of\b[^\n]{0,80}?\bcredited\b|\bcredited\b[^\n]{0,80}?\btowards\s+refund\b|"
    r"\btransaction\s+reversed\b|\brefund\s+credited\b|\breversal\s+of\b[^\n]{0,60}?\bcredited\b|"
    # a card payment undone by the merchant: "Txn of INR 34.44 on … Credit Card no. XX0116 … at SHOP is reversed"
    r"\b(?:txn|transaction)\b[^\n]{0,160}?\b(?:is|was|has\s+been)\s+reversed\b|"
    # a card credited back by a merchant: "your … credit card account ****1001 was credited for $840.72 … from SHOP"
    r"\bcard\b[^\n]{0,60}?\b(?:was|has\s+been)\s+credited\s+(?:for|with)\b[^\n]{0,60}?\bfrom\b|"
    r"возврат[^\S\n]+(?:покупки|средств|платежа|товара)|отмена[^\S\n]+покупки|"
    r"ご?返金いたしました|返金されました|"
    # a Korean card SMS cancels the charge on the merchant's line ("우리동물메디컬 취소") or says "승인취소"
    r"승인[^\S\n]?취소|[^\S\n]취소[^\S\n]*(?:\n|$)|"
    # … or in its header, right after the card digits: "삼성0163취소 홍*동", "신한카드(5688)취소", "KB국민카드1234취소",
    # abroad "삼성5185해외취소 이*윤", or a sale cancelled: "신한카드 (0088) 매출취소"
    r"\d{4}\)?[^\S\n]?(?:해외|매출)?취소(?=\s)|"
    # … or after the date ("자동결제 7/10 취소 김*수"), or of a lump sum or an instalment plan ("일시불 취소", "할부취소")
    r"\d\d?/\d\d[^\S\n]취소(?=\s)|(?:일시불|할부)[^\S\n]?취소|"
    # … or right after the card's name, bracketed or not: "[현대카드]-취소", "하나카드취소 박*영", "[신한체크취소]"
    r"(?:\]-?[^\S\n]?|카드|체크)(?:해외|매출)?취소(?=[\s\]])"
)
_DONE_PARTS = required_parts(_DONE.pattern)  # one of them in the text, or _DONE cannot match
# asked for, promised, pending, a scam's call to action, or a code: not (yet) money back
_NOT_DONE = guarded(re.compile(
    r"(?i)\bpending\b|\binitiated\b|(?<!as )\brequested\b|\bwill\s+be\s+(?:credited|refunded|processed|reversed)\b|\bupdate\s+your\s+bank\b|"
    r"\bshare\s+your\b|\bsubmit\s+your\b|\bOTP\b|verification\s+code|\bкод\b|返金予定|返金申請|更新してください"
))

_NUMBER = r"(\d{1,3}(?:[,  ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)"
# The same number before a currency word, read in linear time. Both ways of reading it start only
# where a search from further left could not already have read the same digits, so a line of
# 100,000 digits or of "000 000 ..." is read once, not once per digit or group (a bare "(?<!\d)" in
# front still read the rest of "000 000 ..." from every group: 1.2 s on 20 KB). Which number is found
# is what the unanchored _NUMBER found: grouped thousands start at a run of digits (not in the
# middle of a group that the group before it leads to) or at the last three digits of a longer run
# ("12345 678 руб" is "345 678"); plain digits start at a run of digits. The groups cannot be given
# back (a digit would then have to stand where the currency is).
_NUMBER_BEFORE = (r"((?:(?<!\d)(?!(?<=\d[,  ])\d{3})|(?<=\d)(?=\d{3}(?!\d)))\d{1,3}(?:[,  ]\d{3})++(?:[.,]\d{1,2})?"
                  r"|(?<!\d)\d++(?:[.,]\d{1,2})?)")
_AMOUNTS = (
    (re.compile(r"(?i)(?:\bINR|\bRs\.?|₹)[^\S\n]?" + _NUMBER), "INR"),
    (re.compile(r"(?i)(?:\bUSD|US\$|\$)[^\S\n]?-?" + _NUMBER), "USD"),  # a cancellation may sign it: "USD -0.99"
    (re.compile(r"(?i)(?:\bEUR|€)[^\S\n]?" + _NUMBER), "EUR"),
    (re.compile(r"(?i)(?:\bGBP|£)[^\S\n]?" + _NUMBER), "GBP"),
    (re.compile(_NUMBER_BEFORE + r"[^\S\n]?(?:р|руб\.?|₽|RUB)(?![а-яa-z])", re.IGNORECASE), "RUB"),
    (re.compile(_NUMBER_BEFORE + r"[^\S\n]?(?:EUR|€)"), "EUR"),
    (re.compile(_NUMBER_BEFORE + r"[^\S\n]?円"), "JPY"),
    (re.compile(_NUMBER_BEFORE + r"[^\S\n]?원"), "KRW"),
)
# "12,50 EUR"; "1,234" (three digits) groups thousands. Only ever fullmatched against one number;
# anchored so that a search over a run of digits cannot restart at every digit.
_DECIMAL_COMMA = re.compile(r"(?<!\d)\d++,\d{1,2}")
_BALANCE_BEFORE = re.compile(r"(?i)(?:bal|balance|avl|lmt|limit|остаток|доступно)[^\n\d]{0,12}$")

_MERCHANTS = (
    re.compile(r"^([^\n]{2,30}?)[^\S\n]+(?:승인[^\S\n]?)?취소[^\S\n]*$", re.MULTILINE),
    re.compile(r"加盟店名[^\S\n]?[:：][^\S\n]*([^\n]{2,40}?)[^\S\n]*$", re.MULTILINE),
    re.compile(r"\bfrom[^\S\n]+([A-Za-z0-9][\w&.'*-]*(?:[^\S\n][\w&.'*-]+){0,4}?)[^\S\n]+(?:refunded|has[^\S\n]been)\b"),
    re.compile(r"\bat[^\S\n]+([A-Z0-9][A-Z0-9&.'*-]*(?:[^\S\n][A-Z0-9&.'*-]+){0,3}?)[^\S\n]+(?:is|was|has[^\S\n]been)"
               r"[^\S\n]+reversed\b"),
    re.compile(r"\bBy[^\S\n]+([A-Z0-9][A-Z0-9&.'*-]*(?:[^\S\n][A-Z0-9&.'*-]+){0,3}?)(?=[^\S\n]{2,}|[^\S\n]+On\b|\s*$)"),
    re.compile(r"\bcredited\s+(?:for|with)\b[^\n]{0,60}?\bfrom[^\S\n]+([A-Z0-9][A-Z0-9&'*-]*(?:[^\S\n][A-Z0-9&'*-]+){0,4})\.(?:\s|$)"),
    re.compile(r"(?:р|руб\.?|₽)[^\S\n]+([A-Z0-9][A-Z0-9&.'*-]*(?:[^\S\n][A-Z0-9&.'*-]+){0,3})[^\S\n]*$", re.MULTILINE),
    # a Korean card SMS names the merchant after the date and time, alone on its line: "06/26 10:01 삼성전자(주)"
    re.compile(r"^\d\d/\d\d[^\S\n]\d\d:\d\d[^\S\n]+([^\s\d][^\n]{1,29}?)[^\S\n]*$", re.MULTILINE),
)


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def is_card_refund(text: str) -> bool:
    """The message books money back on a named card or account (a refund or reversal that happened)."""
    if len(text) > _NFKC_SHRINK * _MAX_CHARS:  # too long even after NFKC: not normalised (a mail's whole text)
        return False
    text = _clean(text)
    if len(text) > _MAX_CHARS or "退" in text:  # Chinese notices are payment_cn's
        return False
    # "refunded to your card" asked ("…Card x8808?") or denied ("has not been refunded to…") is no refund
    return (may_match(_DONE_PARTS, text, text.lower()) and first_asserted(_DONE, text) is not None
            and bool(_CARD_REF.search(text)) and not _NOT_DONE.search(text))


def _amount(text: str) -> Money | None:
    found: list[tuple[int, Money]] = []
    for pattern, currency in _AMOUNTS:
        for m in pattern.finditer(text):
            if _BALANCE_BEFORE.search(text[max(0, m.start() - 20): m.start()]):
                continue
            raw = re.sub(r"\s", "", m.group(1))
            if _DECIMAL_COMMA.fullmatch(raw):
                raw = raw.replace(",", ".")
            raw = raw.replace(",", "")
            try:
                found.append((m.start(), Money(Decimal(raw), currency)))
            except InvalidOperation:
                continue
            break
    return min(found, key=lambda pair: pair[0])[1] if found else None


def _merchant(text: str) -> str | None:
    for pattern in _MERCHANTS:
        m = pattern.search(text)
        if m:
            name = m.group(1).strip(" .-")
            if len(name) >= 2 and not _CARD_REF.search(name):
                return name
    return None


def refund_event(email: Email) -> Event | None:
    text = _clean(email.text).strip()
    if not is_card_refund(text):
        return None
    return Event(
        kind=EventKind.REFUND_ISSUED,
        platform="bank",
        merchant=_merchant(text),
        occurred_at=email.received,
        refund_amount=_amount(text),
        detail="refund credited to card",
    )


class CardRefundParser:
    """Card and account refund SMS of banks outside China, pasted or forwarded by the user."""

    name: ClassVar[str] = "payment_card"
    version: ClassVar[int] = 1
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ()  # banks notify by SMS: no transactional mail to watch

    def identify(self, email: Email) -> bool:
        try:
            if not is_card_refund(email.text):
                return False
            if email.from_addr == PASTED_TEXT_SENDER:
                return True
            # a forwarded SMS comes from the user or a forwarding app, never from a shop or carrier
            return sender_info(email.from_addr) is None and not registry_sender(email)
        except Exception:  # identify() must never raise on hostile text
            return False

    def extract(self, email: Email) -> list[Event]:
        event = refund_event(email)
        return [event] if event is not None else []
