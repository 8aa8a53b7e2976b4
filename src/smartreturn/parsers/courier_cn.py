"""Chinese courier notices: SMS text (【签名】…) and the couriers' own mails, shared by the carrier parsers.

Chinese couriers mostly notify by SMS. Users paste them (``smartreturn add-text``) or forward them
by mail, sometimes several in one mail. This module splits such text into messages, tells which
courier sent each one (by its 【signature】), and reads one :class:`~smartreturn.model.Event` from
each: kind (揽收/派送/待取件/签收/问题件), tracking number, 取件码, pickup station and time.

A mail belongs to the parser that owns the *first* courier notice in it; that parser extracts every
courier notice in the mail (see :func:`sms_events`), so a mail holding a 中通 and a 顺丰 SMS is
claimed once, never twice. Everything here is pure: no clock, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import ClassVar
from zoneinfo import ZoneInfo

from smartreturn.mail.message import Email
from smartreturn.model import Direction, Event, EventKind, ShipmentStatus, TrackingRef
from smartreturn.tracking import detect
from smartreturn.tracking.carriers import UnknownCarrier

SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- couriers ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Courier:
    """What the parsers know about one courier (or pickup-station network)."""

    parser: str                      # the parser that owns its notices
    platform: str                    # Event.platform of its notices
    carrier: str | None              # carrier code; None: read it from the text (stations, lockers)
    signatures: tuple[str, ...]      # SMS signatures, without the brackets
    domains: tuple[str, ...] = ()    # mail sender domains (subdomains included)
    numbers: re.Pattern[str] | None = None  # its tracking numbers, recognised without context words


def _own(pattern: str) -> str:
    """A number pattern bounded by anything but letters and digits (Chinese text has no spaces)."""
    return rf"(?<![A-Za-z0-9])(?:{pattern})(?![A-Za-z0-9])"


COURIERS: tuple[Courier, ...] = (
    Courier("sf_express", "sf", "sf", ("顺丰速运", "顺丰快递", "顺丰", "顺丰控股", "SF Express"),
            ("sf-express.com", "sf-express.com.cn"), re.compile(_own(r"SF\d{12,13}"))),
    Courier("jd_logistics", "jd", "jd", ("京东物流", "京东快递"),
            ("jdl.com", "jdl.cn"), re.compile(_own(r"JD(?:V[A-F]|X|[A-Z])?\d{11,15}"))),
    Courier("cainiao", "cainiao", None, ("菜鸟驿站", "菜鸟", "菜鸟裹裹", "菜鸟速递", "菜鸟乡村"),
            ("cainiao.com",), re.compile(_own(r"LP\d{14}|CN\d{13,16}|CNG\d{12,15}"))),
    Courier("cainiao", "fcbox", None, ("丰巢", "丰巢智能柜", "丰巢快递柜")),
    Courier("cainiao", "pickup_station", None, ("兔喜生活", "兔喜快递超市", "妈妈驿站", "中邮驿站", "快递超市",
                                               "熊猫快收", "近邻宝", "速递易", "递管家", "云柜")),
    Courier("zto", "zto", "zto", ("中通快递", "中通"), ("zto.com",)),
    Courier("yto", "yto", "yto", ("圆通速递", "圆通快递", "圆通"), ("yto.net.cn",), re.compile(_own(r"YT\d{12,16}"))),
    Courier("sto", "sto", "sto", ("申通快递", "申通"), ("sto.cn",)),
    Courier("yunda", "yunda", "yunda", ("韵达快递", "韵达速递", "韵达"), ("yundaex.com",)),
    Courier("ems", "ems", "ems", ("EMS", "中国邮政EMS", "邮政EMS", "EMS中国邮政速递物流", "中国邮政速递物流"),
            ("ems.com.cn", "11183.com.cn"), re.compile(_own(r"[A-Z]{2}\d{9}CN"))),
    Courier("ems", "china_post", "china_post", ("中国邮政", "邮政", "邮政快递", "邮政包裹", "中国邮政集团"),
            ("chinapost.com.cn",), re.compile(_own(r"[A-Z]{2}\d{9}CN"))),
    Courier("jt", "jt", "jt", ("极兔速递", "极兔快递", "极兔", "J&T", "J&T极兔速递"),
            ("jtexpress.com.cn", "jtexpress.cn"), re.compile(_own(r"JT\d{13}"))),
)
# Pickup stations and lockers are many small brands (【欢猫驿站】, 【袋鼠智柜】, 【驿小哥】...): a signature
# that names a station or a locker is one, and so is any signature on a notice that gives a 取件码 at a
# 驿站 / 快递柜 (【邮侠】凭取件码…到…菜鸟驿站…取): see :func:`courier_for_signature`.
_STATION = next(c for c in COURIERS if c.platform == "pickup_station")
_STATION_SIGNATURE = re.compile(r"驿站|驿|快递柜|智能柜|智柜|快递超市|快递站|代收点|自提|快收|收发")
_STATION_BODY = re.compile(r"驿站|快递柜|智能柜|丰巢|快递超市|快递站|快递点|快递店|快递服务|服务站|代收点|自提点|自提柜|格口|货架")

_BY_SIGNATURE: dict[str, Courier] = {sig.lower(): c for c in COURIERS for sig in c.signatures}

# Courier names inside a station notice ("您的中通包裹") -> carrier code. Longest first.
CARRIER_NAMES: tuple[tuple[str, str], ...] = (
    ("中国邮政", "china_post"), ("邮政", "china_post"), ("EMS", "ems"),
    ("顺丰", "sf"), ("京东", "jd"), ("中通", "zto"), ("圆通", "yto"), ("申通", "sto"), ("韵达", "yunda"),
    ("菜鸟速递", "cainiao"), ("丹鸟", "cainiao"), ("极兔", "jt"), ("德邦", "deppon"),
)
_STATION_WORDS = re.compile(r"菜鸟驿站|菜鸟裹裹|菜鸟乡村|中邮驿站|丰巢")


def courier_for_signature(signature: str, body: str | None = None) -> Courier | None:
    """The courier that signs so; an unknown signature is a pickup station when it reads like one or
    when ``body`` is a station notice with a 取件码 (shops' own signatures never are)."""
    courier = _BY_SIGNATURE.get(signature.strip().lower())
    if courier is not None or signature.strip() in _platform_signatures():
        return courier
    if not signature.strip():  # an app's pickup card (see pickup_card): only those are unsigned
        return _STATION if body else None
    if _STATION_SIGNATURE.search(signature) or body and _STATION_BODY.search(body) and pickup_code(body):
        return _STATION
    return None


def _platform_signatures() -> frozenset[str]:
    from smartreturn.parsers.common_cn import platform_signatures  # common_cn imports this module

    return platform_signatures()


def courier_for_domain(domain: str) -> Courier | None:
    domain = domain.lower()
    for courier in COURIERS:
        for known in courier.domains:
            if domain == known or domain.endswith("." + known):
                return courier
    return None


# --- splitting text into SMS --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Sms:
    signature: str          # without brackets
    body: str               # the text without the signature, on one line
    when: str | None = None  # a time line the phone printed above it ("11月25日 14:03"), if any


_SIG = r"【\s*([^【】\r\n\d][^【】\r\n]{0,15}?)\s*】"
# A signature opens a message at a line start (after a label like "短信内容：", or after the sender's
# number that some forwarders glue in front: "95508【广发银行】…") or right after the end of a sentence;
# a signature at the end of a paragraph closes the message before it.
_HEAD = re.compile(r"(?:^\s*+(?:[^\s【】:：]{1,8}[:：]\s*|\+?\d{5,20}\s*)?|(?<=[。！？!?；;])\s*)" + _SIG + r"(?=\s*\S)")
# (a phone may print the time between the last sentence and the signature: "…处理。10:09【顺丰速运】")
_TAIL = re.compile(r"(?:(?<=[。！？!?.])|(?<=\d:\d\d))\s*" + _SIG + r"\s*$")
# Some phones and forwarders show the signature in square brackets: "[兔喜生活]请凭…取件".
# A signature alone on a line, the message wrapped below it ("【中通快递】\n取件码为D1-4-2586\n…"); not the
# closing signature of the sentence above it.
_ALONE_HEAD = re.compile(r"(?<![。！？!?.]\n)^([ \t]*【[^【】\r\n\d][^【】\r\n]{0,15}】)[ \t]*\n(?=[ \t]*[^\s【])", re.M)
_SQUARE_HEAD = re.compile(r"^([ \t]*)\[([^\[\]\r\n\d][^\[\]\r\n]{0,15}?)\](?=[ \t]*\S)", re.M)
_QUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)+", re.M)
_TIME_LINE = re.compile(
    r"^\s*(?:(?:接收|收到|发送)?时间[:：]\s*)?((?:\d{4}[-/.年])?\d{1,2}[-/.月]\d{1,2}日?\s*+\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)\s*$"
)
# What SMS-forwarding apps print around the message (SmsForwarder: sender number, SMS, "SIM1_中国移动_186…",
# time, device): a SIM / device line ends the message instead of joining it.
_META_LINE = re.compile(r"^\s*(?:SIM\s?\d|卡槽|卡\s?\d[_:：\s]|设备(?:名称)?[:：]|来自[:：])", re.I)

