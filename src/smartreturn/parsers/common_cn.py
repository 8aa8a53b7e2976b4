"""Shared machinery of the Chinese platform parsers (taobao, jd, pinduoduo, douyin).

Chinese platforms send few mails and many SMS / app pushes, which users paste (`add-text`) or
forward. Both arrive here as an :class:`Email`; everything below works on one normalised text:
the HTML rendered as lines (table cells split by a tab) or the plain text, NFKC-folded so that
full-width digits, colons and "￥" become their ASCII forms.

A parser is a subclass of :class:`ChinesePlatformParser` that fills in its senders, SMS signatures
(the 【…】 prefix) and number formats. Classification is a first-match list of
``(EventKind, regex)`` rules, tried on the subject first, then on the start of the body, so that
footers ("如需退货…", "欢迎评价") never decide what a mail is.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from datetime import date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import ClassVar
from zoneinfo import ZoneInfo

from smartreturn.mail.html import html_to_text
from smartreturn.mail.message import Email
from smartreturn.model import (
    Direction,
    Event,
    EventKind,
    Item,
    Money,
    ReturnKind,
    ShipmentStatus,
    TrackingRef,
)
from smartreturn.parsers.courier_cn import lead_sms

log = logging.getLogger(__name__)

SHANGHAI: tzinfo = ZoneInfo("Asia/Shanghai")
CNY = "CNY"

# --------------------------------------------------------------------------- text

_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[ \u00a0\u3000\f\v\r]+")


def normalise(text: str) -> str:
    """NFKC (full-width digits/punctuation -> ASCII, ￥ -> ¥), no zero-width chars, tidy spaces."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _ZERO_WIDTH.sub("", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def body_text(email: Email) -> str:
    """The mail's readable text, normalised. HTML wins: platform text parts are often stubs."""
    return _body_text(email.html or "", email.text or "")


@lru_cache(maxsize=16)
def _body_text(html: str, plain: str) -> str:
    # cached: every platform parser's identify() and the winner's extract() read the same mail
    text = ""
    if html:
        try:
            text = html_to_text(html)
        except Exception:  # lxml on hostile markup; the plain text is still there
            log.debug("an HTML body could not be rendered", exc_info=True)
    if len(text.strip()) < 20:
        text = plain or text
    return normalise(text)


_CJK = r"[\u3400-\u9fff]"
_WIDE = {",": "，", ":": "：", ";": "；", "!": "！", "?": "？"}


def cjk_punctuation(text: str) -> str:
    """Undo NFKC's ASCII punctuation between Chinese characters, for text shown as written."""
    return re.sub(rf"(?<={_CJK})([,:;!?])(?={_CJK})", lambda m: _WIDE[m.group(1)], text)


# --------------------------------------------------------------------------- dates

_DT_FULL = re.compile(
    r"(?P<y>20\d{2})\s*+[年/.-]\s*+(?P<m>\d{1,2})\s*+[月/.-]\s*+(?P<d>\d{1,2})\s*+[日号]?"
    r"(?:\s*+[(\[]?\s*+(?:星期|周)[一二三四五六日天]\s*+[)\]]?)?"
    r"(?:\s*(?:[T ]|\s)?\s*(?:上午|(?P<pm>下午|晚上))?\s*+(?P<H>\d{1,2})\s*+[:时点]\s*+(?P<M>\d{1,2})(?:\s*+[:分]\s*+(?P<S>\d{1,2}))?)?"
)
_DT_MONTH_DAY = re.compile(
    r"(?<!\d)(?P<m>\d{1,2})\s*+月\s*+(?P<d>\d{1,2})\s*+[日号]"
    r"(?:\s*+[(\[]?\s*+(?:星期|周)[一二三四五六日天]\s*+[)\]]?)?"
    r"(?:\s*(?:上午|(?P<pm>下午|晚上))?\s*+(?P<H>\d{1,2})\s*+[:时点]\s*+(?P<M>\d{1,2})(?:\s*+[:分]\s*+(?P<S>\d{1,2}))?)?"
)


def parse_cn_datetime(text: str, default_year: int | None = None, tz: tzinfo = SHANGHAI) -> datetime | None:
    """First date(-time) in ``text``: "2026年11月20日 14:03", "2026-11-20 14:03:11", "11月20日".

    Local times are Asia/Shanghai. A date without a year takes ``default_year`` (none: no match).
    """
    text = normalise(text)
    match = _DT_FULL.search(text)
    year: int | None
    if match:
        year = int(match["y"])
    else:
        match = _DT_MONTH_DAY.search(text)
        if not match or default_year is None:
            return None
        year = default_year
    hour = int(match["H"] or 0)
    if match["pm"] and hour < 12:
        hour += 12
    try:
        return datetime(year, int(match["m"]), int(match["d"]), hour, int(match["M"] or 0), int(match["S"] or 0), tzinfo=tz)
    except ValueError:
        return None


def parse_cn_date(text: str, default_year: int | None = None) -> date | None:
    parsed = parse_cn_datetime(text, default_year)
    return parsed.date() if parsed else None


# --------------------------------------------------------------------------- money

