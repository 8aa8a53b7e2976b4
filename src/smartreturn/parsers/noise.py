"""Mail from a shop's or carrier's domain that is not transactional: promotions, newsletters, review
requests, one-time codes. Such mail yielding no record is expected, so it must not raise the drift alarm.

Bulk mail must carry ``List-Unsubscribe`` (big mailbox providers require it since 2024), which is the
strongest signal; subjects add the rest in English, German and Chinese.
"""

from __future__ import annotations

import re

from smartreturn.mail.message import Email

_NOISE_SUBJECT = re.compile(
    r"(\d{1,9}\s*+%\s*+(off|rabatt)|\bsale\b|\bdeals?\b|black friday|cyber monday|prime day|newsletter|\bcoupon|voucher|"
    r"\bangebot|\brabatt|gutschein|review|rate (your|us)|feedback|bewert|verification code|one-time|\botp\b|"
    r"sign-?in|password|passwort|anmeld|verify your|bestätigungscode|"
    r"优惠|促销|领券|红包|秒杀|大促|满减|评价|晒单|验证码|登录|会员日|直播|电子发票|发票已开具|\binvoice\b|rechnung)", re.IGNORECASE)


def looks_like_noise(email: Email) -> bool:
    if email.header("List-Unsubscribe") or (email.header("Precedence") or "").lower() in ("bulk", "list"):
        return True
    return bool(_NOISE_SUBJECT.search(email.subject or ""))