_PROMO = re.compile(r"退订|回T|回复T|拒收请回复|回复R|优惠券|领券|抽奖|红包|限时|折扣|会员日|立减|评价|满意度|问卷")
_OTP = re.compile(r"验证码|校验码|动态码|动态密码|verification code|\bOTP\b", re.I)


# Every character whose NFKC form holds "【" or "[" (checked over all of Unicode by a test). NFKC
# composes no character out of either, so the NFKC form of a text holds one only when the text holds
# one of these.
BRACKET_SOURCES = "[\u3010\ufe3b\ufe47\uff3b"


def _may_hold_bracket(text: str) -> bool:
    return any(ch in text for ch in BRACKET_SOURCES)


def _bracket_opens_a_line(text: str) -> bool:
    """Whether a "[" stands after nothing but blanks and quote marks on its line: what _QUOTE and
    _SQUARE_HEAD need to turn "[…]" into a 【…】 signature (both are anchored at line starts)."""
    at = text.find("[")
    while at >= 0:
        if not text[text.rfind("\n", 0, at) + 1 : at].strip(" \t>"):
            return True
        at = text.find("[", at + 1)
    return False


def split_sms(text: str) -> list[Sms]:
    """Every 【signed】 message in ``text``, in order. Text outside messages is dropped.

    A message runs until the next signature, a blank line or a time line; a time line alone
    ("2026-11-25 14:03", as phones print them) is kept as the ``when`` of the next message.
    """
    if not _may_hold_bracket(text):  # (NFKC of a whole mail text is not cheap)
        return []
    # (every message is signed 【…】 or [...] at a line start: the NFKC form holds one of them now)
    text = unicodedata.normalize("NFKC", text.replace("\r\n", "\n"))
    if "【" not in text and not _bracket_opens_a_line(text):  # the subs below could bring no 【 in
        return []
    text = _SQUARE_HEAD.sub(_square_signature, _QUOTE.sub("", text))
    if "【" not in text:   # no signature, also none in square brackets
        return []
    text = _ALONE_HEAD.sub(r"\1", text)
    found: list[Sms] = []
    when: str | None = None
    for block in re.split(r"\n[ \t]*\n", text):
        lines = block.split("\n")
        if not any(_HEAD.search(line) for line in lines):
            first = _TIME_LINE.match(lines[0])
            body = "\n".join(lines[1:] if first else lines).strip()
            tail = _TAIL.search(body)
            if tail and tail.start() > 0:
                found.append(Sms(tail.group(1), _one_line(body[: tail.start()]), first.group(1) if first else when))
                when = None
            elif (filled := [line for line in lines if line.strip()]) and (m := _TIME_LINE.match(filled[-1])):
                when = m.group(1)
            continue
        signature: str | None = None
        parts: list[str] = []
        sms_when: str | None = None
        for line in lines + [""]:  # the empty line flushes the last message
            time_line = _TIME_LINE.match(line)
            meta = time_line is None and _META_LINE.match(line) is not None
            heads = [] if time_line or meta else list(_HEAD.finditer(line))
            if signature is not None:
                parts.append(line[: heads[0].start()] if heads else ("" if time_line or meta else line))
            if time_line or meta or heads or not line.strip():
                if signature is not None and (body := _one_line("\n".join(parts))):
                    found.append(Sms(signature, body, sms_when))
                signature, parts = None, []
            if time_line:
                when = time_line.group(1)
            for i, head in enumerate(heads):
                if signature is not None and (body := _one_line("\n".join(parts))):
                    found.append(Sms(signature, body, sms_when))
                end = heads[i + 1].start() if i + 1 < len(heads) else len(line)
                signature, parts, sms_when, when = head.group(1), [line[head.end():end]], when, None
    if when is not None and found and found[-1].when is None:  # a forwarder prints the time below the SMS
        found[-1] = replace(found[-1], when=when)
    return found


