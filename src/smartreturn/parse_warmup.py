"""Warm the parse worker: imported by it before it reports ready (``guard._PRELOAD``), it reads a few
built-in mails so that the worker starts with the parsers' regexes compiled and the HTML, date and
tracking-number machinery initialised. A fresh worker's first mail then takes milliseconds, not the
~0.3 s of a cold start (which also counted against the first mail's time limit after a restart).

Importing this module has that effect on purpose; nothing else imports it.
"""

from __future__ import annotations

import json
import logging

from smartreturn.parse_mail import read_message
from smartreturn.reading import ReadOptions

_HEAD = ("From: {sender}\r\nTo: me@example.org\r\nSubject: {subject}\r\nDate: Mon, 02 Nov 2026 10:00:00 +0000\r\n"
         "Message-ID: <warmup-{n}@smartreturn.invalid>\r\nMIME-Version: 1.0\r\n")
_ORDER = json.dumps({"@context": "http://schema.org", "@type": "Order", "orderNumber": "W-1",
                     "merchant": {"@type": "Organization", "name": "Shop"}, "priceCurrency": "EUR", "price": "9.99",
                     "orderDate": "2026-11-02T10:00:00+00:00"})


def _mails() -> list[bytes]:
    html = (_HEAD.format(sender="orders@shop.example", subject="Your order W-1", n=1)
            + "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "Thank you for your order W-1. Total: EUR 9.99. Return within 30 days.\r\n--b\r\n"
            "Content-Type: text/html; charset=utf-8\r\n\r\n<html><head><script type=\"application/ld+json\">"
            f"{_ORDER}</script></head><body><table><tr><td>Widget</td><td>1</td><td>9,99 €</td></tr></table>"
            "<p>Versand mit DHL: 00340434161094042557</p></body></html>\r\n--b--\r\n")
    forward = (_HEAD.format(sender="me@example.org", subject="Fwd: Your UPS package", n=2)
               + "Content-Type: text/plain; charset=utf-8\r\n\r\nplease track\r\n\r\n---------- Forwarded message ---------\r\n"
               "From: UPS <mcinfo@ups.com>\r\nDate: Sun, 1 Nov 2026 09:00:00 -0500\r\nSubject: Your package is on the way\r\n\r\n"
               "Tracking number: 1Z999AA10123456784, scheduled delivery Tuesday 11/03/2026.\r\n")
    chinese = (_HEAD.format(sender="=?utf-8?b?5reY5a6d?= <service@taobao.com>", subject="=?utf-8?b?6K6i5Y2V5bey5Y+R6LSn?=", n=3)
               + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n").encode() + (
               "您的订单 3456789012349876543 已发货，顺丰速运 运单号 SF1234567890123，预计11月4日送达。"
               "退款金额 ¥99.00，7天无理由退货。取件码 5-2-1234\r\n").encode()
    return [html.encode(), forward.encode(), chinese]


def warm_up() -> None:
    # read as local files: no allow-list applies; the three mails are far below any size limit
    options = ReadOptions(max_message_bytes=1_000_000, allowed_forwarders=(), require_authenticated=False,
                          authserv_id=None)
    logging.disable(logging.CRITICAL)  # the worker's log handler is not set up yet: say nothing
    try:
        for n, raw in enumerate(_mails()):
            read_message(raw, "file", options, f"warm-up {n}")
    except Exception:  # noqa: BLE001 - warming is an optimisation; a worker reads mail without it
        pass
    finally:
        logging.disable(logging.NOTSET)


warm_up()
