"""Wrap a real mail the way each common mail client forwards it (for tests/parsers/test_real_forwarded.py).

Every form copies the real forwards in tests/mail/data/ (header-block wording, separators, MIME layout,
charsets and transfer encodings); where those samples do not show something, the choice is said here:

* The original's visible parts are what a client shows: its first text/plain and text/html body. A part
  without any Content-Type that holds a whole HTML document (the source of fixtures/real/arian_rbc_mail
  stripped the header) is taken as the HTML it was, as the direct read does (mail/decode.py).
* A client that writes a text part of an HTML-only mail renders the HTML to text; here with the project's
  html_to_text (the same text the direct read gives the parsers). A client that writes an HTML part of a
  text-only mail escapes the text and breaks lines with <br>.
* Dates in a header block are written in the forwarder's time zone, in the client's format (Gmail,
  Outlook, QQ and 163 name no zone; Apple names it). The forward is sent two hours after the original,
  its own Date header in the same zone. The Gmail, Outlook, Apple (en) and attachment forwarders live in
  the original's UTC offset (a shop's customer mostly does: then a time the mail states without a zone
  means the same to both); Apple (de) forwards from Europe/Berlin (MEZ/MESZ, as its sample writes),
  QQ and 163 from China time.
* When the text does not fit the charset the sample uses (Outlook's us-ascii/iso-8859-1, 163's GBK),
  the client writes UTF-8 with the same transfer encoding, as those clients do.
"""

from __future__ import annotations

import base64
import email
import html as html_lib
import quopri
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from email.header import Header
from email.message import Message
from email.utils import format_datetime, getaddresses, parsedate_to_datetime
from zoneinfo import ZoneInfo

from smartreturn.mail.html import html_to_text

__all__ = ["FORMS", "FORWARDERS", "Original", "forward", "original_of"]