def _square_signature(m: re.Match[str]) -> str:
    """"[兔喜生活]" at a line start is a signature when a courier, a station or a platform signs so."""
    name = m.group(2).strip()
    known = courier_for_signature(name) is not None or name in _platform_signatures()
    return f"{m.group(1)}【{name}】" if known else m.group(0)


def mail_sms(email: Email) -> list[Sms]:
    """The SMS in a mail's body; else in its subject (SMS-forwarding apps put it there); else a
    pickup card copied from a shop's app."""
    return split_sms(email.text) or split_sms(email.subject) or pickup_card(email.text)


_CARD_LABEL = re.compile(r"取件码|取货码|提货码")


def pickup_card(text: str) -> list[Sms]:
    """A pickup card copied from a shop's app, unsigned: "取件码 B3-01175\n韵达快递超市代收点 | 富里超市".

    Only a short text with a labelled 取件码 at a station or locker counts (signature ""); the station
    parser reads it like a station's SMS.
    """
    if not text or len(text) > 400 or not _CARD_LABEL.search(text):  # cheap gates: most mails are long
        return []
    text = unicodedata.normalize("NFKC", text).strip()
    if len(text) > 300 or "【" in text or _OTP.search(text):
        return []
    body = "，".join(line.strip() for line in text.splitlines() if line.strip())
    return [Sms("", body)] if pickup_code(body) and (_STATION_BODY.search(body) or re.search(r"[|｜]", body)) else []


def _one_line(text: str) -> str:
    return re.sub(r"(?<!\s)\s*\n\s*", "", text).strip()


