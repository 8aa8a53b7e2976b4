"""The carrier registry: one :class:`Carrier` per code, with names, tracking URL and number formats.

Carrier codes (``"ups"``, ``"dhl_paket"``, ``"sf"``...) are the values stored in the database and used
by parsers and tracking providers. ``providers`` maps a provider name (``"17track"``, ``"aftership"``,
``"kuaidi100"``) to that provider's own code for the carrier; a provider missing from the map means
we do not know its code and let the provider auto-detect.

Number formats are matched against a *normalised* number (upper case, spaces removed). A format
with ``needs_context`` (all-digit numbers that any order or phone number could resemble) is only
accepted by :mod:`smartreturn.tracking.detect` when a carrier name or tracking keyword is nearby.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

from smartreturn.errors import TrackingError
from smartreturn.tracking.checkdigits import Check, library, s10_digit, sscc_with_ai

__all__ = ["Carrier", "NumberFormat", "UnknownCarrier", "all_carriers", "by_name", "get", "normalise_number"]


class UnknownCarrier(TrackingError, KeyError):
    """No carrier has this code."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else "unknown carrier"


@dataclass(frozen=True, slots=True)
class NumberFormat:
    pattern: re.Pattern[str]             # full match over the normalised number
    check: Check | None = None           # check-digit validation, when the format has one
    needs_context: bool = False          # accept only near a carrier name / tracking keyword
    confidence: float = 0.9              # how sure a match (with a passing check) is on its own


def _fmt(pattern: str, check: Check | None = None, *, context: bool = False, confidence: float = 0.9) -> NumberFormat:
    return NumberFormat(re.compile(pattern), check, context, confidence)


@dataclass(frozen=True, slots=True)
class Carrier:
    code: str
    name_en: str
    name_zh: str
    tracking_url: str                    # template with {number}
    providers: Mapping[str, str] = field(default_factory=dict, compare=False)
    formats: tuple[NumberFormat, ...] = ()
    aliases: tuple[str, ...] = ()        # other names and domains seen in mail

    def __post_init__(self) -> None:
        object.__setattr__(self, "providers", MappingProxyType(dict(self.providers)))

    def url(self, number: str) -> str:
        return self.tracking_url.format(number=normalise_number(number))

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name_en, self.name_zh, *self.aliases)


def normalise_number(number: str) -> str:
    """Upper case, without spaces and dashes: the form formats are matched against."""
    return re.sub(r"[\s\-]", "", number).upper()


_S10_CHECK = library("s10")
_KUAIDI100_URL = "https://www.kuaidi100.com/chaxun?com={com}&nu={{number}}"


def _s10(country: str, service: str = "[A-Z][A-Z]") -> NumberFormat:
    return _fmt(rf"{service}\d{{9}}{country}", _S10_CHECK, confidence=0.95)