# bounded (no CNY amount has 16 digits): an unbounded \d+ before 元 made a line of digits quadratic
_AMOUNT = r"(\d{1,3}(?:,\d{3}){1,4}(?:\.\d{1,2})?|\d{1,15}(?:\.\d{1,2})?)"
MONEY_RE = re.compile(rf"(?:¥|RMB|CNY|人民币)\s*+{_AMOUNT}|{_AMOUNT}\s*+元")


def parse_money(text: str) -> Money | None:
    """First CNY amount in ``text``: "¥199.00", "￥1,299", "199.00元", "RMB 5"."""
    match = MONEY_RE.search(normalise(text))
    if not match:
        return None
    try:
        return Money(Decimal((match.group(1) or match.group(2)).replace(",", "")), CNY)
    except InvalidOperation:
        return None


def labelled_money(text: str, labels: str, span: int = 12) -> Money | None:
    """Amount that follows one of ``labels`` (a regex alternation) within ``span`` characters."""
    after_label = re.compile(rf"[^\n\d¥]{{0,{span}}}?(?:{MONEY_RE.pattern})")
    for match in re.finditer(rf"(?:{labels})", text):
        money = after_label.match(text, match.end())
        if money:
            return Money(Decimal((money.group(1) or money.group(2)).replace(",", "")), CNY)
    return None


# --------------------------------------------------------------------------- carriers and tracking

# Longest / most specific names first: "邮政EMS" before "邮政", "京东快递" before "京东".
CARRIER_NAMES: tuple[tuple[str, str], ...] = (
    ("顺丰速运", "sf"), ("顺丰快递", "sf"), ("顺丰", "sf"), ("SF Express", "sf"),
    ("京东快递", "jd"), ("京东物流", "jd"), ("京东配送", "jd"),
    ("中通快递", "zto"), ("中通", "zto"),
    ("圆通速递", "yto"), ("圆通快递", "yto"), ("圆通", "yto"),
    ("申通快递", "sto"), ("申通", "sto"),
    ("韵达快递", "yunda"), ("韵达速递", "yunda"), ("韵达", "yunda"),
    ("邮政EMS", "ems"), ("EMS", "ems"), ("中国邮政速递", "ems"),
    ("邮政快递包裹", "china_post"), ("中国邮政", "china_post"), ("邮政包裹", "china_post"), ("邮政", "china_post"),
    ("极兔速递", "jt"), ("极兔快递", "jt"), ("极兔", "jt"), ("J&T", "jt"),
    ("德邦快递", "deppon"), ("德邦物流", "deppon"), ("德邦", "deppon"),
    ("菜鸟速递", "cainiao"), ("菜鸟", "cainiao"), ("丹鸟", "cainiao"),
)
_CARRIER_ALT = "|".join(re.escape(name) for name, _ in CARRIER_NAMES)
_NUMBER = r"[A-Z]{0,4}\d{8,20}[A-Z]{0,2}"
_TRACK_LABEL = (
    r"(?:退货|退回|寄回|取件|换货)(?:运单|物流单|快递单)?(?:单号|号码)"
    r"|(?:快递|物流|包裹|配送|运)(?:运单|物流单|快递单)?(?:单号|编号|号码)"
    r"|运单号|快递单号|物流单号|包裹号|运单编号|物流编号|快递号"
)
_RETURN_LABEL = re.compile(r"退货|退回|寄回|取件")
_LABELLED_TRACKING = re.compile(rf"(?P<label>{_TRACK_LABEL})\s*+[:：]?\s*+(?P<num>{_NUMBER})(?![\d-])")
_NAMED_TRACKING = re.compile(
    rf"(?P<carrier>{_CARRIER_ALT})\s*+[(（:：,，]?\s*+(?:运单号?|单号|快递单号|物流单号)?\s*+[:：]?\s*+(?P<num>{_NUMBER})(?![\d-])"
)
_PREFIXED_TRACKING = re.compile(r"(?<![A-Z0-9])(?P<num>SF\d{12,13}|JD[A-Z]{0,3}\d{10,13}|YT\d{12,13}|JT\d{13}|DPK\d{12}|[A-Z]{2}\d{9}CN)(?![A-Z0-9])")
_PREFIX_CARRIERS = (("SF", "sf"), ("JD", "jd"), ("YT", "yto"), ("JT", "jt"), ("DPK", "deppon"))


def carrier_code(name_or_number: str) -> str | None:
    """Carrier code from a carrier name ("中通快递") or an unmistakable number prefix ("SF…")."""
    for name, code in CARRIER_NAMES:
        if name.lower() in name_or_number.lower():
            return code
    for prefix, code in _PREFIX_CARRIERS:
        if re.fullmatch(rf"{prefix}[A-Z]{{0,3}}\d{{8,15}}", name_or_number):
            return code
    if re.fullmatch(r"[A-Z]{2}\d{9}CN", name_or_number):
        return "ems"
    return None


_AFTER_NUMBER = 16  # characters after a number where its carrier may be named (bounded runs: linear)