def is_notice(text: str) -> bool:
    """A delivery notice, not a 验证码 or account message, nor marketing without a parcel in it
    (a real notice may carry "退订回T" or a coupon line; it also carries a number or a 取件码)."""
    if _OTP.search(text) or classify(text) is None:
        return False
    return not _PROMO.search(text) or bool(pickup_code(text) or tracking_numbers(text, None))


def _platform_notice(signature: str, body: str) -> bool:
    """A shop's own SMS that its platform parser reads (the 【京东】 order SMS is the jd parser's).

    The signatures and the test are the platform parsers' own (common_cn), imported late: those
    modules import this one. Shops without a parser (唯品会, 闲鱼...) are unknown signatures here.
    """
    from smartreturn.parsers.common_cn import is_platform_notice

    return is_platform_notice(signature, body)


# Shops' own mail domains: an order mail that quotes a 【京东快递】 line is still the shop parser's.
PLATFORM_DOMAINS = ("jd.com", "jd.hk", "taobao.com", "tmall.com", "alibaba-inc.com", "aliexpress.com",
                    "pinduoduo.com", "yangkeduo.com", "douyin.com", "vip.com", "suning.com", "amazon.cn")


def _from_shop(email: Email) -> bool:
    return _shop_domain(email.sender_domain)


@lru_cache(maxsize=256)  # every courier parser asks about the same sender in a row
def _shop_domain(domain: str) -> bool:
    return any(domain == d or domain.endswith("." + d) for d in PLATFORM_DOMAINS)


def lead_courier(email: Email) -> Courier | None:
    """The courier of the first notice in the mail: by 【signature】, else by sender domain.

    The first notice signed by a courier or a shop decides: a mail that starts with a 【京东】 order
    SMS belongs to the platform parser even if a courier SMS follows. Never raises.
    """
    try:
        if _from_shop(email):
            return None
        return _lead(email.text, email.subject, email.sender_domain)
    except Exception:  # identify() must never raise on hostile text
        return None


@lru_cache(maxsize=16)  # the courier and platform parsers ask about the same mail in a row
def lead_sms(text: str, subject: str) -> Sms | None:
    """The SMS that decides who owns a pasted batch: the first one signed by a courier or a platform
    that is a real notice of its owner. 验证码, account and marketing SMS and chatter without a status
    never decide, and unknown signatures are skipped unless they sign a pickup-station notice
    (:func:`courier_for_signature`). The courier parsers (:func:`lead_courier`) and
    the platform parsers (common_cn) both ask this one function, so exactly one owner results.
    """
    for sms in split_sms(text) or split_sms(subject) or pickup_card(text):
        if courier_for_signature(sms.signature, sms.body) is not None:
            if is_notice(sms.body):
                return sms
        elif _platform_notice(sms.signature, sms.body):
            return sms
    return None


@lru_cache(maxsize=16)  # the eight courier parsers ask about the same mail in a row
def _lead(text: str, subject: str, domain: str) -> Courier | None:
    sms = lead_sms(text, subject)
    if sms is not None:
        return courier_for_signature(sms.signature, sms.body)  # None: a platform's SMS leads
    courier = courier_for_domain(domain)
    if courier is not None and _mail_is_notice(subject, text, courier):
        return courier
    return None


def _mail_is_notice(subject: str, body: str, courier: Courier) -> bool:
    """A courier's own mail: a status and a tracking number; mails whose subject sells are not."""
    if _PROMO.search(subject) or _OTP.search(subject):
        return False
    text = f"{subject}\n{body}"
    return classify(text) is not None and bool(tracking_numbers(text, courier))


# --- reading one message ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Status:
    kind: EventKind
    status: ShipmentStatus
    detail: str


