"""The decoded email that parsers see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Email:
    """Built once from the raw bytes by :func:`smartreturn.mail.decode.parse_email`.

    When the mail is a forward, the header fields describe the *original* mail (sender, date,
    subject) and ``forwarded_by`` is the address that forwarded it; ``user_note`` is what the user
    wrote above the forwarded part ("退货原因：尺码偏小").
    """

    message_id: str
    from_addr: str                  # lower-cased address of the (original) sender
    from_name: str
    subject: str
    received: datetime              # tz-aware: the original's Date header, else the outer one
    text: str                       # plain-text body (from text/plain, else from the HTML)
    html: str | None                # HTML body of the original, if any
    raw: bytes = field(repr=False)
    to_addrs: tuple[str, ...] = ()
    forwarded_by: str | None = None  # set when the mail is a forward
    user_note: str | None = None     # text the forwarder wrote above the forwarded part
    outer_from: str = ""             # envelope-level From of the mail as received (the forwarder)
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # original's headers, if known
    defects: tuple[str, ...] = ()    # MIME defects the parser found (e.g. "CloseBoundaryNotFoundDefect")
    # the outer header fields as the stdlib parser read them (name, raw value), when it parsed the whole
    # mail itself: what envelope.outer_headers would read again (None: it reads them from ``raw``)
    outer_items: tuple[tuple[str, str], ...] | None = field(default=None, repr=False, compare=False)

    @property
    def sender_domain(self) -> str:
        return self.from_addr.rpartition("@")[2]

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None