def _carrier_near(text: str, pos: int, end: int) -> str | None:
    """Carrier named right after a number ("…（中通快递）"), shortly before it, or on a 快递公司 line."""
    after = re.match(rf"\s{{0,{_AFTER_NUMBER}}}+[(（]?\s{{0,{_AFTER_NUMBER}}}+({_CARRIER_ALT})",
                     text[end: end + _AFTER_NUMBER])
    if after:
        return carrier_code(after.group(1))
    window = text[max(0, pos - 40): pos]
    found = None
    for match in re.finditer(_CARRIER_ALT, window):
        found = match.group(0)
    if found:
        return carrier_code(found)
    company = re.search(rf"(?:快递公司|物流公司|承运商|配送方式|快递|物流)\s*+[:：]?\s*+({_CARRIER_ALT})", text)
    return carrier_code(company.group(1)) if company else None


def find_tracking(text: str, exclude: Iterable[str] = (), direction: Direction = Direction.OUTBOUND) -> tuple[TrackingRef, ...]:
    """Tracking numbers in order of appearance, each once. Labels like 退货单号 force direction "return"."""
    excluded = {e for e in exclude if e}
    found: dict[str, TrackingRef] = {}
    hits: list[tuple[int, str, str | None, Direction]] = []
    for match in _LABELLED_TRACKING.finditer(text):
        label_dir = Direction.RETURN if _RETURN_LABEL.search(match["label"]) else direction
        hits.append((match.start("num"), match["num"], None, label_dir))
    for match in _NAMED_TRACKING.finditer(text):
        hits.append((match.start("num"), match["num"], carrier_code(match["carrier"]), direction))
    for match in _PREFIXED_TRACKING.finditer(text):
        hits.append((match.start("num"), match["num"], None, direction))
    for pos, number, carrier, hit_dir in sorted(hits, key=lambda h: h[0]):
        end = pos + len(number)
        if number in excluded:
            continue
        if re.fullmatch(r"1[3-9]\d{9}", number):  # a mobile phone number, not a parcel
            continue
        carrier = carrier or carrier_code(number) or _carrier_near(text, pos, end)
        previous = found.get(number)
        if previous is None:
            found[number] = TrackingRef(number, carrier, hit_dir)
        elif previous.carrier is None and carrier or hit_dir is Direction.RETURN:
            found[number] = TrackingRef(number, previous.carrier or carrier, previous.direction if hit_dir is direction else hit_dir)
    return tuple(found.values())


# --------------------------------------------------------------------------- items

_QTY = re.compile(r"(?:[x×X*]\s*+(\d{1,3})(?!\d)|(?:数量|件数)\s*+[:：]?\s*+(\d{1,3})|(\d{1,3})\s*+件(?!商品))")
_NAME_HEADERS = ("商品名称", "商品信息", "宝贝名称", "宝贝", "商品")
_QTY_HEADERS = ("数量", "件数")
_PRICE_HEADERS = ("单价", "商品单价", "京东价", "价格", "售价", "拼单价")
_QUOTED_NAME = re.compile(r"(?:购买的|商品|宝贝|订购的)\s*+[“\"「《](?P<name>[^”\"」》\n]{2,80})[”\"」》](?:\s*+等\s*+(?P<count>\d+)\s*+件)?")


def _cell_index(cells: Sequence[str], names: Sequence[str]) -> int | None:
    for name in names:
        for i, cell in enumerate(cells):
            if cell.strip().startswith(name):
                return i
    return None


def find_items(text: str) -> tuple[Item, ...]:
    """Items from a table (header row with 商品…数量), from 商品名称: lines, or a quoted SMS name."""
    items = _table_items(text.split("\n")) or _labelled_items(text)
    if items:
        return items
    match = _QUOTED_NAME.search(text)
    if match:
        return (Item(match["name"].strip()),)
    return ()


def _table_items(lines: list[str]) -> tuple[Item, ...]:
    for index, line in enumerate(lines):
        cells = line.split("\t")
        if len(cells) < 2:
            continue
        name_i = _cell_index(cells, _NAME_HEADERS)
        qty_i = _cell_index(cells, _QTY_HEADERS)
        if name_i is None or qty_i is None:
            continue
        price_i = _cell_index(cells, _PRICE_HEADERS)
        items: list[Item] = []
        for row in lines[index + 1:]:
            values = row.split("\t")
            if len(values) <= max(name_i, qty_i):
                break
            qty = re.search(r"\d+", values[qty_i])
            name = values[name_i].strip()
            if not qty or not name or MONEY_RE.fullmatch(name):
                break
            price = parse_money(values[price_i]) if price_i is not None and price_i < len(values) else None
            items.append(Item(name, int(qty.group(0)), price))
        if items:
            return tuple(items)
    return ()


def _labelled_items(text: str) -> tuple[Item, ...]:
    items: list[Item] = []
    for match in re.finditer(r"(?:商品名称|宝贝名称|商品信息|商品|宝贝)\s*+[:：]\s*(?P<name>[^\n\t]{2,120})", text):
        name = re.sub(r"(?<!\s)\s*+等\s*+\d++\s*+件(商品|宝贝)?$", "", match["name"].strip())
        after = text[match.end(): match.end() + 80]
        qty = 1
        inline = re.search(r"(?<!\s)\s++[x×X*]\s*+(\d{1,3})$", name)
        if inline:
            qty, name = int(inline.group(1)), name[: inline.start()].strip()
        else:
            q = _QTY.search(after.split("商品")[0])
            if q:
                qty = int(next(g for g in q.groups() if g))
        price = labelled_money(after.split("商品")[0], "单价|价格|售价")
        items.append(Item(name, qty, price))
    return tuple(items)


