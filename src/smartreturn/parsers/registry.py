"""The parser registry: an explicit list of built-ins plus third-party entry points.

Specific parsers (platforms, carriers) are asked first. Exactly one may identify a mail: two is a
:class:`ParserConflict`, never "first wins". Only when no specific parser identifies the mail are
the generic fallbacks tried, in the order listed, and the first that yields records wins (schema.org
markup is more precise than the generic reading, which is more precise than a bare tracking number).

The generic layer (:mod:`smartreturn.parsers.generic`) sits beneath every specific parser: its
reading fills the gaps of the specific parser's records (never overriding a field the parser set),
and when the specific parser identified the mail but produced nothing (its template changed), the
generic reading is used instead and ``Extraction.degraded_from`` names the parser that failed, so
the drift alarm still reports it.
"""

from __future__ import annotations

import pkgutil
import logging
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import entry_points

from smartreturn.errors import ParseError, ParserConflict
from smartreturn.mail.message import Email
from smartreturn.model import Event
from smartreturn.parsers import generic
from smartreturn.parsers.base import Parser
from smartreturn.parsers.noise import looks_like_noise

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "smartreturn.parsers"

# Specific parsers first (order does not matter among them: conflicts are errors), then fallbacks
# (order matters). Keep one line per parser module.
BUILTIN_PARSERS: tuple[str, ...] = (
    # platforms
    "smartreturn.parsers.taobao:TaobaoParser",
    "smartreturn.parsers.jd:JdParser",
    "smartreturn.parsers.pinduoduo:PinduoduoParser",
    "smartreturn.parsers.douyin:DouyinParser",
    "smartreturn.parsers.amazon:AmazonParser",
    "smartreturn.parsers.ebay:EbayParser",
    "smartreturn.parsers.shopify:ShopifyParser",
    "smartreturn.parsers.aliexpress:AliExpressParser",
    "smartreturn.parsers.etsy:EtsyParser",
    "smartreturn.parsers.temu:TemuParser",
    # carriers
    "smartreturn.parsers.sf_express:SfExpressParser",
    "smartreturn.parsers.jd_logistics:JdLogisticsParser",
    "smartreturn.parsers.cainiao:CainiaoParser",
    "smartreturn.parsers.zto:ZtoParser",
    "smartreturn.parsers.yto:YtoParser",
    "smartreturn.parsers.sto:StoParser",
    "smartreturn.parsers.yunda:YundaParser",
    "smartreturn.parsers.ems:EmsParser",
    "smartreturn.parsers.jt:JtParser",
    "smartreturn.parsers.ups:UpsParser",
    "smartreturn.parsers.fedex:FedexParser",
    "smartreturn.parsers.usps:UspsParser",
    "smartreturn.parsers.dhl:DhlParser",
    "smartreturn.parsers.royal_mail:RoyalMailParser",
    # payment apps and banks (refund notices: Chinese apps and banks, card issuers elsewhere)
    "smartreturn.parsers.payment_cn:PaymentRefundParser",
    "smartreturn.parsers.payment_card:CardRefundParser",
    "smartreturn.parsers.paypal:PayPalParser",
    # generic fallbacks, most precise first
    "smartreturn.parsers.schema_org:SchemaOrgParser",
    "smartreturn.parsers.generic:GenericParser",
    "smartreturn.parsers.tracking_numbers:TrackingNumberParser",
)


@dataclass(frozen=True, slots=True)
class Extraction:
    parser: Parser | None
    events: list[Event]
    degraded_from: str | None = None  # the specific parser that identified the mail but read nothing


def _load(dotted: str) -> Parser:
    return pkgutil.resolve_name(dotted)()  # "module:Class"


@lru_cache(maxsize=1)
def load_parsers() -> tuple[Parser, ...]:
    parsers = [_load(dotted) for dotted in BUILTIN_PARSERS]
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        parsers.append(ep.load()())
    names = [p.name for p in parsers]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ParseError(f"parser names registered twice: {sorted(duplicates)}")
    return tuple(parsers)


def get_parser(name: str) -> Parser:
    for parser in load_parsers():
        if parser.name == name:
            return parser
    raise ParseError(f"no parser named {name!r}")


def _identifies(parser: Parser, email: Email) -> bool:
    try:
        return bool(parser.identify(email))
    except MemoryError:  # the parse worker's memory limit: the mail fails as a whole (guard.py)
        raise
    except Exception:  # identify() must never raise; a buggy one must not stop the others
        log.exception("parser %s raised in identify()", parser.name)
        return False


def extract(email: Email, parsers: tuple[Parser, ...] | None = None) -> Extraction:
    """Run the right parser over one mail. Raises ParserConflict or ParseError."""
    parsers = load_parsers() if parsers is None else parsers
    specific = [p for p in parsers if not getattr(p, "fallback", False)]
    claimed = [p for p in specific if _identifies(p, email)]
    if len(claimed) > 1:
        raise ParserConflict("several parsers identify this mail: " + ", ".join(p.name for p in claimed))
    if claimed:
        events = _run(claimed[0], email)
        if events:
            return Extraction(claimed[0], generic.fill_gaps(events, email))
        rescue = _generic(parsers)
        if rescue is not None and _identifies(rescue, email):
            degraded = _run(rescue, email)
            if degraded:
                log.info("parser %s read nothing in a mail it identified; the generic layer did", claimed[0].name)
                return Extraction(rescue, degraded, degraded_from=claimed[0].name)
        return Extraction(claimed[0], [])
    for fallback in (p for p in parsers if getattr(p, "fallback", False)):
        if _identifies(fallback, email):
            events = _run(fallback, email)
            if events:
                return Extraction(fallback, events)
    return Extraction(None, [])


def _generic(parsers: tuple[Parser, ...]) -> Parser | None:
    return next((p for p in parsers if p.name == generic.GenericParser.name), None)


def _run(parser: Parser, email: Email) -> list[Event]:
    try:
        return list(parser.extract(email))
    except (ParseError, MemoryError):  # MemoryError: the parse worker's limit, the mail fails as a whole
        raise
    except Exception as exc:
        raise ParseError(f"parser {parser.name} v{parser.version} failed: {exc!r}") from exc


def known_sender(email: Email, parsers: tuple[Parser, ...] | None = None) -> str | None:
    """Name of the parser whose transactional senders include this mail's sender (drift alarm).

    Promotions, newsletters, review requests and one-time codes from those senders do not count.
    """
    if looks_like_noise(email):
        return None
    parsers = load_parsers() if parsers is None else parsers
    for parser in parsers:
        for sender in getattr(parser, "senders", ()):
            sender = sender.lower()
            if email.from_addr == sender or (sender.startswith("@") and email.from_addr.endswith(sender)):
                return parser.name
    return None
