"""Hostile mail for the web tests: a real order (schema.org JSON-LD, so a parser files it under an
order) whose HTML also carries a script, a remote image (a tracking pixel), a remote stylesheet, a
CSS background, an inline event handler and a frame, all pointing at a local HTTP receiver."""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime, timezone

ORDER = "EVIL-20261201"
SUBJECT = f'<script>alert("subject")</script> Order {ORDER} confirmed'


def hostile_order_mail(receiver: str) -> bytes:
    """``receiver`` is ``http://127.0.0.1:PORT``: any request it gets is a leak."""
    order = {"@context": "http://schema.org", "@type": "Order", "merchant": {"@type": "Organization", "name": "Evil Shop"},
             "orderNumber": ORDER, "orderDate": "2026-12-01T10:00:00+01:00", "priceCurrency": "EUR", "price": "19.99",
             "acceptedOffer": [{"@type": "Offer", "itemOffered": {"@type": "Product", "name": "<b>Bold</b> mug"},
                                "price": "19.99", "priceCurrency": "EUR"}]}
    html = f"""<!DOCTYPE html><html><head><title>Order {ORDER}</title>
<script type="application/ld+json">{json.dumps(order)}</script>
<link rel="stylesheet" href="{receiver}/style.css">
<script src="{receiver}/external.js"></script>
<script>fetch("{receiver}/inline-script"); window.top.document.title = "owned"; document.body && document.body.setAttribute("data-ran", "1");</script>
</head><body>
<p id="greeting">Thank you for your order {ORDER}.</p>
<img src="{receiver}/pixel.gif" width="1" height="1" alt="">
<img src="x" onerror="fetch('{receiver}/onerror')">
<div style="background-image:url('{receiver}/background.png')">styled</div>
<iframe src="{receiver}/frame"></iframe>
<a href="{receiver}/link">a link</a>
</body></html>"""
    message = EmailMessage()
    message["From"] = "Evil Shop <orders@evil-shop.example>"
    message["To"] = "me@example.com"
    message["Subject"] = SUBJECT
    message["Date"] = format_datetime(datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc))
    message["Message-ID"] = "<evil-20261201@evil-shop.example>"
    message.set_content(f"Thank you for your order {ORDER}. <script>alert('text')</script>\n")
    message.add_alternative(html, subtype="html")
    return message.as_bytes()
