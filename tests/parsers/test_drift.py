"""The drift alarm counts transactional-looking mail from known senders, not their marketing."""

from __future__ import annotations

from email.message import EmailMessage

from smartreturn.mail.decode import parse_email
from smartreturn.parsers.registry import known_sender


def mail(subject: str, *, sender: str = "mcinfo@ups.com", bulk: bool = False) -> bytes:
    message = EmailMessage()
    message["From"] = f"UPS <{sender}>"
    message["To"] = "me@example.com"
    message["Subject"] = subject
    message["Date"] = "Wed, 25 Nov 2026 08:00:00 +0000"
    if bulk:
        message["List-Unsubscribe"] = "<mailto:unsubscribe@ups.com>"
    message.set_content("Neues Layout: Details in der App.")
    return message.as_bytes()


def test_unknown_template_from_a_known_sender_is_drift():
    assert known_sender(parse_email(mail("Ihre Sendung: Status"))) == "ups"


def test_marketing_review_and_codes_are_not_drift():
    assert known_sender(parse_email(mail("Ihre Sendung: Status", bulk=True))) is None
    assert known_sender(parse_email(mail("Save 20% off with UPS My Choice Premium"))) is None
    assert known_sender(parse_email(mail("Bitte bewerten Sie Ihre Zustellung"))) is None
    assert known_sender(parse_email(mail("您的验证码"))) is None
    assert known_sender(parse_email(mail("Your order", sender="someone@example.org"))) is None


def test_invoices_from_a_known_shop_are_not_drift():
    message = EmailMessage()
    message["From"] = '"京东JD.com" <customer_service@jd.com>'
    message["To"] = "me@example.com"
    message["Subject"] = "您的京东订单【301234567890】电子发票已开具"
    message["Date"] = "Wed, 25 Nov 2026 08:00:00 +0800"
    message.set_content("您好，您的订单电子发票已开具，请查收附件。")
    assert known_sender(parse_email(message.as_bytes())) is None