_STATUS_RULES: tuple[tuple[re.Pattern[str], EventKind, ShipmentStatus, str], ...] = tuple(
    (re.compile(pattern, re.I), kind, status, detail)
    for pattern, kind, status, detail in (
        # "如拒收请联系…", "拒收请回复R" (an opt-out line) are not a refusal
        (r"(?<![如若需])拒收(?!请?回复|请?回电|请?联系|请?致电)|退回(?:寄件人|发件人|寄件方|原寄)|正在退回|已退回|退件|"
         r"returned to sender|return(?:ing)? to sender",
         EventKind.DELIVERY_EXCEPTION, ShipmentStatus.RETURNING, "退回"),
        (r"问题件|异常件|派送失败|无法派送|未能(?:成功)?派送|地址(?:不详|错误)|(?<!以免)(?<!避免)(?<!防止)(?:滞留|破损|丢失)|"
         r"delivery exception|unable to deliver|delivery attempt failed",
         EventKind.DELIVERY_EXCEPTION, ShipmentStatus.EXCEPTION, "问题件"),
        # a station's "已出库" is the parcel collected (with "如非本人取件…"); a warehouse's 出库 is a shipment
        (r"已签收|签收人|已被签收|已妥投|已投妥|妥投|已取件|已取出|已被取出|已于.{0,25}(?:取出|取件|签收)|已送达本人|"
         r"已出库[^。]{0,30}?(?:非本人|取件人)|已被(?:取走|领取)|has been delivered|was delivered|"
         r"delivered successfully",
         EventKind.DELIVERED, ShipmentStatus.DELIVERED, "已签收"),
        # "请及时取件", "辛苦及时取件" (韵达), "尽快来取件"
        (r"取件码|取货码|提货码|取件密码|开箱码|待取件|(?:及时|尽快)来?取件|凭码取件|"
         r"凭[^，,。；;]{0,40}?(?:取|领)|请用[^，,。；;]{1,20}?取|请持[^，,。；;]{0,10}?(?:取件|领取)|"
         r"(?:请|及时|尽快|速)[^，,。；;]{0,24}?领取|到巢|已入柜|等您很久|(?:一直|超时|逾期)未取|货号\s*+[A-Za-z0-9]|"
         r"请(?:到|去|至|前往|联系)[^，,。；;]{0,16}?(?<!上门)取件|"
         # "请前往友邻驿站正商红河谷08号商铺友邻驿站，领取中通3787的快件": a station, then 领取 past a comma
         r"请(?:到|去|至|前往)[^。；;]{0,30}?(?:驿站|快递柜|智能柜|丰巢|代收点|快递超市|服务站|自提点)[^。；;]{0,12}?(?:取件|领取)|"
         r"已(?:到达?|放入|存入|投递至|送至|放至|暂存|存放).{0,40}(?:驿站|快递柜|智能柜|丰巢|自提|代收点|快递超市|服务站)|"
         r"放置于|(?:已为您|已)放(?:在|到)|已送达.{0,40}保管|"
         r"ready for (?:pick-?up|collection)",
         EventKind.PICKUP_READY, ShipmentStatus.PICKUP_READY, "待取件"),
        # left to a station (代收) without a 取件码 above: delivered; "不取件为你代签收" is a warning only
        (r"已代收|已由.{0,12}代收|(?<![将会你您])代签收",
         EventKind.DELIVERED, ShipmentStatus.DELIVERED, "已签收"),
        (r"派送中|派件中|正在派送|正在派件|正在为您派送|正在为您派件|开始派送|安排派送|准备派送|正在配送|开始配送|配送中|正在为您配送|"
         r"由.{0,25}?(?:派送|配送|派件)|快递员[^，,。；;]{0,20}?(?:正在|开始)?(?:派送|派件|配送)|投递中|正在投递|正在为您投递|"
         r"派送员|派件员|配送员|投递员|out for delivery",
         EventKind.OUT_FOR_DELIVERY, ShipmentStatus.OUT_FOR_DELIVERY, "派送中"),
        (r"已揽收|揽收|已揽件|揽件|已收件|已被收取|收寄|picked up|collected|has been shipped",
         EventKind.SHIPPED, ShipmentStatus.INFO_RECEIVED, "已揽收"),
        (r"已(?:从.{0,20})?发出|已发货|运输中|在途|已到达.{0,20}(?:中心|分拨|转运|网点|营业部)|发往|转运|离开|in transit|on its way",
         EventKind.SHIPPED, ShipmentStatus.IN_TRANSIT, "运输中"),
    )
)


def classify(text: str) -> Status | None:
    """The delivery status a notice states, most significant first (a 签收 beats a 派送)."""
    for pattern, kind, status, detail in _STATUS_RULES:
        if pattern.search(text):
            return Status(kind, status, detail)
    return None


