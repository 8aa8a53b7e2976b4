"""parse_email: charsets, encodings, MIME structures and malformed input, on realistic mails."""

from __future__ import annotations

import os
import time
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path

import pytest

from smartreturn.errors import ParseError
from smartreturn.mail.decode import decode_bytes, decode_header_value, parse_email
from tests.timing import patience

DATA = Path(__file__).parent / "data"
CST = timezone(timedelta(hours=8))


def load(name: str):
    return parse_email((DATA / name).read_bytes())


def test_multipart_alternative_quoted_printable_utf8() -> None:
    mail = load("amazon_qp_alternative.eml")
    assert mail.from_addr == "versandbestaetigung@amazon.de"
    assert mail.from_name == "Amazon.de"
    assert mail.subject == "Versandbestätigung: „Kindle Paperwhite (16 GB) – Schwarz…“"
    assert mail.received == datetime(2026, 11, 3, 15, 39, 58, tzinfo=UTC)
    assert mail.message_id == "<0102018f2a7b8c3d-5a1b2c3d-aaaa-bbbb-cccc-1234567890ab-000000@eu-west-1.amazonses.com>"
    assert mail.to_addrs == ("anna.schmidt@example.net",)
    # text/plain wins for text; soft line breaks of QP are joined; no CR left
    assert "Kindle Paperwhite (16 GB) – Schwarz is on its way.\nOrder #304-1234567-7654321\n" in mail.text
    assert "\r" not in mail.text
    assert mail.html is not None and "Gesamtsumme:</td><td>149,99 &euro;" in mail.html
    assert mail.forwarded_by is None and mail.user_note is None
    assert mail.outer_from == "versandbestaetigung@amazon.de"
    assert mail.header("Subject") == mail.subject


def test_gbk_html_only_base64_with_gb2312_label() -> None:
    mail = load("jd_gbk_html_only.eml")
    assert mail.from_name == "京东"
    assert mail.subject == "您的订单285934716021已出库"  # GB2312-labelled encoded word
    assert mail.received == datetime(2026, 11, 3, 15, 12, 33, tzinfo=CST)
    # text derived from the HTML: block lines, tab-separated cells
    assert mail.text.splitlines()[:4] == [
        "尊敬的用户：",
        "您的订单 285934716021 已出库，由京东快递配送。",
        "商品名称\t数量\t单价",
        "小米手环8 NFC版 亮黑色\t1\t￥299.00",
    ]
    # characters outside GB2312 survive because gb2312/gbk are read as GB18030
    assert "䶮" in mail.text and "镕" in mail.text


def test_wrong_and_unknown_charset_labels_fall_back() -> None:
    mail = load("wrong_charset.eml")
    assert mail.text == "您的包裹已签收，签收人：本人。如有疑问请联系客服。"  # labelled utf-8, really GBK
    assert mail.html is not None and "Grüße, Ihr DHL-Team" in mail.html  # unknown label, really UTF-8


def test_truncated_mime_decodes_what_it_can() -> None:
    mail = load("truncated.eml")
    assert mail.subject == "Deine Rücksendung ist bei uns angekommen"
    assert "Die Erstattung über 59,95 € folgt" in mail.text
    assert "PDF" not in mail.text  # the cut attachment is not body text


def test_zero_bytes_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="0 bytes"):
        parse_email(b"")
    with pytest.raises(ParseError, match="whitespace"):
        parse_email(b"\r\n \n")


def test_bytes_without_headers_are_a_parse_error() -> None:
    with pytest.raises(ParseError, match="no headers"):
        parse_email(b"just some text that someone saved as .eml\nand a second line\n")
    with pytest.raises(ParseError, match="no headers"):
        parse_email(os.urandom(2048).replace(b":", b"."))


def test_twenty_megabyte_attachment_is_not_decoded() -> None:
    msg = EmailMessage()
    msg["From"] = "Decathlon <noreply@decathlon.de>"
    msg["Subject"] = "Deine Rechnung"
    msg["Date"] = "Mon, 02 Nov 2026 10:00:00 +0100"
    msg["Message-ID"] = "<big-1@decathlon.de>"
    msg.set_content("Anbei deine Rechnung zur Bestellung 9988776655.")
    msg.add_attachment(os.urandom(20 * 1024 * 1024), maintype="application", subtype="pdf", filename="Rechnung.pdf")
    raw = msg.as_bytes()
    del msg
    started = time.perf_counter()
    mail = parse_email(raw)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    try:
        parse_email(raw)
        grown_mib = tracemalloc.get_traced_memory()[1] / 2**20  # peak of Python allocations while parsing
    finally:
        tracemalloc.stop()
    assert mail.text == "Anbei deine Rechnung zur Bestellung 9988776655."
    assert mail.raw is raw
    assert elapsed < 0.5, f"took {elapsed:.2f}s"
    assert grown_mib < 10, f"peak memory grew by {grown_mib:.0f} MiB for a {len(raw) / 2**20:.0f} MiB mail"


def test_large_text_parts_beside_large_attachments_are_kept() -> None:
    msg = EmailMessage()
    msg["From"] = "shop@example.com"
    msg["Date"] = "Mon, 02 Nov 2026 10:00:00 +0100"
    msg.set_content("<p>Bestellung 42</p>" + "<p>Zeile</p>" * 60_000, subtype="html", cte="base64")
    msg.add_attachment(os.urandom(3 * 1024 * 1024), maintype="image", subtype="png", filename="a.png")
    msg.add_attachment("Anhang als Text " * 40_000, subtype="plain", cte="base64", filename="log.txt")
    inner = EmailMessage()
    inner["From"] = "orig@example.org"
    inner["Subject"] = "inner"
    inner.set_content("Original text")
    inner.add_attachment(os.urandom(1024 * 1024), maintype="application", subtype="zip", filename="x.zip")
    msg.add_attachment(inner)
    mail = parse_email(msg.as_bytes())
    assert mail.from_addr == "orig@example.org"  # forwarded as an attachment
    assert mail.text == "Original text"
    assert mail.user_note is not None and mail.user_note.startswith("Bestellung 42\nZeile\nZeile")