_CARRIERS: tuple[Carrier, ...] = (
    # --- international -----------------------------------------------------------------------
    Carrier(
        "ups", "UPS", "UPS快递", "https://www.ups.com/track?tracknum={number}",
        {"17track": "100002", "aftership": "ups", "kuaidi100": "ups"},
        (_fmt(r"1Z[0-9A-Z]{16}", library("ups", "UPS"), confidence=0.95),),
        ("United Parcel Service", "UPS My Choice", "ups.com", "联合包裹"),
    ),
    Carrier(
        "fedex", "FedEx", "联邦快递", "https://www.fedex.com/fedextrack/?trknbr={number}",
        {"17track": "100003", "aftership": "fedex", "kuaidi100": "fedex"},
        (
            _fmt(r"\d{12}", library("fedex", "FedEx Express (12)"), context=True, confidence=0.6),
            _fmt(r"\d{15}", library("fedex", "FedEx Ground"), context=True, confidence=0.6),
            _fmt(r"96\d{20}", library("fedex", "FedEx Ground 96 (22)"), context=True, confidence=0.7),
            _fmt(r"\d{34}", library("fedex", "FedEx Express (34)", "FedEx Ground GSN"), context=True),
        ),
        ("Federal Express", "FedEx Express", "FedEx Ground", "fedex.com"),
    ),
    Carrier(
        "usps", "USPS", "美国邮政", "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
        {"17track": "21051", "aftership": "usps", "kuaidi100": "usps"},
        (
            # IMpb: 22 or 26 digits starting 91-95, optionally behind the 420+ZIP routing code
            _fmt(r"(?:420\d{5})?9[1-5]\d{20}(?:\d{4})?", library("usps", "USPS 91", "USPS 34v2"), confidence=0.8),
            _fmt(r"\d{20}", library("usps", "USPS 20"), context=True, confidence=0.6),
            _s10("US"),
        ),
        ("United States Postal Service", "U.S. Postal Service", "US Postal Service", "usps.com"),
    ),
    Carrier(
        "dhl", "DHL Express", "DHL快递", "https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}",
        {"17track": "100001", "aftership": "dhl", "kuaidi100": "dhl"},
        (
            _fmt(r"\d{10}", library("dhl", "DHL Express"), context=True, confidence=0.6),
            _fmt(r"\d{11}", library("dhl", "DHL Express Air"), context=True, confidence=0.6),
            _fmt(r"JD\d{18}", confidence=0.8),   # Express piece ID
        ),
        ("DHL", "dhl.com", "敦豪"),
    ),
    Carrier(
        "dhl_paket", "DHL Paket", "DHL德国包裹",
        "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode={number}",
        {"17track": "7041", "aftership": "dhl-germany"},
        (
            _fmt(r"00340434\d{12}", sscc_with_ai, confidence=0.95),  # DHL's own GS1 prefix
            _fmt(r"00\d{18}", sscc_with_ai, context=True, confidence=0.7),
            _fmt(r"JJD\d{16,18}", confidence=0.85),                   # Paket International
            _fmt(r"\d{12}", context=True, confidence=0.5),
            _s10("DE"),
        ),
        ("Deutsche Post", "DHL Paket", "DHL Sendung", "Packstation", "dhl.de"),
    ),
    Carrier(
        "royal_mail", "Royal Mail", "英国皇家邮政", "https://www.royalmail.com/track-your-item#/tracking-results/{number}",
        {"17track": "11031", "aftership": "royal-mail"},
        (_fmt(r"[A-Z]{2}\d{9}GB", s10_digit, confidence=0.9),),
        ("royalmail.com",),
    ),
    Carrier(
        "evri", "Evri", "Evri", "https://www.evri.com/track/parcel/{number}",
        {"17track": "100331", "aftership": "evri"},
        (_fmt(r"H[0-9A-Z]{15}", context=True, confidence=0.6), _fmt(r"\d{16}", context=True, confidence=0.5)),
        ("evri.com",),
    ),
    Carrier(
        "dpd", "DPD", "DPD", "https://tracking.dpd.de/status/en_US/parcel/{number}",
        {"17track": "100007", "aftership": "dpd"},
        (_fmt(r"\d{14}", context=True, confidence=0.5), _fmt(r"\d{10}", context=True, confidence=0.4)),
        ("dpd.de", "dpd.co.uk"),
    ),
    Carrier(
        "gls", "GLS", "GLS", "https://gls-group.com/track/{number}",
        {"17track": "100005", "aftership": "gls"},
        (_fmt(r"\d{11,12}", context=True, confidence=0.5),),
        ("General Logistics Systems", "gls-group.eu", "gls-pakete.de"),
    ),
    Carrier(
        "postnl", "PostNL", "荷兰邮政", "https://jouw.postnl.nl/track-and-trace/{number}",
        {"17track": "14041", "aftership": "postnl"},
        (_fmt(r"3S[A-Z]{4}\d{7,9}", confidence=0.85), _s10("NL")),
        ("postnl.nl",),
    ),
    Carrier(
        "canada_post", "Canada Post", "加拿大邮政",
        "https://www.canadapost-postescanada.ca/track-reperage/en#/details/{number}",
        {"17track": "3041", "aftership": "canada-post"},
        (_fmt(r"\d{16}", context=True, confidence=0.5), _s10("CA")),
        ("Postes Canada", "canadapost.ca"),
    ),
    Carrier(
        "australia_post", "Australia Post", "澳大利亚邮政", "https://auspost.com.au/mypost/track/details/{number}",
        {"17track": "1151", "aftership": "australia-post"},
        (_s10("AU"),),
        ("AusPost", "auspost.com.au"),
    ),
    Carrier(
        "amazon_logistics", "Amazon Logistics", "亚马逊物流", "https://track.amazon.com/tracking/{number}",
        {"aftership": "amazon"},
        (_fmt(r"TB[ACM]\d{12}", confidence=0.9),),
        ("Amazon Shipping", "AMZL", "Amazon"),
    ),
    Carrier(
        "cainiao", "Cainiao", "菜鸟", "https://global.cainiao.com/newDetail.htm?mailNoList={number}",
        {"17track": "190271", "aftership": "cainiao"},
        (_fmt(r"LP\d{14}", confidence=0.85), _fmt(r"CN\d{14,18}", context=True, confidence=0.6)),
        ("菜鸟驿站", "菜鸟裹裹", "Cainiao Network", "AliExpress Standard Shipping"),
    ),
    Carrier(
        "4px", "4PX", "递四方", "https://track.4px.com/#/result/0/{number}",
        {"17track": "190094", "aftership": "4px"},
        (_fmt(r"4PX\d{10,16}(?:CN)?", confidence=0.85),),
        ("4PX Express", "递四方速递"),
    ),
    Carrier(
        "yunexpress", "YunExpress", "云途物流", "https://www.yuntrack.com/parcelTracking?id={number}",
        {"17track": "190008", "aftership": "yunexpress"},
        (_fmt(r"YT\d{16}", confidence=0.9),),
        ("Yun Express", "云途"),
    ),
    # --- China domestic ----------------------------------------------------------------------
    Carrier(
        "sf", "SF Express", "顺丰速运", "https://www.sf-express.com/chn/sc/waybill/waybill-detail/{number}",
        {"17track": "100012", "aftership": "sf-express", "kuaidi100": "shunfeng"},
        # SF + 12/13 digits; older waybills are 12 bare digits (only with 顺丰 / 运单号 nearby)
        (_fmt(r"SF\d{12,13}", confidence=0.9), _fmt(r"\d{12}", context=True, confidence=0.5)),
        ("顺丰", "顺丰快递", "顺丰速递", "S.F. Express", "sf-express.com"),
    ),
    Carrier(
        "jd", "JD Logistics", "京东物流", _KUAIDI100_URL.format(com="jd"),
        {"17track": "100228", "aftership": "jd", "kuaidi100": "jd"},
        (_fmt(r"JD(?:[A-Z]{2}\d{11}|X\d{12}|\d{13})", confidence=0.9),),
        ("京东快递", "京东配送", "京东", "JDL", "JDL Express"),
    ),
    Carrier(
        "zto", "ZTO Express", "中通快递", _KUAIDI100_URL.format(com="zhongtong"),
        {"17track": "190455", "aftership": "zto-express", "kuaidi100": "zhongtong"},
        (_fmt(r"[1-9]\d{11,14}", context=True, confidence=0.6),),
        ("中通", "ZTO"),
    ),
    Carrier(
        "yto", "YTO Express", "圆通速递", _KUAIDI100_URL.format(com="yuantong"),
        {"17track": "190157", "aftership": "yto", "kuaidi100": "yuantong"},
        (_fmt(r"YT\d{13}", confidence=0.9),),
        ("圆通", "圆通快递", "YTO"),
    ),
    Carrier(
        "sto", "STO Express", "申通快递", _KUAIDI100_URL.format(com="shentong"),
        {"17track": "190324", "aftership": "sto", "kuaidi100": "shentong"},
        (_fmt(r"(?:77|88|66)\d{11,13}", context=True, confidence=0.6),),
        ("申通", "STO"),
    ),
    Carrier(
        "yunda", "Yunda Express", "韵达快递", _KUAIDI100_URL.format(com="yunda"),
        {"aftership": "yunda", "kuaidi100": "yunda"},
        (_fmt(r"\d{13}|\d{15}|\d{10}", context=True, confidence=0.5),),
        ("韵达", "韵达速递", "Yunda"),
    ),
    Carrier(
        "ems", "China EMS", "中国邮政速递", _KUAIDI100_URL.format(com="ems"),
        {"17track": "3013", "aftership": "china-ems", "kuaidi100": "ems"},
        (_s10("CN", "E[A-Z]"), _fmt(r"[19]\d{12}", context=True, confidence=0.5)),
        ("EMS", "邮政EMS", "邮政特快专递", "中国邮政EMS", "EMS快递"),
    ),
    Carrier(
        "china_post", "China Post", "中国邮政", _KUAIDI100_URL.format(com="youzhengguonei"),
        {"17track": "3011", "aftership": "china-post", "kuaidi100": "youzhengguonei"},
        (_s10("CN", "[A-DF-Z][A-Z]"), _fmt(r"[19]\d{12}|\d{11}", context=True, confidence=0.5)),
        ("邮政包裹", "邮政快递包裹", "邮政小包", "中国邮政小包"),
    ),
    Carrier(
        "jt", "J&T Express", "极兔速递", _KUAIDI100_URL.format(com="jtexpress"),
        {"17track": "190442", "aftership": "jtexpress", "kuaidi100": "jtexpress"},
        (_fmt(r"JT\d{13}", confidence=0.9),),
        ("极兔", "极兔快递", "J&T"),
    ),
    Carrier(
        "deppon", "Deppon", "德邦快递", _KUAIDI100_URL.format(com="debangkuaidi"),
        {"17track": "190174", "aftership": "deppon", "kuaidi100": "debangkuaidi"},
        (_fmt(r"DPK\d{12}", confidence=0.85), _fmt(r"\d{10}", context=True, confidence=0.4)),
        ("德邦", "德邦物流", "Deppon Express"),
    ),
    # --- named by platform mails; detected by name, tracked through AfterShip ------------------
    Carrier("hermes", "Hermes Germany", "德国Hermes", "https://www.myhermes.de/empfangen/sendungsverfolgung/?trackingId={number}",
            {"aftership": "hermes-de"}, (), ("Hermes", "myhermes.de")),
    Carrier("parcelforce", "Parcelforce Worldwide", "英国Parcelforce", "https://www.parcelforce.com/track-trace?trackNumber={number}",
            {"aftership": "parcel-force"}, (), ("Parcelforce",)),
    Carrier("colissimo", "Colissimo", "法国Colissimo", "https://www.laposte.fr/outils/suivre-vos-envois?code={number}",
            {"aftership": "colissimo"}, (_s10("FR"),), ("La Poste Colissimo",)),
    Carrier("ontrac", "OnTrac", "OnTrac", "https://www.ontrac.com/tracking/?number={number}",
            {"aftership": "ontrac"}, (), ()),
    Carrier("lasership", "LaserShip", "LaserShip", "https://www.lasership.com/track/{number}",
            {"aftership": "lasership"}, (), ()),
    Carrier("yanwen", "Yanwen", "燕文物流", "https://track.yw56.com.cn/en/querydel?nums={number}",
            {"aftership": "yanwen"}, (), ("燕文",)),
    Carrier("hongkong_post", "Hongkong Post", "香港邮政", "https://www.hongkongpost.hk/en/mail_tracking/index.html",
            {"aftership": "hong-kong-post"}, (_s10("HK"),), ()),
    Carrier("dhl_ecommerce", "DHL eCommerce", "DHL电子商务", "https://www.dhl.com/us-en/home/tracking.html?tracking-id={number}",
            {"aftership": "dhl-global-mail"}, (), ("DHL eCommerce",)),
    Carrier("purolator", "Purolator", "Purolator", "https://www.purolator.com/en/shipping/tracker?pin={number}",
            {"aftership": "purolator"}, (), ()),
    Carrier("singapore_post", "Singapore Post", "新加坡邮政", "https://www.singpost.com/track-items",
            {"aftership": "singapore-post"}, (_s10("SG"),), ("SingPost",)),
)