_RETURN_WORDS = re.compile(r"退货|退换货|售后寄件|退回寄件(?!人)|您寄出|您交寄|您寄往|您寄给|您的寄件|return parcel|return shipment", re.I)
_PHONE_CONTEXT = re.compile(r"(?:电话|手机|联系|致电|拨打|热线|客服|tel|phone)[^，,。；;]{0,8}$", re.I)
_CODE = r"(?=[A-Za-z0-9](?:\s?[-－—]\s?)?[A-Za-z0-9](?:\s?[-－—]\s?)?[A-Za-z0-9])[A-Za-z0-9]{1,10}(?:\s?[-－—]\s?[A-Za-z0-9]{1,10}){0,4}"
_OPEN, _CLOSE = r"[【\[「『“\"(（]", r"[】\]」』”\")）]"
_PICKUP_CODE = re.compile(
    # 取件码为16-4-9626 / 取货码：A6-1234 / 取件码『12345678』 / 货号JD2044 (campus stations)
    # 取件码 1号柜902144 (an app card names the locker before the code)
    rf"(?:取件码|取货码|提货码|取件密码|开箱码|取件号|提货号|取货号|取件编码|货号)\s*+(?:为|是)?\s*+[:：]?\s*+{_OPEN}?\s*+"
    rf"(?:\d{{1,3}}\s*+号柜\s*+)?({_CODE})"
    # 凭3-2-1024到…取 / 凭"72778"到站点领取 / 凭（3-5-6075）尽快到 / 请用Q7-32到人工货架取
    rf"|(?:凭|请用)\s*+(?:密码|码)?\s*+[:：]?\s*+{_OPEN}?\s*((?=[-－—A-Za-z]*\d){_CODE})\s*+{_CLOSE}?"
    r"\s*(?=到|至|前往|去|来|尽快|及时|免费|速|领|取|在)"
    # 到店输入74775或扫码亮灯取件 (a station whose shelf lights up for the code typed in)
    rf"|输入\s*+((?=[-－—A-Za-z]*\d){_CODE})\s*+(?=或|取|开|即|领)"
)
# "取件码为16-4-9626, 15-3-2194, 16-3-0906": more codes of the same shape right after the first
_MORE_CODES = re.compile(r"(?<!\s)\s*+[,，、;；]\s*+([A-Za-z0-9]{1,10}(?:[-－—][A-Za-z0-9]{1,10}){1,4})(?![A-Za-z0-9号])")
_NUMBER_CONTEXT = re.compile(
    r"(?:运单号码|运单号|运单|快递单号|物流单号|(?<!订)单号|快件|包裹|快递|邮件号码|邮件号|邮件|waybill(?: no\.?| number)?|"
    r"tracking(?: no\.?| number)?|shipment)"
    r"\s*+(?:号码?)?\s*+(?:为|是|:|：|#)?\s*+[（(【\[“\"]?\s*+([A-Z]{0,4}\d{9,20}[A-Z]{0,2})(?![\d])",
    re.I,
)
_SUFFIX = re.compile(r"(?:尾号|后四位|末四位)\s*+(?:为|是)?\s*+[:：]?\s*+([A-Za-z0-9]{3,6})")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LOCATION = re.compile(
    r"(?:已到达|已到|已放入|已存入|已投递至|已投递到|已送至|已送达|已放至|已被放入|已暂存至|已暂存在|已存放至|已存放在|已放在|放在|放置于|放置在|到达|已进入|进入)\s*"
    r"[【「“\"]?([^，,。；;！!】」”\"]{2,40}?(?:菜鸟驿站|驿站|快递柜|智能柜|丰巢柜|丰巢|自提点|代收点|快递超市|超市|服务站|"
    r"服务中心|快递站|快递点|收发室|门卫|前台|物业|柜|门店|便利店|门面房?|店))"
)
# "凭3-2-1024到阳光小区南门菜鸟驿站取件": the place between 到/至 and 取/领; else a 地址: line
_LOCATION_BETWEEN = re.compile(r"凭[^，,。；;]{1,24}?(?:到|至)\s*([^，,。；;！!]{2,40}?)\s*+(?:取|领)")
_LOCATION_CARD = re.compile(r"[^，,。；;|｜\s]{2,20}\s*+[|｜]\s*([^，,。；;！!|｜]{2,40})")  # an app card: "韵达快递超市代收点 | 富里超市"
_LOCATION_LABEL = re.compile(r"(?:取件地址|地址)\s*+[:：-]\s*([^，,。；;！!]{2,40})")
_JD_ORDER = re.compile(r"订单(?:号)?\s*+[:：]?\s*+(\d{9,14})(?!\d)")
_ORDER_NUMBER = re.compile(r"(?:订单|商品)(?:号|编号)?\s*+[:：（(]?\s*+(\d{9,20})(?!\d)|(?<!\d)(\d{9,20})\s*+号(?:的)?订单")


def pickup_codes(text: str) -> list[str]:
    """Every 取件码 of the notice: one, or several listed after one label ("您有3个包裹…取件码为…")."""
    m = _PICKUP_CODE.search(text)
    if not m:
        return []
    codes = [_tidy_code(next(g for g in m.groups() if g))]
    pos = m.end()
    while (more := _MORE_CODES.match(text, pos)) and _shape(more.group(1)) == _shape(codes[0]):
        codes.append(_tidy_code(more.group(1)))
        pos = more.end()
    return list(dict.fromkeys(codes))


def pickup_code(text: str) -> str | None:
    codes = pickup_codes(text)
    return codes[0] if codes else None


def _tidy_code(code: str) -> str:
    return re.sub(r"(?<!\s)\s*+[-－—]\s*", "-", code)


def _shape(code: str) -> int:
    return len(re.findall(r"[-－—]", code))


def pickup_location(text: str) -> str | None:
    m = _LOCATION_BETWEEN.search(text) or _LOCATION_CARD.search(text) or _LOCATION.search(text) or _LOCATION_LABEL.search(text)
    return m.group(1).strip() if m else None


