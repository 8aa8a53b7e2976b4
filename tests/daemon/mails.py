"""Synthetic forwarded shopping mails for the daemon tests and benchmarks (schema.org Order markup)."""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

FORWARDER = "me@example.org"            # the allow-listed address that forwards shop mail
STRANGER = "someone@spam.example"       # not on the allow-list

_T0 = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)


def order_mail(n: int, sender: str = FORWARDER, tag: str = "") -> bytes:
    """A shop's order confirmation (HTML with JSON-LD Order #SR-<n>) as sent to the watched mailbox."""
    when = _T0 + timedelta(minutes=n)
    order = {
        "@context": "http://schema.org", "@type": "Order",
        "merchant": {"@type": "Organization", "name": "Example Shop"},
        "orderNumber": f"SR-{tag}{n:06d}", "orderDate": when.isoformat(),
        "priceCurrency": "EUR", "price": f"{10 + n % 90}.99",
        "acceptedOffer": {"@type": "Offer", "itemOffered": {"@type": "Product", "name": f"Widget {n}"},
                          "price": f"{10 + n % 90}.99", "priceCurrency": "EUR",
                          "eligibleQuantity": {"@type": "QuantitativeValue", "value": 1}},
    }
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "orders@smartreturn.example"
    msg["Subject"] = f"Your order SR-{tag}{n:06d}"
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<order-{tag}{n}@shop.example>"
    msg.set_content(f"Thank you for your order SR-{tag}{n:06d}.")
    msg.add_alternative(
        "<html><head><script type=\"application/ld+json\">" + json.dumps(order) + "</script></head>"
        f"<body><p>Thank you for your order <b>SR-{tag}{n:06d}</b>: Widget {n}.</p></body></html>",
        subtype="html")
    msg.set_boundary(f"==sr-{tag}{n}==")  # deterministic bytes: tests compare content hashes
    return msg.as_bytes().replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")
