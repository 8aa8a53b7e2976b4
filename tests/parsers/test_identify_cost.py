"""identify() stays cheap: a mail that is not a parser's own is never HTML-rendered by it."""

from __future__ import annotations

from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from smartreturn.mail.decode import parse_email
from smartreturn.mail.html import html_to_text
from smartreturn.parsers.registry import load_parsers


def _newsletter() -> bytes:
    msg = MIMEMultipart("alternative")
    msg["From"] = "news@bakery.example"
    msg["To"] = "li.wei@example.com"
    msg["Subject"] = "Our winter breads are here"
    msg["Date"] = "Wed, 25 Nov 2026 09:00:00 +0000"
    msg["Message-ID"] = "<winter@bakery.example>"
    msg.attach(MIMEText("Fresh rye and spelt every morning. See you soon!", "plain", "utf-8"))
    rows = "".join(f"<tr><td>Bread {i}</td><td>€{i}.50</td></tr>" for i in range(50))
    msg.attach(MIMEText(f"<html><body><h1>Winter breads</h1><table>{rows}</table></body></html>", "html", "utf-8"))
    return msg.as_bytes()


def test_no_specific_parser_renders_the_html_of_a_mail_that_is_not_its_own() -> None:
    email = parse_email(_newsletter())
    assert email.html and email.text
    html_to_text.cache_clear()
    claimed = [p.name for p in load_parsers() if not getattr(p, "fallback", False) and p.identify(email)]
    assert claimed == []
    assert html_to_text.cache_info().misses == 0  # nobody rendered the HTML to decide "not mine"


def test_a_platform_mail_is_rendered_once_for_all_parsers() -> None:
    msg = MIMEText("<html><body><p>您的订单285012345678已出库，京东快递正在配送。</p>"
                   "<table><tr><td>订单号：</td><td>285012345678</td></tr></table></body></html>", "html", "utf-8")
    msg["From"] = "customer_service@jd.com"
    msg["Subject"] = "您的订单已出库"
    msg["Date"] = "Wed, 25 Nov 2026 09:00:00 +0800"
    msg["Message-ID"] = "<shipped@jd.com>"
    email = parse_email(msg.as_bytes())
    html_to_text.cache_clear()
    claimed = [p for p in load_parsers() if not getattr(p, "fallback", False) and p.identify(email)]
    assert [p.name for p in claimed] == ["jd"]
    assert claimed[0].extract(email)[0].order_number == "285012345678"
    assert html_to_text.cache_info().misses == 1  # identify and extract of every parser share one rendering