FALLBACK_DATE = datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc)  # for an original without a Date header
_HTML_DOCUMENT = re.compile(r"\s{0,200}+<(?:!doctype\s+html|html)\b", re.IGNORECASE)
_BODY = re.compile(r"<body\b[^>]*+>", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Original:
    raw: bytes
    name: str          # the sender's display name ("" when none)
    addr: str          # the sender's address
    to: str            # first recipient address ("" when none)
    subject: str
    date: datetime | None
    text: str          # what a client shows as text
    html: str | None   # the body of the HTML part (inside <body>), when there is one
    has_html: bool     # the original had an HTML part (else html is the escaped text)


@dataclass(frozen=True, slots=True)
class Client:
    """One forward form: its outer sender, its time zone and the builder."""

    name: str
    forwarder: str         # outer From (an allow-listed forwarder)
    forwarder_name: str
    zone: str | None       # the forwarder's time zone (IANA); None: the original's own UTC offset
    build: Callable[[Original, Client, datetime], bytes]


def _decoded(value: str | None) -> str:
    if not value:
        return ""
    return str(email.header.make_header(email.header.decode_header(value))).replace("\n", " ").strip()


def _part_text(part: Message) -> str:
    data = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "utf-8"
    try:
        text = data.decode(charset)
    except (LookupError, UnicodeDecodeError):
        text = data.decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n")


def _body_of(html: str) -> str:
    start = _BODY.search(html)
    if start is None:
        return html
    end = html.lower().rfind("</body>")
    return html[start.end(): end if end > start.end() else len(html)]


def original_of(raw: bytes) -> Original:
    """What a mail client shows of ``raw``: sender, recipient, subject, date, text and HTML."""
    msg = email.message_from_bytes(raw)
    text_part = html_part = None
    for part in msg.walk():
        if part.is_multipart() or str(part.get("Content-Disposition") or "").lower().startswith("attachment"):
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain" and text_part is None and html_part is None:
            if part.get("Content-Type") is None and _HTML_DOCUMENT.match(_part_text(part)):
                html_part = part
            else:
                text_part = part
        elif ctype == "text/html" and html_part is None:
            html_part = part
    html = _part_text(html_part) if html_part is not None else None
    text = _part_text(text_part) if text_part is not None else html_to_text(html or "")
    body_html = _body_of(html) if html is not None else None
    if body_html is None:
        escaped = html_lib.escape(text.strip("\n"), quote=False).replace("\n", "<br>\n")
        body_html = f'<div dir="ltr">{escaped}</div>'
    (name, addr), = getaddresses([_decoded(msg.get("From"))]) or [("", "")]
    tos = getaddresses([_decoded(v) for v in msg.get_all("To", [])])
    try:
        date = parsedate_to_datetime(msg.get("Date")) if msg.get("Date") else None
    except (TypeError, ValueError):
        date = None
    if date is not None and date.tzinfo is None:
        date = date.replace(tzinfo=timezone.utc)
    return Original(raw, name, addr, tos[0][1] if tos else "", _decoded(msg.get("Subject")), date,
                    text.strip("\n"), body_html, html is not None)


# -- encodings, as the samples write them ---------------------------------------------------------------

def _qp(text: str, charset: str) -> str:
    return quopri.encodestring(text.encode(charset)).decode("ascii")


def _b64(text: str, charset: str) -> str:
    return base64.encodebytes(text.encode(charset)).decode("ascii")


def _alternative(boundary: str, *parts: tuple[str, str]) -> str:
    """A multipart body: each part's header lines (as the client writes them) and its encoded content."""
    return "".join(f"--{boundary}\n{headers}\n\n{content}\n" for headers, content in parts) + f"--{boundary}--\n"


def _fits(text: str, charset: str) -> bool:
    try:
        text.encode(charset)
    except UnicodeEncodeError:
        return False
    return True


def _subject(prefix: str, subject: str) -> str:
    value = f"{prefix} {subject}".strip()
    return value if value.isascii() else Header(value, "utf-8").encode()


def _zone(original: Original, client: Client) -> tzinfo:
    if client.zone is not None:
        return ZoneInfo(client.zone)
    return (original.date or FALLBACK_DATE).tzinfo or timezone.utc


def _outer(client: Client, when: datetime, subject: str, message_id: str, extra: str = "") -> str:
    return (f"Date: {format_datetime(when)}\n"
            f"From: {client.forwarder_name} <{client.forwarder}>\n"
            "To: returns@example.net\n"
            f"Subject: {subject}\n"
            f"Message-ID: <{message_id}>\n{extra}")


def _local(original: Original, client: Client) -> datetime:
    return (original.date or FALLBACK_DATE).astimezone(_zone(original, client))


def _sent_at(original: Original, client: Client) -> datetime:
    """When the forward was sent (two hours after the original), in the forwarder's zone."""
    return ((original.date or FALLBACK_DATE) + timedelta(hours=2)).astimezone(_zone(original, client))


def _sender(original: Original) -> str:
    return f"{original.name} <{original.addr}>" if original.name else f"<{original.addr}>"


def _h(value: str) -> str:
    return html_lib.escape(value, quote=False)


# -- Gmail -----------------------------------------------------------------------------------------------

_EN_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")  # spelt out, not strftime: the same whatever the locale


def _clock12(d: datetime, seconds: bool = False) -> str:  # "9:14 PM", "6:45:12 PM"
    return f"{d.hour % 12 or 12}:{d:%M}" + (f":{d:%S}" if seconds else "") + (" AM" if d.hour < 12 else " PM")


def _gmail_en_date(d: datetime) -> str:  # "Mon, Nov 2, 2026 at 9:14 PM"
    return f"{_EN_DAYS[d.weekday()][:3]}, {_EN_MONTHS[d.month - 1][:3]} {d.day}, {d.year} at {_clock12(d)}"


def _gmail_en(original: Original, client: Client, sent: datetime) -> bytes:
    date = _gmail_en_date(_local(original, client))
    to = f"<{original.to}>" if original.to else ""
    text = ("FYI\n\nTom\n-- \nTom Baker | sent from Gmail\n\n"
            "---------- Forwarded message ---------\n"
            f"From: {_sender(original)}\nDate: {date}\nSubject: {original.subject}\nTo: {to}\n\n\n"
            f"{original.text}\n")
    name = (f'<strong class="gmail_sendername" dir="auto">{_h(original.name)}</strong> ' if original.name else "")
    to_html = f'&lt;<a href="mailto:{original.to}">{original.to}</a>&gt;' if original.to else ""
    html = ('<div dir="ltr">FYI<div><br></div><div>Tom</div><div><br><div class="gmail_quote">'
            '<div dir="ltr" class="gmail_attr">---------- Forwarded message ---------<br>From: '
            f'{name}<span dir="auto">&lt;<a href="mailto:{original.addr}">{original.addr}</a>&gt;</span><br>'
            f"Date: {date}<br>Subject: {_h(original.subject)}<br>To: {to_html}<br></div><br><br>"
            f"{original.html}</div></div></div></div>\n")
    boundary = "000000000000a1b2c3d4e5f60718"
    head = ("Received: from mail-sor-f41.google.com (mail-sor-f41.google.com [209.85.220.41])\n"
            "        by mx.example.net (Postfix) with ESMTPS id 4QkT1b2n3xz9sWc\n"
            f"        for <returns@example.net>; {format_datetime(sent)}\n"
            "MIME-Version: 1.0\n"
            f"Date: {format_datetime(sent)}\n"
            "Message-ID: <CAH8yC8kZ1bQxW=3YfK+2pA0m@mail.gmail.com>\n"
            f"Subject: {_subject('Fwd:', original.subject)}\n"
            f"From: {client.forwarder_name} <{client.forwarder}>\n"
            "To: returns@example.net\n"
            f'Content-Type: multipart/alternative; boundary="{boundary}"\n\n')
    body = _alternative(boundary,
                        ('Content-Type: text/plain; charset="UTF-8"\nContent-Transfer-Encoding: quoted-printable', _qp(text, "utf-8")),
                        ('Content-Type: text/html; charset="UTF-8"\nContent-Transfer-Encoding: quoted-printable', _qp(html, "utf-8")))
    return (head + body).encode("ascii")


_DE_DAYS_SHORT = ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So.")
_DE_MONTHS_SHORT = ("Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez.")
_DE_DAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
_DE_MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
              "November", "Dezember")