# --------------------------------------------------------------------------- classification

RETURN_KINDS = frozenset({
    EventKind.RETURN_REQUESTED, EventKind.RETURN_APPROVED, EventKind.RETURN_REJECTED,
    EventKind.RETURN_LABEL, EventKind.RETURN_SHIPPED, EventKind.RETURN_RECEIVED,
    EventKind.REFUND_ISSUED, EventKind.EXCHANGE_SHIPPED,
})
_STATUS_OF = {
    EventKind.SHIPPED: ShipmentStatus.IN_TRANSIT,
    EventKind.OUT_FOR_DELIVERY: ShipmentStatus.OUT_FOR_DELIVERY,
    EventKind.PICKUP_READY: ShipmentStatus.PICKUP_READY,
    EventKind.DELIVERED: ShipmentStatus.DELIVERED,
    EventKind.DELIVERY_EXCEPTION: ShipmentStatus.EXCEPTION,
    EventKind.EXCHANGE_SHIPPED: ShipmentStatus.IN_TRANSIT,
    EventKind.RETURN_SHIPPED: ShipmentStatus.IN_TRANSIT,
    EventKind.RETURN_RECEIVED: ShipmentStatus.DELIVERED,
}

Rule = tuple[EventKind, re.Pattern[str]]


def rule(kind: EventKind, pattern: str) -> Rule:
    # "订单287654321098已提交成功": an order number may sit between 订单 and the status words
    return kind, re.compile(pattern.replace("订单(", "订单[\\s\\d-]{0,26}("))


# First match wins: refunds before returns before delivery before shipping before orders.
COMMON_RULES: tuple[Rule, ...] = (
    rule(EventKind.REFUND_ISSUED,
          r"退款成功(?!后)|退款已到账|退款完成|已完成退款|已为您(办理)?退款|已退款|钱款已.{0,6}退|退款(申请)?已(处理|办理)(完成|完毕)?(?!中)"
          r"|退款.{0,30}已(经)?(原路)?(退回|退还|退至|退到|返还|到账)|已(原路)?(退回|退还|返还)(至|到)?(您的)?(支付宝|微信|银行卡|账户|余额|原支付|京东|零钱)"),
    rule(EventKind.RETURN_REJECTED,
          r"拒绝(了)?(您的)?(退款|退货|售后|换货)|(卖家|商家|京东|平台)(已)?拒绝|(已)?被拒绝|(审核|申请)(未通过|不通过|被驳回|被拒绝|已驳回)|驳回(了)?(您的)?(退款|退货|售后|申请)"),
    rule(EventKind.RETURN_RECEIVED,
          r"(商家|卖家|京东|仓库)(已)?(确认)?(收到|签收)(了)?(您)?(的)?(退货|退回|寄回)|退货(已)?(被)?(签收|入库)|退回的商品(已)?(签收|收到)|(已)?收到(您)?(寄回|退回)的商品"),
    rule(EventKind.EXCHANGE_SHIPPED,
          r"换(货|新)(商品)?.{0,12}(已)?(发出|发货|出库)|(新|换)(的)?商品.{0,6}已(经)?(发出|发货|出库)"),
    rule(EventKind.RETURN_SHIPPED,
          r"退货(商品)?(已)?(寄出|发出)|(已|成功)(填写|提交)(了)?(退货)?(物流|运单|快递单)|(上门)?取件(成功|完成)|已(上门)?取件|快递员已(上门)?(取走|揽收|取件)|退货.{0,8}已揽收"),
    rule(EventKind.RETURN_LABEL,
          r"已(为您)?(预约|安排)(了)?.{0,12}上门取件|上门取件.{0,6}(预约|安排)成功|预约(上门)?取件成功|取件(运)?单号"
          r"|(上门)?取件(通知|提醒|信息)|退货(面单|运单)(已)?生成"),
    rule(EventKind.RETURN_APPROVED,
          r"(同意|通过)(了)?(您的)?(退货|退款|售后|换货|服务单)(的)?(申请)?|(同意|通过)了您的申请|已(同意|通过)(您的)?申请|审核(已)?通过"
          r"|(商家|卖家)(已)?同意|(将|会).{0,16}上门取件|(退货|退款|售后|换货)申请(已)?(审核)?(通过|被同意|已同意)"),
    rule(EventKind.RETURN_REQUESTED,
          r"(退款|退货|售后|换货|服务单)(申请)?(已)?(提交|创建|生成)(成功)?|(?<![可以需请过内])(申请|发起)(了)?(退款|退货|售后|换货)|服务单(号)?[\s\d:-]{0,24}.{0,8}?(已)?(提交|受理)"
          r"|(售后|服务单|退货|退款|换货)(服务单)?申请(已)?(成功|受理)"),
    rule(EventKind.CANCELLED,
          r"订单(已)?取消|取消(订单)?成功|交易(已)?关闭|订单(已)?关闭|已取消(您的)?订单"),
    rule(EventKind.DELIVERY_EXCEPTION,
          r"(派送|配送|投递)(失败|异常)|(物流|包裹|运输)异常|无法(派送|配送|送达)|(被|已)拒收|滞留"),
    rule(EventKind.DELIVERED,
          r"已签收|签收成功|(已|被)(由)?(本人|他人|家人|前台|门卫|快递柜|驿站)?(代)?签收|已送达|已妥投|(完成|已)配送完成|配送完成|(已|成功)确认收货|交易成功|已收货"),
    rule(EventKind.PICKUP_READY,
          r"取件码|取货码|提货码|待取件|请(及时|尽快)?(前往|凭).{0,24}(取(件|货)|提货|领取)|已(到达|到|放入|存入).{0,16}(驿站|自提|快递柜|丰巢|代收点|自提柜)"
          r"|(已超|超过).{0,10}未取|(一直|逾期|超时)未取|请(及时|尽快)取件"),
    rule(EventKind.OUT_FOR_DELIVERY,
          r"派送中|派件中|正在(为您)?(派送|配送|派件)|(开始|安排)(派送|配送)|(快递员|配送员|小哥).{0,16}(派送|配送|送货)|已由.{0,16}派送|即将送达|今(日|天)(将)?送达"),
    rule(EventKind.SHIPPED,
          r"已发货|已经发货|发货了|已出库|出库成功|已(经)?发出|已由.{0,12}发出|已揽收|已揽件|(已|被)由?.{0,12}揽收|揽收成功|发货通知|已交(付|给)?.{0,6}(快递|物流|承运)|运输中"),
    # weak: "请在7天内将商品寄回" means an approved return only when nothing above matched
    rule(EventKind.RETURN_APPROVED, r"请(您)?(在.{0,8}内|尽快|及时)?(将)?(商品|宝贝)?(寄回|退回)"),
    rule(EventKind.ORDER_PLACED,
          r"订单(已)?提交成功|(已|成功)提交订单|下单成功|已下单|成功下单|(付款|支付)成功|成功(付款|支付)|已(付款|支付)|拼单成功|(已|成功)拍下|订单(已)?确认|订单(已)?创建|交易创建|订单提交"),
)