_BY_CODE: dict[str, Carrier] = {c.code: c for c in _CARRIERS}


def get(code: str) -> Carrier:
    """The carrier with this code; :class:`UnknownCarrier` (a KeyError and a TrackingError) if none."""
    try:
        return _BY_CODE[code]
    except KeyError:
        raise UnknownCarrier(f"unknown carrier code {code!r} (known: {', '.join(_BY_CODE)})") from None


def all_carriers() -> tuple[Carrier, ...]:
    return _CARRIERS


# Short all-capital names ("UPS", "EMS", "SF") are matched case-sensitively: "ups" or "Ems" in prose
# are other words. Longer names are matched case-insensitively.
def _alias_regex(alias: str) -> re.Pattern[str]:
    body = re.escape(alias).replace(r"\ ", r"\s+")
    if alias.isascii():
        body = rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])"
    flags = 0 if (alias.isascii() and alias.isupper() and len(alias) <= 4) else re.IGNORECASE
    return re.compile(body, flags)


@lru_cache(maxsize=1)
def _alias_table() -> tuple[tuple[re.Pattern[str], Carrier, str, bool], ...]:
    """(regex, carrier, needle, ignores case): the needle is a word every match contains (lower-cased
    when the regex ignores case), so that a cheap ``in`` test skips most of the 120-odd regexes."""
    rows = []
    for carrier in _CARRIERS:
        for name in dict.fromkeys(carrier.names):  # dedupe, keep order
            regex = _alias_regex(name)
            needle = max(name.split(), key=len)
            folded = bool(regex.flags & re.IGNORECASE)
            rows.append((regex, carrier, needle.lower() if folded else needle, folded))
    return tuple(rows)