def _gmail_de(original: Original, client: Client, sent: datetime) -> bytes:
    d = _local(original, client)
    date = f"{_DE_DAYS_SHORT[d.weekday()]}, {d.day}. {_DE_MONTHS_SHORT[d.month - 1]} {d.year} um {d:%H:%M} Uhr"
    to = f"<{original.to}>" if original.to else ""
    text = ("Zur Info.\n\n"
            "---------- Weitergeleitete Nachricht ---------\n"
            f"Von: {_sender(original)}\nDate: {date}\nSubject: {original.subject}\nTo: {to}\n\n\n"
            f"{original.text}\n")
    head = _outer(client, sent, _subject("WG:", original.subject), "CAJx9z2Q8mN+Lk@mail.gmail.com",
                  'MIME-Version: 1.0\nContent-Type: text/plain; charset="UTF-8"\nContent-Transfer-Encoding: base64\n\n')
    return (head + _b64(text, "utf-8")).encode("ascii")


# -- Outlook ---------------------------------------------------------------------------------------------

def _outlook_en(original: Original, client: Client, sent: datetime) -> bytes:
    d = _local(original, client)
    date = f"{_EN_DAYS[d.weekday()]}, {_EN_MONTHS[d.month - 1]} {d.day}, {d.year} {_clock12(d)}"
    to = original.to
    text = ("FYI\n\n-----Original Message-----\n"
            f"From: {original.name + ' ' if original.name else ''}<{original.addr}>\nSent: {date}\n"
            f"To: {to}\nSubject: {original.subject}\n\n{original.text}\n")
    if _fits(text, "us-ascii"):
        part = 'Content-Type: text/plain; charset="us-ascii"\nContent-Transfer-Encoding: 7bit\n\n' + text
    else:
        part = 'Content-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: quoted-printable\n\n' + _qp(text, "utf-8")
    head = _outer(client, sent, _subject("FW:", original.subject),
                  "BY5PR11MB4182A1B2C3D4E5F6@BY5PR11MB4182.namprd11.prod.outlook.com",
                  f"Thread-Topic: {_subject('', original.subject)}\nContent-Language: en-US\nX-MS-Has-Attach:\n"
                  "MIME-Version: 1.0\n")
    return (head + part).encode("ascii")