# Mail that is not a record, whatever else it says.
NEGATIVE_SUBJECT = re.compile(
    r"验证码|校验码|动态码|动态密码|登录|密码|账号安全|账户安全|安全提醒|绑定|实名|注册|"
    r"评价|晒单|评论|问卷|调查|"
    r"优惠|特惠|促销|大促|满减|秒杀|红包|领券|抢购|狂欢|爆款|新品|上新|会员日|周年庆|双11|双十一|618|年货节|直播|推荐|精选|订阅|周刊|月刊|"
    r"账单|对账"
)
NEGATIVE_SMS = re.compile(
    r"验证码|校验码|动态码|动态密码|(登录|支付|账户|账号)密码|(修改|重置|找回)密码|登录|登陆|账号安全|账户安全|"
    r"(快来|去|邀请您|邀您|记得|别忘了|来)[^。，,]{0,8}(评价|晒单)|评价一下|评价有礼|晒单"
)
# An opt-out line marks marketing, but shops send their shipping SMS through the same channel
# ("…已发货，中通快递7351…，请留意查收。退订回T"): such an SMS counts when it names an order or a parcel.
OPT_OUT_SMS = re.compile(r"回T退订|退订回T|回TD退订|回复T退订|回N退订|拒收请回复R|回复TD|退订请回")
SIGNATURE = re.compile(r"【([^【】\n]{1,12})】")
# At a line start, optionally after a short label ("短信内容：【京东】…").
_LINE_START_SIGNATURE = re.compile(r"^[ \t>]*(?:[^\s【】:：]{1,8}[:：][ \t]*)?【([^【】\n]{1,12})】", re.MULTILINE)
_LINE_END_SIGNATURE = re.compile(r"【([^【】\n]{1,12})】[ \t]*$", re.MULTILINE)


def classify(text: str, rules: Sequence[Rule]) -> EventKind | None:
    for kind, pattern in rules:
        if pattern.search(text):
            return kind
    return None


def first_signature(text: str) -> str | None:
    """The 【…】 signature of a pasted SMS / app push: at the start of a line, else at the end of one.

    Brackets inside the message ("您在【某某旗舰店】购买的…") are not signatures.
    """
    match = _LINE_START_SIGNATURE.search(text[:800])
    if match is None:
        match = _LINE_END_SIGNATURE.search(text[:2000])
    return match.group(1).strip() if match else None


_KIND_LABEL = re.compile(r"(?:服务类型|售后类型|申请类型|退款类型|售后方式|服务方式|申请服务)\s*+[:：]?\s*(?P<k>[^\n\t]{2,12})")


def return_kind_of(text: str) -> ReturnKind | None:
    """退货 / 换货 / 仅退款 from a 服务类型 line, else from the message's opening lines."""
    labelled = _KIND_LABEL.search(text)
    scope = labelled["k"] if labelled else re.sub(r"退换货?|退货退款|退款/退货", "退", text[:600])
    if re.search(r"换货|换新|更换商品", scope):
        return ReturnKind.EXCHANGE
    if re.search(r"仅退款|未收到货|无需退货", scope):
        return ReturnKind.REFUND_ONLY
    if re.search(r"退货", scope) or labelled and "退款" in scope and "仅" not in scope and "退货" in text:
        return ReturnKind.RETURN
    return None


