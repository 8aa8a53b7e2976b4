"""Small but real mails for pipeline tests (built with the stdlib, like a mail client would)."""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime, timezone


def order_mail(order_number: str = "112-7654321-0000001", sender: str = "auto-confirm@shop.example",
               outer_from: str | None = None, when: datetime | None = None) -> bytes:
    """A Gmail-markup (schema.org JSON-LD) order confirmation; forwarded inline when outer_from is set."""
    when = when or datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
    markup = {
        "@context": "http://schema.org", "@type": "Order", "orderNumber": order_number,
        "merchant": {"@type": "Organization", "name": "Example Shop"},
        "orderDate": when.isoformat(), "priceCurrency": "EUR", "price": "49.90",
        "acceptedOffer": {"@type": "Offer", "itemOffered": {"@type": "Product", "name": "Rain jacket"},
                          "price": "49.90", "priceCurrency": "EUR", "eligibleQuantity": {"@type": "QuantitativeValue", "value": 1}},
    }
    html = (f'<html><head><script type="application/ld+json">{json.dumps(markup)}</script></head>'
            f"<body><p>Thank you for your order {order_number}.</p><table><tr><td>Rain jacket</td><td>€49.90</td></tr></table></body></html>")
    msg = EmailMessage()
    msg["From"] = f"Example Shop <{sender}>"
    msg["To"] = "buyer@example.com"
    msg["Subject"] = f"Your order {order_number}"
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<{order_number}@shop.example>"
    msg.set_content(f"Thank you for your order {order_number}.\nRain jacket  €49.90\n")
    msg.add_alternative(html, subtype="html")
    if outer_from is None:
        return msg.as_bytes()
    outer = EmailMessage()
    outer["From"] = outer_from
    outer["To"] = "returns@smartreturn.example"
    outer["Subject"] = f"Fwd: Your order {order_number}"
    outer["Date"] = format_datetime(when)
    outer["Message-ID"] = f"<fwd-{order_number}@mail.example>"
    outer.set_content("see below")
    outer.add_attachment(msg)  # forwarded as message/rfc822
    return outer.as_bytes()