def test_raw_8bit_headers_and_missing_message_id() -> None:
    raw = (
        "From: Jörg Müller <Joerg@Example.de>\r\nSubject: Rückgabe\r\nDate: Wed, 4 Nov 2026 10:00:00 +0100\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nHallo\r\n"
    ).encode()
    mail = parse_email(raw)
    assert (mail.from_name, mail.from_addr, mail.subject) == ("Jörg Müller", "joerg@example.de", "Rückgabe")
    # a stable synthetic id, so re-ingesting the same bytes is recognised
    assert mail.message_id == parse_email(raw).message_id
    assert mail.message_id.endswith("@smartreturn.invalid>")


def test_missing_date_uses_the_newest_received_header() -> None:
    raw = (
        b"Received: from a by b; Tue, 03 Nov 2026 10:00:00 +0000\r\n"
        b"Received: from c by d; Tue, 03 Nov 2026 10:00:05 +0000\r\n"
        b"From: x@example.com\r\nSubject: no date\r\n\r\nbody\r\n"
    )
    assert parse_email(raw).received == datetime(2026, 11, 3, 10, 0, 5, tzinfo=UTC)


def test_no_date_at_all_uses_now() -> None:
    before = datetime.now(UTC)
    mail = parse_email(b"From: x@example.com\r\nSubject: undated\r\n\r\nbody\r\n")
    assert before <= mail.received <= datetime.now(UTC)


def test_naive_date_header_is_utc() -> None:
    mail = parse_email(b"From: x@example.com\r\nDate: Tue, 03 Nov 2026 10:00:00 -0000\r\n\r\nbody\r\n")
    assert mail.received == datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=?gbk?B?xPq1xLaptaXS0bei1cs=?=", "您的订单已发账"),  # hand-made GBK bytes, read as they are
        ("=?GB2312?Q?=B6=A9=B5=A5?=", "订单"),
        ("=?utf-8?q?Ihre_R=C3=BCcksendung?= =?utf-8?q?_ist_da?=", "Ihre Rücksendung ist da"),
        ("=?x-unknown?B?5L2g5aW9?=", "你好"),  # unknown charset: utf-8 fallback
        ("=?utf-8?B?broken", "=?utf-8?B?broken"),
        ("Plain\r\n folded", "Plain folded"),
    ],
)
def test_rfc2047_headers(value: str, expected: str) -> None:
    assert decode_header_value(value) == expected


def test_decode_bytes_never_raises() -> None:
    assert decode_bytes("你好".encode("gbk"), "utf-8") == "你好"
    assert decode_bytes("Grüße".encode(), "no-such-charset") == "Grüße"
    assert decode_bytes(b"\xff\xfe\x80\x81\xfe", "utf-8")  # something, with replacement at worst
    assert decode_bytes("Grüße".encode("cp1252"), "iso-8859-1") == "Grüße"


def test_parsing_is_fast() -> None:
    raw = (DATA / "amazon_qp_alternative.eml").read_bytes()
    started = time.perf_counter()
    for _ in range(100):
        parse_email(raw)
    assert (time.perf_counter() - started) / 100 < 0.02 * patience()  # 20 ms a mail on an idle machine


def test_a_whole_html_document_without_content_type_is_read_as_html() -> None:
    # a header-stripped export (fixtures/real/arian_rbc_mail/): no Content-Type, so text/plain by default
    raw = (b"Subject: You received a credit.\r\nFrom: Bank <alerts@bank.example>\r\n\r\n"
           b"<!DOCTYPE html>\r\n<html><head><style>td {font-family: Roboto;}</style></head>"
           b"<body><p>Hello,</p><p>Your card was credited.</p></body></html>\r\n")
    mail = parse_email(raw)
    assert mail.html is not None and "Your card was credited." in mail.text
    assert "font-family" not in mail.text and "<p>" not in mail.text


def test_a_declared_text_plain_part_stays_text_even_when_it_holds_markup() -> None:
    raw = (b"Subject: x\r\nFrom: a@b.example\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           b"<html> is how a page starts\r\n")
    mail = parse_email(raw)
    assert mail.html is None and mail.text.startswith("<html> is how")


def test_address_headers_nested_beyond_the_stdlib_recursion_are_read() -> None:
    """The stdlib's address parser recurses per unclosed group (":") and per nested comment ("("): a
    mutated To header of "a:From: From: ..." raised RecursionError out of the decoder."""
    from smartreturn.mail.decode import parse_address, parse_addresses

    raw = (b"From: Shop " + b"(" * 3_000 + b"<orders@shop.example>\r\nTo: a" + b"From: " * 20_000
           + b"\r\nCc: x:" * 1 + b"y:" * 3_000 + b"\r\nSubject: hi\r\nDate: Mon, 02 Nov 2026 10:00:00 +0000\r\n\r\nhello\r\n")
    email_ = parse_email(raw)
    assert email_.from_addr == "orders@shop.example" and email_.text == "hello"
    assert parse_address("(" * 5_000 + "a@b.example") == ("", "a@b.example")
    assert parse_addresses(["team: a@b.example, c@d.example;", "Name (work) <e@f.example>"]) == (
        "a@b.example", "c@d.example", "e@f.example")  # ordinary groups and comments are unchanged