_REASON = re.compile(r"(?:退货原因|退款原因|换货原因|售后原因|申请原因|退换原因|问题描述|原因)\s*+[:：]\s*(?P<reason>[^\n\t]{1,120})")


def _clip_reason(raw: str) -> str:
    reason = re.split(r"\s{2,}|[。;；!！]|[，,](?=[^，,。;；]{0,6}(?:金额|单号|编号|时间|数量|订单)|$)", raw.strip())[0]
    return reason.strip(" 。;；,，")


def find_reason(text: str) -> str | None:
    """The return reason as written; a 问题描述 beside it is appended ("质量问题：外壳发烫")."""
    match = _REASON.search(text)
    if not match:
        return None
    reason = _clip_reason(match["reason"])
    description = re.search(r"(?:问题描述|补充描述|描述)\s*+[:：]\s*(?P<d>[^\n\t]{1,160})", text)
    if description and description.start() != match.start():
        extra = _clip_reason(description["d"])
        if extra and extra not in reason:
            reason = f"{reason}：{extra}" if reason else extra
    return cjk_punctuation(reason) if reason else None


def note_reason(note: str | None) -> str | None:
    """A user's note above a forward ("退货原因：尺码偏小", "reason: too small") as a return reason."""
    if not note:
        return None
    text = "\n".join(line.strip() for line in note.strip().splitlines() if line.strip())
    match = re.search(r"(?:退货原因|退款原因|换货原因|原因|reason)\s*+[:：]?\s*(?P<r>[^\n]+)", text, re.IGNORECASE)
    reason = match["r"] if match else text.split("\n")[0]
    reason = reason.strip(" 。.;；,，")
    return reason[:200] or None


# --------------------------------------------------------------------------- the parser base


