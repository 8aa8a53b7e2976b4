"""The carrier registry: one :class:`Carrier` per code, with names, tracking URL and number formats.

Carrier codes (``"ups"``, ``"dhl_paket"``, ``"sf"``...) are the values stored in the database and used
by parsers and tracking providers. ``providers`` maps a provider name (``"17track"``, ``"aftership"``,
``"kuaidi100"``) to that provider's own code for the carrier; a provider missing from the map means
we do not know its code and let the provider auto-detect.

Number formats are matched against a *normalised* number (upper case, spaces removed). Most come from
the reference data (:mod:`smartreturn.tracking.refdata`, jkeen/tracking_number_data: regex, check digit,
lookups), referred to by definition id with ``_ref``; the rest (Chinese couriers, DHL Paket, European
posts) are written here with ``_fmt``. A format
with ``needs_context`` (all-digit numbers that any order or phone number could resemble) is only
accepted by :mod:`smartreturn.tracking.detect` when a carrier name or tracking keyword is nearby.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from re import _parser as sre_parse  # getwidth(): the lengths a format can match, for the length index
from types import MappingProxyType

import ahocorasick_rs

from smartreturn.errors import TrackingError
from smartreturn.tracking import refdata
from smartreturn.tracking.checkdigits import gs1

__all__ = ["Carrier", "NumberFormat", "UnknownCarrier", "all_carriers", "by_name", "get", "normalise_number"]


class UnknownCarrier(TrackingError, KeyError):
    """No carrier has this code."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else "unknown carrier"


@dataclass(frozen=True, slots=True)
class NumberFormat:
    """One number format of a carrier: a full-match regex over the normalised number plus its checks.

    Formats of the reference data carry their :class:`~smartreturn.tracking.refdata.Definition`
    (check digit, serial-number format, lookups); ``where`` narrows one to values of its named groups
    (the S10 format of one country). Formats written here take ``check`` over the whole number.
    """

    pattern: re.Pattern[str]             # full match over the normalised number
    check: Callable[[str], bool] | None = None   # check-digit validation of a format written here
    needs_context: bool = False          # accept only near a carrier name / tracking keyword
    confidence: float = 0.9              # how sure a match (with a passing check) is on its own
    name: str = ""                       # the reference definition's id, or a short description
    definition: refdata.Definition | None = field(default=None, compare=False)
    where: tuple[tuple[str, re.Pattern[str]], ...] = ()
    lengths: tuple[int, int] = (0, 0)    # shortest and longest number the pattern can match

    @property
    def has_check(self) -> bool:
        return self.check is not None or (self.definition is not None and self.definition.check is not None)

    def match(self, number: str) -> re.Match[str] | None:
        """The match when the normalised ``number`` has this format and passes its checks."""
        m = self.pattern.fullmatch(number)
        return m if m is not None and self.accepts(m) else None

    def accepts(self, m: re.Match[str]) -> bool:
        """Whether a full match of :attr:`pattern` passes the format's conditions and check digit."""
        for group, wanted in self.where:   # cheap conditions first (the S10 of one country)
            if not wanted.fullmatch(m.group(group) or ""):
                return False
        if self.definition is not None:
            return self.definition.valid_match(m)
        return self.check is None or self.check(m.string)


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
    return refdata.normalise(number)


def _widths(pattern: re.Pattern[str]) -> tuple[int, int]:
    low, high = sre_parse.parse(pattern.pattern, pattern.flags).getwidth()
    return low, min(high, refdata.MAX_LENGTH)


def _fmt(pattern: str, check: Callable[[str], bool] | None = None, *, context: bool = False,
         confidence: float = 0.9, name: str = "") -> NumberFormat:
    compiled = re.compile(pattern)
    return NumberFormat(compiled, check, context, confidence, name or pattern, None, (), _widths(compiled))


def _ref(key: str, *, context: bool = False, confidence: float = 0.9, **where: str) -> NumberFormat:
    """A format of the reference data (by its id); ``where`` restricts named groups to regexes."""
    definition = refdata.get(key)
    conditions = tuple((group, re.compile(rx)) for group, rx in where.items())
    return NumberFormat(definition.pattern, None, context, confidence, key, definition, conditions,
                        _widths(definition.pattern))