def tracking_numbers(text: str, courier: Courier | None) -> list[str]:
    """Tracking numbers in ``text``: the courier's own formats anywhere, any number after a context
    word (运单号, 快件, 包裹...). Phone numbers, 取件码 and JD order numbers are left out."""
    blocked: set[str] = set()
    code = pickup_code(text)
    if code:
        blocked.update(re.split(r"-", code))
        blocked.add(code)
    blocked.update(_JD_ORDER.findall(text))
    blocked.update(n for pair in _ORDER_NUMBER.findall(text) for n in pair if n)  # order numbers are never waybills
    found: list[tuple[int, str]] = []
    patterns = [c.numbers for c in COURIERS if c.numbers is not None]
    if courier is not None and courier.numbers is not None:
        patterns.insert(0, courier.numbers)
    for pattern in patterns:
        found.extend((m.start(), m.group(0)) for m in pattern.finditer(text))
    for m in _NUMBER_CONTEXT.finditer(text):
        found.append((m.start(1), m.group(1).upper()))
    numbers: list[str] = []
    for start, number in sorted(found):
        if number in numbers or number in blocked or _MOBILE.match(number):
            continue
        if _PHONE_CONTEXT.search(text[max(0, start - 16):start]):
            continue
        if number.isdigit() and not 10 <= len(number) <= 20:
            continue
        numbers.append(number)
    return numbers


def is_valid_number(carrier: str, number: str) -> bool:
    """The number has one of the carrier's formats (check digit included): tracking.detect decides."""
    try:
        return detect.validate(carrier, number)
    except UnknownCarrier:
        return True


def carrier_of_number(number: str) -> str | None:
    """The carrier a self-identifying number belongs to (LP…, YT…, SF…, S10), when a station notice names none."""
    codes = {carrier.code for carrier, fmt in detect.candidates(number) if not fmt.needs_context}
    return codes.pop() if len(codes) == 1 else None


def carrier_in_text(text: str) -> str | None:
    """The courier a station notice names ("您的中通包裹" -> "zto"), earliest mention first."""
    text = _STATION_WORDS.sub("", text)
    best: tuple[int, str] | None = None
    for name, code in CARRIER_NAMES:
        pos = text.find(name)
        if pos >= 0 and (best is None or pos < best[0]):
            best = (pos, code)
    return best[1] if best else None


# --- times -------------------------------------------------------------------------------------------

_DATETIME = re.compile(
    r"(?:(\d{4})\s*+[年/.-]\s*)?(\d{1,2})\s*+[月/.-]\s*+(\d{1,2})\s*+[日号]?\s*"
    r"(?:(\d{1,2})\s*+[:：时点]\s*+(\d{1,2})\s*(?:[:：分]\s*+(\d{1,2})\s*+秒?)?)?"
)
_TODAY = re.compile(r"(今天|今日|昨天|昨日)\s*+(\d{1,2})[:：](\d{2})")
_EXPECTED = re.compile(r"预计\s*+(?:于|在)?\s*+(\d{4}\s*+[年/.-]\s*)?(\d{1,2})\s*+[月/.-]\s*+(\d{1,2})")


def _from_match(m: re.Match[str], ref: datetime | None) -> datetime | None:
    year, month, day, hour, minute, second = m.groups()
    if hour is None:
        return None
    try:
        if year is None:
            if ref is None:
                return None
            value = datetime(ref.year, int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=SHANGHAI)
            if value > ref + timedelta(days=2):  # "12月31日" read in January: last year
                value = value.replace(year=ref.year - 1)
            return value
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=SHANGHAI)
    except ValueError:
        return None


def event_time(text: str, received: datetime) -> datetime | None:
    """When the notice says it happened: a date+time in it (a deadline "…前" does not count)."""
    ref = received.astimezone(SHANGHAI)
    for m in _DATETIME.finditer(text):
        if m.group(4) is None or re.match(r"(?<!\s)\s*+(?:之前|以前|前)", text[m.end():]):
            continue
        if m.group(1) is None and not re.search(r"[月/.-]", m.group(0)):
            continue
        value = _from_match(m, ref)
        if value is not None:
            return value
    m = _TODAY.search(text)
    if m and not re.match(r"(?<!\s)\s*+(?:之前|以前|前)", text[m.end():]):
        day = ref.date() - timedelta(days=1 if m.group(1).startswith("昨") else 0)
        try:
            return datetime(day.year, day.month, day.day, int(m.group(2)), int(m.group(3)), tzinfo=SHANGHAI)
        except ValueError:
            return None
    return None