class ChinesePlatformParser:
    """Identify/extract for one Chinese platform; subclasses set the class attributes."""

    name: ClassVar[str]
    version: ClassVar[int] = 1
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ()   # transactional senders only: the drift alarm counts their misses
    domains: ClassVar[tuple[str, ...]] = ()   # any address here may be ours (subdomains too); identify decides
    signatures: ClassVar[frozenset[str]] = frozenset()   # 【…】 contents that are this platform's own
    order_number: ClassVar[re.Pattern[str]]               # group "num"
    case_number: ClassVar[re.Pattern[str]] = re.compile(
        r"(?:服务单号|服务单|退款编号|退款单号|售后单号|售后编号|售后服务单号|退货单号|退款ID|退款申请号)\s*+[:：]?\s*+(?P<num>\d{6,24})"
    )
    rules: ClassVar[tuple[Rule, ...]] = COMMON_RULES
    default_merchant: ClassVar[str | None] = None
    merchant_pattern: ClassVar[re.Pattern[str]] = re.compile(
        r"(?:店铺名称|店铺|商家名称|商家|卖家|商户)\s*+[:：]\s*(?P<m>[^\n\t]{2,40})"
        r"|(?:您在|在)\s*+[“\"「【]?(?P<m2>[^\s“\"「」”【】，,。]{2,30}?(?:旗舰店|专营店|专卖店|官方店|自营店|超市|之家|小店|店))[”\"」】]?\s*+(?:购买|下单|的订单)"
    )

    # ----- identify

    def is_sender(self, address: str) -> bool:
        """Mail from the platform: a listed sender or any address at one of its domains."""
        address = (address or "").lower()
        if any(address == s or (s.startswith("@") and address.endswith(s)) for s in self.senders):
            return True
        domain = address.rpartition("@")[2]
        return bool(domain) and any(domain == d or domain.endswith("." + d) for d in self.domains)

    def _mentions_sender(self, text: str) -> bool:
        """A forward the decoder could not unwrap still names the original sender in its header block."""
        for line in text[:1500].split("\n"):
            if re.match(r"(?<![\s>])[\s>]*+(?:发件人|From|寄件人|发信人)\s*+[:：]", line, re.IGNORECASE):
                addresses = re.findall(r"[\w.+-]{1,64}@[\w.-]+", line)
                if any(self.is_sender(a) for a in addresses):
                    return True
        return False

    def _may_mention_sender(self, email: Email) -> bool:
        """Necessary for :meth:`_mentions_sender`: one of our domains appears in the mail's source text."""
        source = _lowered(email.text, email.html)
        return any(name in source for name in _domain_names(self.senders, self.domains))

    def skip_sms(self, message: str) -> bool:
        """An SMS of ours that is no record: 验证码, account, review requests; marketing (an opt-out
        line) unless it names one of our orders or a tracking number."""
        if NEGATIVE_SMS.search(message):
            return True
        return bool(OPT_OUT_SMS.search(message)) and not (self.find_order_number(message) or find_tracking(message))

    def is_sms(self, text: str) -> bool:
        """A pasted or forwarded SMS / app push signed with this platform's 【…】."""
        signature = first_signature(text)
        return signature is not None and signature in self.signatures

    def kind_of(self, email: Email, text: str) -> EventKind | None:
        subject = normalise(email.subject)
        if NEGATIVE_SUBJECT.search(subject):
            return None
        return classify(subject, self.rules) or classify(self._lead(text), self.rules)

    def _lead(self, text: str) -> str:
        return text[:600]

    def identify(self, email: Email) -> bool:
        try:
            return self._identify(email)
        except Exception:  # identify must never raise
            log.exception("%s identify() failed on %s", self.name, email.message_id)
            return False

    def _identify(self, email: Email) -> bool:
        # Cheap gates first: most mails are neither from us, nor name us, nor lead with our SMS, and
        # then the HTML is never rendered here.
        if self.is_sender(email.from_addr) or self._may_mention_sender(email) and self._mentions_sender(body_text(email)):
            text = body_text(email)
            if self.kind_of(email, text) is None:
                return False
            return bool(self.find_order_number(text) or self._case_number(text) or self.find_tracking_refs(text, EventKind.SHIPPED, None))
        # A pasted batch belongs to whoever signed its first real notice: the courier parsers ask the
        # same function, so a batch is never claimed twice (nor by nobody) for a 验证码 SMS on top.
        lead = lead_sms(email.text, email.subject)
        if lead is None or lead.signature not in self.signatures:
            return False
        text = body_text(email)
        sms_text = normalise(email.subject + "\n" + text) if self.is_sms(normalise(email.subject)) else text
        return any(
            not self.skip_sms(message) and classify(message, self.rules) is not None
            for message in self._split_sms(self._sms_body(sms_text))
        )

    def _sms_body(self, text: str) -> str:
        """The SMS itself: from our signature to the next line signed by someone else (pasted batches)."""
        start = 0
        for match in _LINE_START_SIGNATURE.finditer(text):
            if match.group(1).strip() in self.signatures:
                start = match.start()
                break
        end = len(text)
        for match in _LINE_START_SIGNATURE.finditer(text, start + 1):
            if match.group(1).strip() not in self.signatures:
                end = match.start()
                break
        return text[start:end].strip()

    # ----- extract

    def find_order_number(self, text: str) -> str | None:
        match = self.order_number.search(text)
        return match["num"] if match else None

    def _case_number(self, text: str) -> str | None:
        match = self.case_number.search(text)
        return match["num"] if match else None

    def find_tracking_refs(self, text: str, kind: EventKind, exclude: str | None, *more: str | None) -> tuple[TrackingRef, ...]:
        direction = Direction.RETURN if kind in RETURN_KINDS and kind is not EventKind.EXCHANGE_SHIPPED else Direction.OUTBOUND
        return find_tracking(text, exclude=[e for e in (exclude, *more) if e], direction=direction)

    def find_merchant(self, text: str) -> str | None:
        match = self.merchant_pattern.search(text)
        if match:
            merchant = (match["m"] or match["m2"] or "").strip()
            if merchant:
                return merchant
        return self.default_merchant

    def occurred_at(self, email: Email, text: str, kind: EventKind) -> datetime:
        labels = self.time_labels(kind)
        year = email.received.astimezone(SHANGHAI).year
        for match in re.finditer(rf"(?:{labels})\s*+[:：]?\s*", text):
            when = parse_cn_datetime(text[match.end(): match.end() + 30], year)
            if when:
                return when
        # "已于2026年11月20日 13:05 签收": a date right after 于 in the message's opening lines
        for match in re.finditer(r"(?:已于|于)\s*(?=\d)", self._lead(text)):
            when = parse_cn_datetime(text[match.end(): match.end() + 30], year)
            if when and text[match.end()].isdigit():
                return when
        return email.received

    def time_labels(self, kind: EventKind) -> str:
        by_kind = {
            EventKind.ORDER_PLACED: "下单时间|提交时间|订单提交时间|创建时间|成交时间|付款时间|支付时间",
            EventKind.SHIPPED: "发货时间|出库时间|揽收时间",
            EventKind.DELIVERED: "签收时间|送达时间|妥投时间|收货时间",
            EventKind.REFUND_ISSUED: "退款时间|退款成功时间|到账时间|处理时间",
            EventKind.RETURN_REQUESTED: "申请时间|提交时间|创建时间",
            EventKind.CANCELLED: "取消时间|关闭时间",
            EventKind.RETURN_RECEIVED: "签收时间|收货时间|入库时间|确认收货时间",
            EventKind.RETURN_SHIPPED: "寄出时间|揽收时间|取件时间|填写时间",
            EventKind.EXCHANGE_SHIPPED: "发货时间|出库时间",
            EventKind.OUT_FOR_DELIVERY: "派送时间|配送时间",
        }
        return by_kind.get(kind, "处理时间|审核时间|更新时间|通知时间")

    def expected_delivery(self, email: Email, text: str) -> date | None:
        year = email.received.astimezone(SHANGHAI).year
        labelled = re.search(r"(?:预计送达|预计到达|预计到货|预计妥投)(?:时间|日期)?\s*+[:：]\s*", text)
        if labelled:
            return parse_cn_date(text[labelled.end(): labelled.end() + 30], year)
        match = re.search(r"预计\s*+(?:于|在)?\s*(?P<when>[^\n，,。]{2,30}?)\s*+(?:前)?\s*+(?:送达|到达|送到|到货)", text)
        if not match:
            return None
        return parse_cn_date(match["when"], year)

    def extract(self, email: Email) -> list[Event]:
        text = body_text(email)
        sms_mode = not (self.is_sender(email.from_addr) or self._mentions_sender(text))
        note = email.user_note
        if sms_mode:
            full = normalise(email.subject + "\n" + text) if self.is_sms(normalise(email.subject)) else text
            text = self._sms_body(full)
            preface = full[: full.find(text)].strip() if text else ""
            if not note and preface and len(preface) <= 200 and re.search(r"原因|reason", preface, re.IGNORECASE):
                note = (email.text or "").split("【", 1)[0].strip() or preface  # typed above the pasted SMS
            events = []
            for message in self._split_sms(text):
                if self.skip_sms(message):
                    continue
                kind = classify(message, self.rules)
                if kind is not None:
                    events.append(self.build_event(email, message, kind, note))
            return events
        kind = self.kind_of(email, text)
        if kind is None:
            return []
        return [self.build_event(email, text, kind, note)]

    def _split_sms(self, text: str) -> list[str]:
        """Several of our SMS pasted together: one message per signed line start."""
        starts = [m.start() for m in _LINE_START_SIGNATURE.finditer(text) if m.group(1).strip() in self.signatures]
        if len(starts) <= 1:
            return [text]
        return [text[a:b].strip() for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]

    def build_event(self, email: Email, text: str, kind: EventKind, note: str | None = None) -> Event:
        order_number = self.find_order_number(text)
        case_number = self._case_number(text)
        tracking = self.find_tracking_refs(text, kind, order_number, case_number)
        is_return = kind in RETURN_KINDS
        reason = None
        if is_return:
            reason = note_reason(note) or find_reason(text)
        total = labelled_money(text, self.total_labels()) if kind in (EventKind.ORDER_PLACED, EventKind.CANCELLED) else None
        refund = labelled_money(text, r"退款金额|退款总额|退款|退回金额|已退|退还|退回") if is_return or kind is EventKind.CANCELLED else None
        if refund is None and kind is EventKind.REFUND_ISSUED:
            refund = parse_money(text)
        return Event(
            kind=kind,
            platform=self.name,
            order_number=order_number,
            merchant=self.find_merchant(text),
            occurred_at=self.occurred_at(email, text, kind),
            items=find_items(text),
            total=total,
            tracking=tracking,
            expected_delivery=self.expected_delivery(email, text) if kind in (EventKind.ORDER_PLACED, EventKind.SHIPPED, EventKind.OUT_FOR_DELIVERY, EventKind.EXCHANGE_SHIPPED) else None,
            shipment_status=_STATUS_OF.get(kind) if tracking or not is_return else None,
            return_case_number=case_number if is_return or kind is EventKind.CANCELLED else None,
            return_kind=return_kind_of(text) if is_return else None,
            return_reason=reason,
            refund_amount=refund,
            pickup_code=self.pickup_code(text) if kind is EventKind.PICKUP_READY else None,
        )

    def total_labels(self) -> str:
        return r"实付款|实付金额|实付|应付总额|应付金额|订单金额|订单总额|支付金额|付款金额|实际支付|合计|总计|总金额|货到付款"

    def pickup_code(self, text: str) -> str | None:
        match = re.search(r"(?:取件码|取货码|提货码)\s*+[:：]?\s*+(?:为)?\s*+(?P<c>[A-Z0-9][A-Z0-9-]{2,15})", text)
        return match["c"] if match else None