def _outlook_de(original: Original, client: Client, sent: datetime) -> bytes:
    d = _local(original, client)
    date = f"{_DE_DAYS[d.weekday()]}, {d.day}. {_DE_MONTHS[d.month - 1]} {d.year} {d:%H:%M}"
    sender = f"{original.name + ' ' if original.name else ''}<{original.addr}>"
    text = ("Zur Info.\n\nGruß Jörg\n\n________________________________\n"
            f"Von: {sender}\nGesendet: {date}\nAn: {original.to}\nBetreff: {original.subject}\n\n{original.text}\n")
    text_cs = "iso-8859-1" if _fits(text, "iso-8859-1") else "utf-8"
    html = ('<div dir="ltr"><p>Zur Info.</p><p>Gruß Jörg</p></div><hr style="display:inline-block;width:98%" '
            'tabindex="-1"><div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" '
            f'color="#000000"><b>Von:</b> {_h(sender)}<br><b>Gesendet:</b> {date}<br><b>An:</b> {_h(original.to)}<br>'
            f'<b>Betreff:</b> {_h(original.subject)}</font><div>&nbsp;</div></div><div>{original.html}</div>')
    html_cs = "Windows-1252" if _fits(html, "cp1252") else "utf-8"
    html = (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={html_cs}"></head><body>'
            f"{html}</body></html>\n")
    boundary = "_000_AM0PR04MB6226_"
    head = _outer(client, sent, _subject("WG:", original.subject),
                  "AM0PR04MB6226F1E2D3C4B5A6@AM0PR04MB6226.eurprd04.prod.outlook.com",
                  f'MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="{boundary}"\n\n')
    body = _alternative(boundary,
                        (f'Content-Type: text/plain; charset="{text_cs}"\nContent-Transfer-Encoding: quoted-printable',
                         _qp(text, text_cs)),
                        (f'Content-Type: text/html; charset="{html_cs}"\nContent-Transfer-Encoding: quoted-printable',
                         _qp(html, "cp1252" if html_cs == "Windows-1252" else html_cs)))
    return (head + body).encode("ascii")


# -- Apple Mail ------------------------------------------------------------------------------------------

def _gmt(d: datetime) -> str:  # "GMT-7", "GMT+5:30"
    minutes = int(d.utcoffset().total_seconds() // 60)  # type: ignore[union-attr]
    sign, minutes = ("-" if minutes < 0 else "+"), abs(minutes)
    return f"GMT{sign}{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")