def _gs1_number(number: str) -> bool:
    return number.isdigit() and gs1(number[:-1], number[-1])


def _gs1_tail(number: str) -> bool:
    """GS1 check of the 22/26-digit IMpb part, after a 420+ZIP or 420+ZIP+4 routing code if any."""
    for prefix in (0, 8, 12):
        body = number[prefix:]
        if (prefix == 0 or number.startswith("420")) and len(body) in (22, 26) and "91" <= body[:2] <= "95":
            if _gs1_number(body):
                return True
    return False


def _s10(country: str, service: str = "[A-Z]{2}", confidence: float = 0.95) -> NumberFormat:
    """The UPU S10 format of one country's post (reference check digit and country list)."""
    return _ref("s10", confidence=confidence, CountryCode=country, ServiceType=service)


_KUAIDI100_URL = "https://www.kuaidi100.com/chaxun?com={com}&nu={{number}}"


_CARRIERS: tuple[Carrier, ...] = (
    # --- international -----------------------------------------------------------------------
    Carrier(
        "ups", "UPS", "UPS快递", "https://www.ups.com/track?tracknum={number}",
        {"17track": "100002", "aftership": "ups", "kuaidi100": "ups"},
        (_ref("ups", confidence=0.95), _ref("UPS Waybill", context=True, confidence=0.6)),
        ("United Parcel Service", "UPS My Choice", "ups.com", "联合包裹"),
    ),
    Carrier(
        "fedex", "FedEx", "联邦快递", "https://www.fedex.com/fedextrack/?trknbr={number}",
        {"17track": "100003", "aftership": "fedex", "kuaidi100": "fedex"},
        (
            _ref("fedex_12", context=True, confidence=0.6),
            _ref("fedex_ground", context=True, confidence=0.6),
            _ref("fedex_ground_96", context=True, confidence=0.7),
            _ref("fedex_ground_sscc_18", context=True, confidence=0.6),
            _ref("fedex_astra_32", context=True, confidence=0.7),
            _ref("fedex_34", context=True, confidence=0.7),
            _ref("fedex_ground_gsn", context=True, confidence=0.7),
        ),
        ("Federal Express", "FedEx Express", "FedEx Ground", "fedex.com"),
    ),
    Carrier(
        "usps", "USPS", "美国邮政", "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
        {"17track": "21051", "aftership": "usps", "kuaidi100": "usps"},
        (
            # IMpb (91-95 + service + mailer + serial), optionally behind the 420+ZIP routing code
            _ref("usps_impb_n", confidence=0.8),
            _ref("usps_impb_c", confidence=0.8),
            _ref("usps_legacy", confidence=0.8, ApplicationIdentifier="91"),
            _ref("usps_legacy", context=True, confidence=0.6),
            _ref("usps_20", context=True, confidence=0.6),
            # 22/26 digits 91-95 with the GS1 check but a mailer ID the IMpb rules above do not allow
            # ("92" + a 9-digit ID not starting 9): USPS named nearby only
            _fmt(r"(?:420\d{5}(?:\d{4})?)?9[1-5]\d{20}(?:\d{4})?", _gs1_tail, context=True, confidence=0.6,
                 name="USPS 91-95 (mailer ID unchecked)"),
            _s10("US"),
        ),
        ("United States Postal Service", "U.S. Postal Service", "US Postal Service", "usps.com"),
    ),
    Carrier(
        "dhl", "DHL Express", "DHL快递", "https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}",
        {"17track": "100001", "aftership": "dhl", "kuaidi100": "dhl"},
        (
            _ref("dhl_express", context=True, confidence=0.6),
            _ref("dhl_express_piece_id", confidence=0.75),
            _fmt(r"JD\d{18}", confidence=0.8, name="DHL Express piece ID (JD + 18)"),
        ),
        ("DHL", "dhl.com", "敦豪"),
    ),
    Carrier(
        "dhl_paket", "DHL Paket", "DHL德国包裹",
        "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode={number}",
        {"17track": "7041", "aftership": "dhl-germany"},
        (
            _fmt(r"00340434\d{12}", _gs1_number, confidence=0.95, name="DHL Paket SSCC (GS1 prefix 340434)"),
            _fmt(r"00\d{18}", _gs1_number, context=True, confidence=0.7, name="DHL Paket SSCC"),
            _fmt(r"JJD\d{18}", confidence=0.85, name="DHL Paket International"),  # JJD + 16 is Yodel's
            _fmt(r"\d{12}", context=True, confidence=0.5, name="DHL Paket (12)"),
            _s10("DE"),
        ),
        ("Deutsche Post", "DHL Paket", "DHL Sendung", "Packstation", "dhl.de"),
    ),
    Carrier(
        "royal_mail", "Royal Mail", "英国皇家邮政", "https://www.royalmail.com/track-your-item#/tracking-results/{number}",
        {"17track": "11031", "aftership": "royal-mail"},
        (_s10("GB", confidence=0.9),),   # domestic Tracked 24/48 use other service letters ("TT…GB")
        ("royalmail.com",),
    ),
    Carrier(
        "evri", "Evri", "Evri", "https://www.evri.com/track/parcel/{number}",
        {"17track": "100331", "aftership": "evri"},
        (_fmt(r"H[0-9A-Z]{15}", context=True, confidence=0.6), _fmt(r"\d{16}", context=True, confidence=0.5)),
        ("evri.com", "Hermes UK", "myHermes"),
    ),
    Carrier(
        "dpd", "DPD", "DPD", "https://tracking.dpd.de/status/en_US/parcel/{number}",
        {"17track": "100007", "aftership": "dpd"},
        (
            _ref("dpd", confidence=0.85),
            _ref("dpd_14", context=True, confidence=0.6),
            _fmt(r"\d{14}", context=True, confidence=0.5, name="DPD parcel number (14)"),
            _fmt(r"\d{10}", context=True, confidence=0.4),
        ),
        ("dpd.de", "dpd.co.uk", "DPD Predict", "dpdgroup.com"),
    ),
    Carrier(
        "gls", "GLS", "GLS", "https://gls-group.com/track/{number}",
        {"17track": "100005", "aftership": "gls"},
        (_fmt(r"\d{11,12}", context=True, confidence=0.5),),
        ("General Logistics Systems", "gls-group.eu", "gls-pakete.de", "gls-group.com"),
    ),
    Carrier(
        "postnl", "PostNL", "荷兰邮政", "https://jouw.postnl.nl/track-and-trace/{number}",
        {"17track": "14041", "aftership": "postnl"},
        (_fmt(r"3S[A-Z]{4}\d{7,9}", confidence=0.85, name="PostNL 3S"), _s10("NL")),
        ("postnl.nl",),
    ),
    Carrier(
        "canada_post", "Canada Post", "加拿大邮政",
        "https://www.canadapost-postescanada.ca/track-reperage/en#/details/{number}",
        {"17track": "3041", "aftership": "canada-post"},
        (_ref("canada_post", context=True, confidence=0.6), _s10("CA")),
        ("Postes Canada", "canadapost.ca", "canadapost-postescanada.ca"),
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
        (_ref("amazon_logistics", confidence=0.9), _ref("amazon_international", context=True, confidence=0.5)),
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
        (_ref("yunexpress", confidence=0.9),),
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
        (_fmt(r"YT\d{12,13}", confidence=0.9),),
        ("圆通", "圆通快递", "YTO"),
    ),
    Carrier(
        "sto", "STO Express", "申通快递", _KUAIDI100_URL.format(com="shentong"),
        {"17track": "190324", "aftership": "sto", "kuaidi100": "shentong"},
        # 13-15 digits starting 77/88/66/55/58, and the 12-digit numbers starting 2-6 ("268…", "368…")
        (_fmt(r"(?:77|88|66|55|58)\d{11,13}|[2-6]\d{11}", context=True, confidence=0.6),),
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
        # E?…CN items, and domestic 13-digit waybills starting 1, 5 (e-commerce parcels) or 9
        (_s10("CN", "E[A-Z]"), _fmt(r"[159]\d{12}", context=True, confidence=0.5)),
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
    Carrier(
        "best", "Best Express", "百世快递", _KUAIDI100_URL.format(com="huitongkuaidi"),
        {"kuaidi100": "huitongkuaidi"},
        (_fmt(r"\d{12,14}", context=True, confidence=0.5, name="Best Express (12-14)"),),
        ("百世", "百世汇通", "汇通快递", "百世快运", "BEST Express", "BEST Inc"),
    ),
    Carrier(
        "ttk", "TTK Express", "天天快递", _KUAIDI100_URL.format(com="tiantian"),
        {"kuaidi100": "tiantian"},
        (_fmt(r"\d{12,14}", context=True, confidence=0.5, name="TTK (12-14)"),),
        ("天天", "TTK", "TTKEXP"),
    ),
    # --- further carriers of the reference data ----------------------------------------------
    Carrier("ontrac", "OnTrac", "OnTrac", "https://www.ontrac.com/tracking/?number={number}",
            {"aftership": "ontrac"},
            (_ref("ontrac_c", confidence=0.8), _ref("ontrac_d", confidence=0.8)), ("ontrac.com",)),
    Carrier("lasership", "LaserShip", "LaserShip", "https://www.lasership.com/track/{number}",
            {"aftership": "lasership"},
            (_ref("lasership_1ls7", confidence=0.8), _ref("LaserShip 1LS7 (18)", confidence=0.8),
             _ref("lasership_1lscx", confidence=0.8), _ref("lasership_lx", context=True, confidence=0.6)),
            ("OnTrac LaserShip", "lasership.com")),
    Carrier("dhl_ecommerce", "DHL eCommerce", "DHL电子商务", "https://www.dhl.com/us-en/home/tracking.html?tracking-id={number}",
            {"aftership": "dhl-global-mail"},
            (_ref("dhl_ecommerce", context=True, confidence=0.5), _ref("dhl_ecommerce_14", context=True, confidence=0.5)),
            ("DHL eCommerce Solutions", "DHL Global Mail")),
    Carrier("purolator", "Purolator", "Purolator", "https://www.purolator.com/en/shipping/tracker?pin={number}",
            {"aftership": "purolator"},
            (_ref("purolator_numeric", context=True, confidence=0.6), _ref("purolator_alpha", context=True, confidence=0.5)),
            ("purolator.com",)),
    Carrier("canpar", "Canpar Express", "Canpar", "https://www.canpar.com/en/track/tracking.jsp?reference={number}&locale=en",
            {"aftership": "canpar"}, (_ref("canpar_22", context=True, confidence=0.6),), ("Canpar", "canpar.com")),
    # An Indian courier (named in Amazon India's SMS: "shipped via DTDC (R21474677)"); no
    # published number format, so its numbers are only taken where a mail names DTDC beside them.
    # Tracking page: https://www.dtdc.com/track-your-shipment/?awb={awb} (the per-AWB page public shop code links to;
    # not checked live from here).
    Carrier("dtdc", "DTDC", "DTDC", "https://www.dtdc.com/track-your-shipment/?awb={number}",
            {"aftership": "dtdc"}, (), ("dtdc.in", "dtdc.com")),
    Carrier("yodel", "Yodel", "Yodel", "https://www.yodel.co.uk/tracking/{number}",
            {"aftership": "yodel"}, (_ref("yodel", confidence=0.85),), ("yodel.co.uk",)),
    Carrier("gofo", "GOFO Express", "GOFO", "https://www.gofoexpress.com/tracking.html?searchID={number}",
            {}, (_ref("gofo_us", confidence=0.85),), ("gofoexpress.com",)),
    Carrier("landmark", "Landmark Global", "Landmark Global", "https://track.landmarkglobal.com/?search={number}",
            {}, (_ref("landmark_global", confidence=0.85),), ("landmarkglobal.com",)),
    Carrier("speedee", "Spee-Dee Delivery", "Spee-Dee", "https://www.speedeedelivery.com/track/?tracking={number}",
            {}, (_ref("speedee", confidence=0.8),), ("Spee-Dee", "speedeedelivery.com")),
    Carrier("old_dominion", "Old Dominion Freight Line", "Old Dominion",
            "https://www.odfl.com/us/en/tools/trace-track-ltl-freight/trace.html?proNumbers={number}",
            {}, (_ref("Old Dominion", context=True, confidence=0.6),
                 _ref("Old Dominion Guaranteed Shipment", context=True, confidence=0.6)), ("Old Dominion", "odfl.com")),
    # --- European posts and parcel carriers (formats written here) --------------------------------
    Carrier("hermes", "Hermes Germany", "德国Hermes", "https://www.myhermes.de/empfangen/sendungsverfolgung/?trackingId={number}",
            {"aftership": "hermes-de"}, (_fmt(r"H\d{19}", context=True, confidence=0.6, name="Hermes H + 19"),
                                         _fmt(r"\d{14}", context=True, confidence=0.5, name="Hermes (14)")),
            ("Hermes", "myhermes.de", "Hermes Einrichtungs Service")),
    Carrier("parcelforce", "Parcelforce Worldwide", "英国Parcelforce", "https://www.parcelforce.com/track-trace?trackNumber={number}",
            {"aftership": "parcel-force"}, (), ("Parcelforce",)),
    Carrier("colissimo", "Colissimo", "法国Colissimo", "https://www.laposte.fr/outils/suivre-vos-envois?code={number}",
            {"aftership": "colissimo"},
            (_s10("FR"), _fmt(r"\d[A-Z]\d{11}", context=True, confidence=0.6, name="Colissimo (13)")),
            ("La Poste Colissimo", "La Poste", "laposte.fr", "colissimo.fr")),
    Carrier("inpost", "InPost", "InPost", "https://inpost.pl/sledzenie-przesylek?number={number}",
            {"aftership": "inpost-paczkomaty"}, (_fmt(r"\d{24}", context=True, confidence=0.6, name="InPost (24)"),),
            ("Paczkomat", "Paczkomaty", "inpost.pl", "InPost Paczkomaty")),
    Carrier("poczta_polska", "Poczta Polska", "波兰邮政", "https://emonitoring.poczta-polska.pl/?numer={number}",
            {"aftership": "poczta-polska"},
            (_s10("PL"), _fmt(r"00\d{18}", _gs1_number, context=True, confidence=0.6, name="Poczta Polska SSCC")),
            ("Pocztex", "poczta-polska.pl", "Envelo")),
    Carrier("correos", "Correos", "西班牙邮政", "https://www.correos.es/es/en/tools/tracker/items/details?tracking-number={number}",
            {}, (_s10("ES"), _fmt(r"P[QK][0-9A-Z]{21}", context=True, confidence=0.6, name="Correos (23)")),
            ("Correos Express", "correos.es")),
    Carrier("poste_italiane", "Poste Italiane", "意大利邮政", "https://www.poste.it/cerca/index.html#/risultati-spedizioni/{number}",
            {}, (_s10("IT"),), ("SDA", "SDA Express Courier", "Poste Delivery", "poste.it", "sda.it")),
    Carrier("brt", "BRT", "BRT", "https://vas.brt.it/vas/sped_det_show.hsm?Nspediz={number}",
            {}, (), ("BRT Bartolini", "Bartolini", "brt.it")),
    Carrier("packeta", "Packeta", "Packeta", "https://tracking.packeta.com/en/?id={number}",
            {}, (_fmt(r"Z\d{10}", context=True, confidence=0.6, name="Packeta Z + 10"),),
            ("Zásilkovna", "Zasilkovna", "packeta.com")),
    Carrier("yanwen", "Yanwen", "燕文物流", "https://track.yw56.com.cn/en/querydel?nums={number}",
            {"aftership": "yanwen"}, (), ("燕文",)),
    Carrier("hongkong_post", "Hongkong Post", "香港邮政", "https://www.hongkongpost.hk/en/mail_tracking/index.html",
            {"aftership": "hong-kong-post"}, (_s10("HK"),), ()),
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


# Words many names share and mails use anyway: a name's rarest word makes the better needle.
_COMMON_WORDS = frozenset({"express", "post", "logistics", "delivery", "global", "mail", "parcel", "shipping",
                           "courier", "network", "worldwide", "inc", "solutions", "service", "la"})


@dataclass(frozen=True, slots=True)
class _Alias:
    regex: re.Pattern[str]      # the name as written, with its word bounds: the exact definition
    fast: re.Pattern[str]       # the same without the leading look-behind (checked in Python), over the
                                # lower-cased text when the name ignores case: sre can then skip ahead
    carrier: Carrier
    needle: str                 # a word every match contains (lower-cased when the name ignores case)
    folded: bool                # the name ignores case
    bounded: bool               # an ASCII name: no letter or digit may stand right before or after it
    literal: str | None         # the name as matched when it has no space (lower-cased if folded)


@lru_cache(maxsize=1)
def _alias_table() -> tuple[_Alias, ...]:
    rows = []
    for carrier in _CARRIERS:
        for name in dict.fromkeys(carrier.names):  # dedupe, keep order
            regex = _alias_regex(name)
            folded = bool(regex.flags & re.IGNORECASE)
            needle = max(name.split(), key=lambda w: (w.lower() not in _COMMON_WORDS, len(w)))
            written = name.lower() if folded else name
            body = re.escape(written).replace(r"\ ", r"\s+")
            fast = re.compile(body + (r"(?![A-Za-z0-9])" if name.isascii() else ""))
            literal = written if " " not in name else None
            rows.append(_Alias(regex, fast, carrier, needle.lower() if folded else needle, folded, name.isascii(),
                               literal))
    return tuple(rows)


@lru_cache(maxsize=1)
def name_keys() -> dict[str, tuple[tuple[int, bool], ...]]:
    """The strings an Aho-Corasick automaton over lower-cased text looks for to find carrier names:
    a name without spaces is its own key (its hits are checked in Python), a name with spaces is
    found through its needle (its regex then runs). Key -> ``(row of the alias table, is that name's
    own key)`` pairs. :func:`names_from_hits` reads the automaton's hits."""
    keys: dict[str, list[tuple[int, bool]]] = {}
    for i, alias in enumerate(_alias_table()):
        if alias.literal is not None:
            keys.setdefault(alias.literal.lower(), []).append((i, True))
        else:
            keys.setdefault(alias.needle.lower(), []).append((i, False))
    return {key: tuple(rows) for key, rows in keys.items()}


_SURROGATE = re.compile("[\ud800-\udfff]")


def automaton(patterns: list[str]) -> ahocorasick_rs.AhoCorasick:
    """An Aho-Corasick automaton over ``patterns`` (literal, matched on the text as given).

    A contiguous NFA, not a DFA: over the ~2,400 status phrases of 19 languages a DFA took 14 MB and
    all of the parse worker's automata ~16 MB of its 63 MB, for a scan as fast within noise (1.20 ms a
    mail either way, bench_parse; measured 2026-12-06)."""
    return ahocorasick_rs.AhoCorasick(patterns, implementation=ahocorasick_rs.Implementation.ContiguousNFA)


def overlapping_hits(matcher: ahocorasick_rs.AhoCorasick, text: str) -> list[tuple[int, int, int]]:
    """``(pattern index, start, end)`` of every (overlapping) match, ordered by end. A lone surrogate
    (undecodable mail bytes) cannot go to the automaton as UTF-8: it is searched as U+FFFD, which no
    pattern contains, so positions and matches stay the same."""
    try:
        return matcher.find_matches_as_indexes(text, True)
    except UnicodeEncodeError:
        return matcher.find_matches_as_indexes(_SURROGATE.sub("\ufffd", text), True)


@lru_cache(maxsize=1)
def _needles() -> tuple[ahocorasick_rs.AhoCorasick, tuple[tuple[tuple[int, bool], ...], ...]]:
    """An automaton over :func:`name_keys` and the rows of each of its patterns."""
    keys = name_keys()
    return automaton(list(keys)), tuple(keys.values())


# Characters that re.IGNORECASE matches to a letter but str.lower() does not lower to it (dotted/dotless
# i, long s; Greek sigma, whose final form ς and σ match each other, the Greek symbol forms ϐ ϑ ϕ ϖ ϰ ϱ ϵ,
# iota subscript, micro sign): with one of them in the text the needle test could miss a name or a phrase,
# so the exact regexes are run instead (every Greek text: its phrases are matched exhaustively).
_CASE_ODDITIES = ("\u0130", "\u0131", "\u017f",
                  "\u03a3", "\u03c3", "\u03c2", "\u03d0", "\u03d1", "\u03d5", "\u03d6", "\u03f0", "\u03f1",
                  "\u03f5", "\u0345", "\u1fbe", "\u00b5")
_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def lowers_in_place(text: str, lowered: str) -> bool:
    """Whether ``lowered`` (``text.lower()``) keeps every position of ``text`` and no character of it
    matches a letter case-insensitively without lowering to it: then names and labels can be
    looked for in the lower-cased text."""
    return len(lowered) == len(text) and not any(odd in text for odd in _CASE_ODDITIES)


def find_names(text: str) -> list[tuple[int, int, Carrier]]:
    """Every carrier name in ``text`` as ``(start, end, carrier)``, left to right.

    Where names overlap the longest wins ("DHL Paket" over the "DHL" inside it).
    """
    lowered = text.lower()
    if not lowers_in_place(text, lowered):
        table = _alias_table()   # exhaustive, with the exact regexes
        return _longest_first([(m.start(), m.end(), i, alias.carrier)
                               for i, alias in enumerate(table) for m in alias.regex.finditer(text)])
    automaton, rows = _needles()
    return names_from_hits(text, lowered, [(end, rows[i]) for i, _s, end in overlapping_hits(automaton, lowered)])


def names_from_hits(
    text: str, lowered: str, hits: Iterable[tuple[int, tuple[tuple[int, bool], ...]]]
) -> list[tuple[int, int, Carrier]]:
    """:func:`find_names` of ``text`` from the overlapping hits ``(end, rows of the key)`` of an
    Aho-Corasick automaton holding :func:`name_keys`, over ``lowered`` (for which
    :func:`lowers_in_place` holds), in the order of their ends.

    A name without spaces is checked at its hits as its fast regex would be, one match after the
    other as finditer() reads them; a name with spaces contains its needle, so only those names'
    regexes run."""
    table = _alias_table()
    size = len(text)
    found: list[tuple[int, int, int, Carrier]] = []   # (start, end, row, carrier)
    regex_rows: set[int] = set()
    match_end: dict[int, int] = {}     # where a name's previous match ended (finditer does not overlap)
    for end, rows in hits:
        for i, own in rows:
            if not own:
                regex_rows.add(i)
                continue
            alias = table[i]
            start = end - len(alias.literal)  # type: ignore[arg-type]
            haystack = lowered if alias.folded else text
            if not alias.folded and text[start:end] != alias.literal:
                continue
            if alias.bounded and end < size and haystack[end] in _ASCII_ALNUM:
                continue
            if start < match_end.get(i, 0):
                continue
            match_end[i] = end
            if alias.bounded and start and haystack[start - 1] in _ASCII_ALNUM:
                continue
            found.append((start, end, i, alias.carrier))
    for i in regex_rows:
        alias = table[i]
        haystack = lowered if alias.folded else text
        for m in alias.fast.finditer(haystack):
            start = m.start()
            if alias.bounded and start and haystack[start - 1] in _ASCII_ALNUM:
                continue
            found.append((start, m.end(), i, alias.carrier))
    return _longest_first(found)


def _longest_first(hits: list[tuple[int, int, int, Carrier]]) -> list[tuple[int, int, Carrier]]:
    """Left to right; where hits overlap, the longest (then the first in the alias table) wins."""
    hits.sort(key=lambda h: (h[0], h[0] - h[1], h[2]))
    kept: list[tuple[int, int, Carrier]] = []
    for start, end, _i, carrier in hits:
        if kept and start < kept[-1][1]:
            continue
        kept.append((start, end, carrier))
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