@lru_cache(maxsize=None)
def _domain_names(senders: tuple[str, ...], domains: tuple[str, ...]) -> tuple[str, ...]:
    """The names to look for; one that holds another ("mail.taobao.com", "taobao.com") is left out:
    wherever it occurs, the shorter one does too (so any() over them says the same, in fewer scans)."""
    names = {s.rpartition("@")[2].lower() for s in senders} | {d.lower() for d in domains} - {""}
    return tuple(sorted(n for n in names if not any(m != n and m in n for m in names)))


@lru_cache(maxsize=2)  # the four platform parsers ask about the same mail in a row
def _lowered(text: str, html: str | None) -> str:
    return f"{text}\n{html or ''}".lower()


@lru_cache(maxsize=1)
def _platform_parsers() -> tuple[type[ChinesePlatformParser], ...]:
    from smartreturn.parsers.douyin import DouyinParser
    from smartreturn.parsers.jd import JdParser
    from smartreturn.parsers.pinduoduo import PinduoduoParser
    from smartreturn.parsers.taobao import TaobaoParser

    return (TaobaoParser, JdParser, PinduoduoParser, DouyinParser)


@lru_cache(maxsize=1)
def platform_signatures() -> frozenset[str]:
    """Every 【…】 signature the Chinese platform parsers own: the one list the courier parsers read too."""
    return frozenset().union(*(p.signatures for p in _platform_parsers()))


def is_platform_notice(signature: str, message: str) -> bool:
    """An SMS signed by a platform that its parser reads: not a 验证码/account/marketing message
    (:data:`NEGATIVE_SMS`) and a status the platform's rules know. Used by
    :func:`smartreturn.parsers.courier_cn.lead_sms` to decide who owns a pasted batch."""
    message = normalise(message)
    for parser in _platform_parsers():
        if signature in parser.signatures:
            return not parser().skip_sms(message) and classify(message, parser.rules) is not None
    return False