def _apple_en(original: Original, client: Client, sent: datetime) -> bytes:
    d = _local(original, client)
    date = f"{_EN_MONTHS[d.month - 1]} {d.day}, {d.year} at {_clock12(d, seconds=True)} {_gmt(d)}"
    sender = f'"{original.name}" <{original.addr}>' if original.name else original.addr
    text = ("FYI\n\n\n\nSent from my iPhone\n\nBegin forwarded message:\n\n"
            f"From: {sender}\nDate: {date}\nTo: {original.to}\nSubject: {original.subject}\n\n{original.text}\n")
    html = ('<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body dir="auto">'
            '<div dir="ltr">FYI</div><div dir="ltr"><br><div dir="ltr">Sent from my iPhone</div><div dir="ltr"><br>'
            'Begin forwarded message:<br><br></div><blockquote type="cite"><div dir="ltr">'
            f"<b>From:</b> {_h(sender)}<br><b>Date:</b> {date}<br><b>To:</b> {_h(original.to)}<br>"
            f"<b>Subject:</b> <b>{_h(original.subject)}</b><br><br></div></blockquote>"
            f'<blockquote type="cite"><div dir="ltr">{original.html}</div></blockquote></div></body></html>\n')
    boundary = "Apple-Mail-9F3B2C1A-4D5E-6F70-8192-A3B4C5D6E7F8"
    head = _outer(client, sent, _subject("Fwd:", original.subject), "6E1F8C2A-9D3B-4F7E-8A5C-1B2D3E4F5A6B@icloud.com",
                  f"Mime-Version: 1.0 (1.0)\nX-Mailer: iPhone Mail (21A360)\n"
                  f"Content-Type: multipart/alternative; boundary={boundary}\nContent-Transfer-Encoding: 7bit\n\n")
    body = _alternative(boundary,
                        ("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable", _qp(text, "utf-8")),
                        ("Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable", _qp(html, "utf-8")))
    return (head + body).encode("ascii")


def _apple_de(original: Original, client: Client, sent: datetime) -> bytes:
    d = _local(original, client)
    zone = {"CET": "MEZ", "CEST": "MESZ"}.get(d.tzname() or "", d.tzname() or "")
    date = f"{d.day}. {_DE_MONTHS[d.month - 1]} {d.year} um {d:%H:%M:%S} {zone}"
    sender = f"{original.name} <{original.addr}>" if original.name else original.addr
    text = ("Zur Info.\n\nAnfang der weitergeleiteten Nachricht:\n\n"
            f"Von: {sender}\nBetreff: {original.subject}\nDatum: {date}\nAn: {original.to}\n\n{original.text}\n")
    head = _outer(client, sent, _subject("WG:", original.subject), "A1B2C3D4-E5F6-4711-0815-ABCDEF012345@icloud.com",
                  "Mime-Version: 1.0 (Mac OS X Mail 16.0)\nContent-Type: text/plain; charset=utf-8\n"
                  "Content-Transfer-Encoding: quoted-printable\n\n")
    return (head + _qp(text, "utf-8")).encode("ascii")


# -- QQ Mail and NetEase 163 ------------------------------------------------------------------------------

_ZH_DAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


def _qq(original: Original, client: Client, sent: datetime) -> bytes:
    d = _local(original, client)
    half, hour = ("上午", d.hour) if d.hour < 12 else ("下午", d.hour - 12 if d.hour > 12 else 12)
    date = f"{d.year}年{d.month}月{d.day}日({_ZH_DAYS[d.weekday()]}) {half}{hour}:{d:%M}"
    sender = f'"{original.name}" <{original.addr}>;' if original.name else f"<{original.addr}>;"
    to = f'"{original.to}" <{original.to}>;' if original.to else ""
    text = ("供参考。\n\n------------------ 原始邮件 ------------------\n"
            f"发件人: {sender}\n发送时间: {date}\n收件人: {to}\n主题: {original.subject}\n\n{original.text}\n")
    html = ('<div>供参考。</div><div><br></div><div style="font-size: 12px;font-family: Arial Narrow;padding:2px 0 2px 0;">'
            '------------------&nbsp;原始邮件&nbsp;------------------</div><div style="font-size: 12px;background:#efefef;'
            f'padding:8px;"><div><b>发件人:</b>&nbsp;{_h(sender)}</div><div><b>发送时间:</b>&nbsp;{date}</div>'
            f'<div><b>收件人:</b>&nbsp;{_h(to)}<wbr></div><div></div><div><b>主题:</b>&nbsp;{_h(original.subject)}</div>'
            f"</div><div><br></div><div>{original.html}</div>\n")
    boundary = "----=_NextPart_6547A1B2_0C3D4E5F_1A2B3C4D"
    head = _outer(client, sent, Header(f"转发：{original.subject}", "gb18030").encode(), "tencent_5F0E8C2B7A1D3E4F@qq.com",
                  f'X-Mailer: QQMail 2.x\nMime-Version: 1.0\nContent-Type: multipart/alternative; boundary="{boundary}"\n\n')
    body = _alternative(boundary,
                        ('Content-Type: text/plain; charset="gb18030"\nContent-Transfer-Encoding: base64', _b64(text, "gb18030")),
                        ('Content-Type: text/html; charset="gb18030"\nContent-Transfer-Encoding: base64', _b64(html, "gb18030")))
    return (head + body).encode("ascii")