# Characters that re.IGNORECASE matches to an ASCII letter but str.lower() does not lower to one
# (dotted/dotless i, long s): with one of them in the text the needle test could miss a name.
_CASE_ODDITIES = ("\u0130", "\u0131", "\u017f")


def find_names(text: str) -> list[tuple[int, int, Carrier]]:
    """Every carrier name in ``text`` as ``(start, end, carrier)``, left to right.

    Where names overlap the longest wins ("DHL Paket" over the "DHL" inside it).
    """
    hits: list[tuple[int, int, Carrier]] = []
    lowered = text.lower()
    exhaustive = any(odd in text for odd in _CASE_ODDITIES)
    for regex, carrier, needle, folded in _alias_table():
        if not exhaustive and needle not in (lowered if folded else text):
            continue
        for m in regex.finditer(text):
            hits.append((m.start(), m.end(), carrier))
    hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    kept: list[tuple[int, int, Carrier]] = []
    for hit in hits:
        if kept and hit[0] < kept[-1][1]:
            continue
        kept.append(hit)
    return kept


def by_name(text: str) -> Carrier | None:
    """The carrier a name refers to ("UPS", "United Parcel Service", "顺丰速运", "DHL Paket"), or None.

    An exact name (any case) wins; otherwise the longest carrier name found inside ``text``.
    """
    wanted = " ".join(text.split()).casefold()
    if not wanted:
        return None
    for carrier in _CARRIERS:
        if wanted == carrier.code or any(wanted == n.casefold() for n in carrier.names):
            return carrier
    found = find_names(text)
    if not found:
        return None
    return max(found, key=lambda h: h[1] - h[0])[2]