def expected_date(text: str, received: datetime) -> date | None:
    m = _EXPECTED.search(text)
    if not m:
        return None
    ref = received.astimezone(SHANGHAI).date()
    year = int(re.sub(r"\D", "", m.group(1))) if m.group(1) else ref.year
    try:
        value = date(year, int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
    if m.group(1) is None and value < ref - timedelta(days=180):  # "1月2日" read in December
        value = value.replace(year=year + 1)
    return value


_DEADLINE = re.compile(
    r"(?:(\d{1,2})\s*+月\s*+(\d{1,2})\s*+日\s*)?(\d{1,2})[:：](\d{2})\s*+(?:之前|以前|前)"
)


def pickup_deadline(text: str, occurred: datetime) -> datetime | None:
    """"于18:00前取件" / "请于11月27日 20:00前取件": a time alone is on the notice's day (or the next)."""
    m = _DEADLINE.search(text)
    if not m:
        return None
    month, day, hour, minute = m.groups()
    occurred = occurred.astimezone(SHANGHAI)
    try:
        if month:
            value = datetime(occurred.year, int(month), int(day), int(hour), int(minute), tzinfo=SHANGHAI)
            return value.replace(year=occurred.year + 1) if value < occurred - timedelta(days=180) else value
        value = occurred.replace(hour=int(hour), minute=int(minute), second=0, microsecond=0)
    except ValueError:
        return None
    return value + timedelta(days=1) if value < occurred else value


# --- events ------------------------------------------------------------------------------------------

_NOTE_REASON = re.compile(r"(?:退货|退换|退款)?(?:原因|理由)\s*+[:：]\s*(.+)")


def note_reason(note: str | None) -> str | None:
    """"退货原因：尺码偏小" written above a forwarded SMS."""
    if not note:
        return None
    m = _NOTE_REASON.search(note)
    return m.group(1).strip().splitlines()[0].strip() if m else None


def notice_event(text: str, courier: Courier, email: Email, when: str | None = None) -> Event | None:
    """One event from one notice (an SMS body or a courier mail's text), None if it states no status."""
    status = classify(text)
    if status is None:
        return None
    carrier = courier.carrier or carrier_in_text(text)
    note = email.user_note or ""
    reason = note_reason(note)
    is_return = bool(_RETURN_WORDS.search(text[:400]) or reason or re.search(r"退货|退回|退换", note))
    direction = Direction.RETURN if is_return else Direction.OUTBOUND
    number_courier = courier if courier.carrier else next((c for c in COURIERS if c.carrier == carrier), None)
    tracking = tuple(
        TrackingRef(number, code, direction)
        for number in tracking_numbers(text, number_courier)
        if (code := carrier or carrier_of_number(number)) is None or is_valid_number(code, number)
    )
    kind = status.kind
    if is_return and kind is EventKind.SHIPPED and status.status is ShipmentStatus.INFO_RECEIVED:
        kind = EventKind.RETURN_SHIPPED
    extra: list[tuple[str, str]] = []
    if location := pickup_location(text):
        extra.append(("pickup_location", location))
    occurred = (event_time(text, email.received) or (event_time(when, email.received) if when else None)
                or email.received.astimezone(SHANGHAI))
    if status.kind is EventKind.PICKUP_READY and (deadline := pickup_deadline(text, occurred)):
        extra.append(("pickup_before", deadline.isoformat()))
    if not tracking and carrier and courier.carrier is None:
        extra.append(("carrier", carrier))
    if not tracking and (suffix := _SUFFIX.search(text)):
        extra.append(("tracking_suffix", suffix.group(1)))
    if courier.carrier is None and carrier is None and (named := re.search(r"(百世|天天|宅急送|优速|丰网|众邮)", text)):
        extra.append(("courier_name", named.group(1)))
    order = None
    if carrier == "jd" and (m := _JD_ORDER.search(text)):
        order = m.group(1)
    return Event(
        kind=kind,
        platform=courier.platform,
        order_number=order,
        occurred_at=occurred,
        tracking=tracking,
        expected_delivery=expected_date(text, email.received),
        shipment_status=status.status,
        return_reason=reason,
        pickup_code=pickup_code(text) if status.kind is EventKind.PICKUP_READY else None,
        detail=status.detail,
        extra=tuple(sorted(extra)),
    )


def sms_events(email: Email) -> list[Event]:
    """Events from every courier SMS in the mail (all couriers: the mail has one owner)."""
    events: list[Event] = []
    for sms in mail_sms(email):
        courier = courier_for_signature(sms.signature, sms.body)
        if courier is None or not is_notice(sms.body):
            continue
        event = notice_event(sms.body, courier, email, sms.when)
        if event is None:
            continue
        # "您有3个包裹…取件码为16-4-9626, 15-3-2194, 16-3-0906": one parcel, one record, one code each
        codes = pickup_codes(sms.body) if event.pickup_code else []
        for one in [replace(event, pickup_code=code) for code in codes] if len(codes) > 1 else [event]:
            if one not in events:
                events.append(one)
    return events


def mail_events(email: Email, courier: Courier) -> list[Event]:
    """The event of a courier's own mail (no SMS in it): one notice, with at least one number."""
    if not _mail_is_notice(email.subject, email.text, courier):
        return []
    event = notice_event(f"{email.subject}\n{email.text}", courier, email)
    return [event] if event is not None and event.tracking else []


class CourierParser:
    """Base of the Chinese courier parsers: identify by the lead notice, extract every notice.

    Subclasses set ``name`` (one of :attr:`Courier.parser`) and ``senders`` (for the drift alarm).
    """

    name: ClassVar[str]
    version: ClassVar[int] = 1
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ()

    def identify(self, email: Email) -> bool:
        courier = lead_courier(email)
        return courier is not None and courier.parser == self.name

    def extract(self, email: Email) -> list[Event]:
        events = sms_events(email)
        if events:
            return events
        courier = courier_for_domain(email.sender_domain)
        if courier is None or courier.parser != self.name:
            return []
        return mail_events(email, courier)