def _netease(original: Original, client: Client, sent: datetime) -> bytes:
    d = _local(original, client)
    sender = f'"{original.name}" <{original.addr}>' if original.name else f"<{original.addr}>"
    to = f'"{original.to}" <{original.to}>' if original.to else ""
    text = ("供参考\n\n-------- 转发邮件信息 --------\n"
            f"发件人：{sender}\n发送日期：{d:%Y-%m-%d %H:%M:%S}\n收件人：{to}\n主题：{original.subject}\n\n"
            f"{original.text}\n")
    charset = "GBK" if _fits(text, "gbk") else "UTF-8"
    head = _outer(client, sent, Header(f"转发:{original.subject}", "gbk" if charset == "GBK" else "utf-8").encode(),
                  "5d1a2b3c.1234.18b9f0e1a2b.Coremail.wangwu@163.com",
                  f"X-Mailer: Coremail Webmail Server Version XT5.0.14\nMIME-Version: 1.0\n"
                  f"Content-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: quoted-printable\n\n")
    return (head + _qp(text, charset.lower())).encode("ascii")


# -- as an attachment ------------------------------------------------------------------------------------

def _rfc822(original: Original, client: Client, sent: datetime) -> bytes:
    raw = original.raw.replace(b"\r\n", b"\n")
    head = _outer(client, sent, _subject("Fwd:", original.subject), "fwd-attach-1@example.de",
                  'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="outer"\n\n')
    note = "--outer\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nSiehe Anhang.\n-- \nJörg\n"
    attached = ('--outer\nContent-Type: message/rfc822; name="Weitergeleitet.eml"\n'
                'Content-Disposition: attachment; filename="Weitergeleitet.eml"\n\n')
    return head.encode("utf-8") + note.encode("utf-8") + attached.encode("ascii") + raw.rstrip(b"\n") + b"\n\n--outer--\n"


FORMS: dict[str, Client] = {c.name: c for c in (
    Client("gmail_en", "tom.baker@gmail.com", "Tom Baker", None, _gmail_en),
    Client("gmail_de", "anna.schmidt@gmail.com", "Anna Schmidt", None, _gmail_de),
    Client("outlook_en", "Mike.Jones@outlook.com", "Mike Jones", None, _outlook_en),
    Client("outlook_de", "joerg.mueller@outlook.de", "=?iso-8859-1?Q?J=F6rg_M=FCller?=", None, _outlook_de),
    Client("apple_en", "sarah.lee@icloud.com", "Sarah Lee", None, _apple_en),
    Client("apple_de", "anna.schmidt@icloud.com", "Anna Schmidt", "Europe/Berlin", _apple_de),
    Client("qq_zh", "zhangsan@qq.com", "=?gb18030?b?1cXI/Q==?=", "Asia/Shanghai", _qq),
    Client("netease_zh", "wangwu@163.com", "wangwu", "Asia/Shanghai", _netease),
    Client("rfc822", "joerg@example.de", "=?utf-8?q?J=C3=B6rg_M=C3=BCller?=", None, _rfc822),
)}
FORWARDERS = tuple(sorted({c.forwarder.lower() for c in FORMS.values()}))


def forward(raw: bytes, form: str) -> bytes:
    """``raw`` forwarded in ``form`` (a key of :data:`FORMS`)."""
    original = original_of(raw)
    client = FORMS[form]
    return client.build(original, client, _sent_at(original, client))
