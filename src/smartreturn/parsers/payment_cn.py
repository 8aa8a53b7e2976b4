"""Refund notices from Chinese payment apps and banks: the proof for a Chinese user that a refund arrived.

微信支付 "退款到账通知", 支付宝 退款, 京东白条 / 京东金融 退款, 美团 退款, 云闪付, and bank SMS that
book a refund or a returned purchase (【招商银行】…退款…元, 【工商银行】…退货…元). Users paste them
(``smartreturn add-text``) or forward them. Each notice gives one ``refund_issued`` record with the
amount, the merchant when the notice names it, and the time; such notices rarely carry an order number,
so the refund is linked to an open return by amount and merchant where events are applied.

A pasted batch belongs to whoever signs its first courier or shop notice (:func:`courier_cn.lead_sms`);
this parser claims only text that no courier or shop parser owns. Spending, bills, failed or pending
refund requests, 验证码 and marketing yield nothing. Pure: no clock, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import ClassVar

from smartreturn.mail.message import Email
from smartreturn.model import Event, EventKind, Money
from smartreturn.parsers.assertion import first_asserted
from smartreturn.parsers.courier_cn import PLATFORM_DOMAINS, SHANGHAI, event_time, lead_sms, split_sms

__all__ = ["PaymentRefundParser", "Notice", "notices"]

# signature (without 【】) -> platform; banks are recognised by name (see _platform_of)
_APPS: dict[str, str] = {
    "微信支付": "wechat_pay", "微信": "wechat_pay", "财付通": "wechat_pay", "微信零钱": "wechat_pay",
    "支付宝": "alipay", "蚂蚁花呗": "alipay", "花呗": "alipay",
    "京东白条": "jd_finance", "京东金融": "jd_finance", "京东支付": "jd_finance",
    "美团": "meituan", "美团支付": "meituan", "美团月付": "meituan", "美团外卖": "meituan",
    "云闪付": "unionpay", "银联": "unionpay", "中国银联": "unionpay",
}
_BANK = re.compile(r"银行|信用卡|农信|农商|信用社|^(?:工行|建行|农行|中行|交行|招行|浦发|广发|兴业|民生|光大|中信|平安|邮储|华夏)")
_FIRST_LINE_APP = re.compile(r"^\s*(微信支付|支付宝|京东白条|京东金融|美团|云闪付)\s*$")

# A refund that happened: 退款/退货 booked or arrived, not asked for, pending or failed.
_REFUND = re.compile(r"退款|退货|退回|退费|冲正")
_NOT_YET = re.compile(
    r"退款(?:失败|中|申请|处理中|审核)|申请退款|正在(?:为您)?(?:处理|办理)?退款|可(?:申请)?退款|如需退款|不(?:支持|予)退款|"
    r"退款关闭|拒绝退款|退款被拒|退款未|无法退款|退款服务|退款规则|退款政策"
)
# words that say the refund happened ...
_STATED = (r"退款(?:到账|成功|已到账|已完成|已退回|已原路|完成|入账)|已退款|已(?:原路)?退回|退回至|退回到|退至|退到|原路退回|"
           r"退款通知|退款到账通知|冲正")
_STATED_DONE = re.compile(_STATED)
# ... or book it: an amount labelled as refunded ("退款金额￥59.90", "退货35.50元"), which a question can quote
_DONE = re.compile(_STATED + r"|(?:退款|退货)(?:收入|入账|支出)?(?:人民币|金额|\s*+[¥￥]|\s*+\d)|\(退货\)|（退货）")
_OTP = re.compile(r"验证码|校验码|动态码|动态密码|短信码")
_NOISE = re.compile(r"账单已出|本期应还|最低还款|还款日|额度|分期|积分|中奖|抽奖|领取.{0,6}(?:券|红包)")

# bounded: an unbounded \d+ before 元 made a line of digits quadratic
_AMOUNT = r"(\d{1,3}(?:,\d{3}){1,4}(?:\.\d{1,2})?|\d{1,15}(?:\.\d{1,2})?)"
# the amount after the refund words: "退款金额￥59.90", "退款人民币35.50元", "退货35.50元", "退款 ¥128.00"
_REFUND_AMOUNT = re.compile(
    r"(?:退款|退货|退回|退费|冲正)(?:金额|总额)?[^\d¥￥\n，,。；;]{0,10}?(?:人民币|RMB|CNY|[¥￥])?\s*" + _AMOUNT + r"\s*+(?:元|RMB)?"
)
_MONEY = re.compile(r"(?:人民币|RMB|CNY|[¥￥])\s*" + _AMOUNT + r"|" + _AMOUNT + r"\s*+元")
_BALANCE = re.compile(r"(?:余额|可用额度|额度|可用)\s*+(?:为|:|：)?\s*+(?:人民币|[¥￥])?\s*" + _AMOUNT)

_MERCHANT = (
    re.compile(r"(?:商户名称|商户全称|商家名称|商户(?!名称|全称)|商家(?!名称)|收款方|交易对象|退款方|对方)\s*+[:：，,]?\s*"
               r"([^\s，,。；;:：\n]{2,30})"),
    re.compile(r"(?:财付通|微信支付|支付宝|京东支付|美团支付|云闪付|银联)\s*+[-—－]\s*([^\s，,。；;）)】\]\n]{2,30}?)"
               r"(?=退款|退货|退回|快捷|消费|支付|[\s，,。；;）)】\]]|$)"),
    re.compile(r"(?<![退款])在\s*+[【\[]?([^\s，,。；;【】\[\]\n]{2,30}?)[】\]]?\s*+(?:的)?(?:订单)?(?:办理|发起|进行)?(?:退款|退货)"),
    re.compile(r"(?:来自|由)\s*([^\s，,。；;\n]{2,30}?)\s*+(?:的)?(?:退款|退货)"),
)
_CARD_TAIL = re.compile(r"(?:尾号|账户|卡号|末四位)\s*+(?:为)?\s*+[:：]?\s*\*{0,4}(\d{4})(?!\d)")
_REFUND_TO = re.compile(r"(?:退回|退至|退到|退款方式|到账方式)\s*+(?:至|到)?\s*+[:：]?\s*(零钱通|零钱|余额宝|余额|花呗|白条|银行卡|信用卡|储蓄卡|原支付(?:方式|账户)|原路)")
_LABEL_TIME = re.compile(r"(?:到账时间|退款时间|交易时间|时间)\s*+[:：]?\s*")


@dataclass(frozen=True, slots=True)
class Notice:
    """One payment-app or bank message: who sent it (platform, as written) and its text."""

    platform: str
    sender: str
    text: str
    when: str | None = None


def _platform_of(signature: str) -> str | None:
    name = signature.strip()
    if name in _APPS:
        return _APPS[name]
    return "bank" if _BANK.search(name) else None


def notices(text: str, subject: str = "") -> list[Notice]:
    """Payment-app and bank messages in pasted text: 【signed】 SMS, or an app notification copied
    with the app's name on its first line ("微信支付\\n退款到账通知\\n退款金额 ￥59.90…")."""
    found: list[Notice] = []
    for sms in split_sms(text) or split_sms(subject):
        platform = _platform_of(sms.signature)
        if platform is not None:
            found.append(Notice(platform, sms.signature.strip(), sms.body, sms.when))
    if found or len(text) > 2000:
        return found
    lines = [line.strip() for line in unicodedata.normalize("NFKC", text).splitlines() if line.strip()]
    if lines and (first := _FIRST_LINE_APP.match(lines[0])):
        found.append(Notice(_APPS[first.group(1)], first.group(1), "，".join(lines[1:])))
    return found


def is_refund(text: str) -> bool:
    """The message books a refund that happened (an amount came back), not a request, bill or code."""
    if not _REFUND.search(text) or _OTP.search(text) or _NOISE.search(text):
        return False
    if _NOT_YET.search(text) and not re.search(r"退款(?:成功|已到账|到账)|已退款|已(?:原路)?退回", text):
        return False
    # a refund asked about (退款到账了吗), denied or failed (尚未退回, 退款到账失败) is none, and an amount
    # label beside such a question ("退款到账了吗？退款金额59.90元") does not make it one
    if _STATED_DONE.search(text) and first_asserted(_STATED_DONE, text) is None:
        return False
    return first_asserted(_DONE, text) is not None and refund_amount(text) is not None


def _money(raw: str) -> Money | None:
    try:
        return Money(Decimal(raw.replace(",", "")), "CNY")
    except InvalidOperation:
        return None


def refund_amount(text: str) -> Money | None:
    """The refunded amount: the one next to the refund words, else the first amount that is no balance."""
    m = _REFUND_AMOUNT.search(text)
    if m:
        return _money(m.group(1))
    balances = {b.start(1) for b in _BALANCE.finditer(text)}
    for m in _MONEY.finditer(text):
        start = m.start(1) if m.group(1) else m.start(2)
        if start not in balances:
            return _money(m.group(1) or m.group(2))
    return None


def merchant_of(text: str) -> str | None:
    for pattern in _MERCHANT:
        m = pattern.search(text)
        if m:
            name = m.group(1).strip("-—－:：【】[]()（）")
            if len(name) >= 2 and not re.fullmatch(r"[\d.,¥￥元]+", name) and not _REFUND.search(name):
                return name
    return None


def notice_event(notice: Notice, received: datetime) -> Event | None:
    text = unicodedata.normalize("NFKC", notice.text)
    if not is_refund(text):
        return None
    amount = refund_amount(text)
    when = None
    label = _LABEL_TIME.search(text)
    if label:
        when = event_time(text[label.end(): label.end() + 30], received)
    when = when or event_time(text, received) or (event_time(notice.when, received) if notice.when else None)
    extra = [("payment_channel", notice.sender)]
    if notice.platform == "bank" and (tail := _CARD_TAIL.search(text)):
        extra.append(("card_tail", tail.group(1)))
    if to := _REFUND_TO.search(text):
        extra.append(("refund_to", to.group(1)))
    return Event(
        kind=EventKind.REFUND_ISSUED,
        platform=notice.platform,
        merchant=merchant_of(text),
        occurred_at=when or received.astimezone(SHANGHAI),
        refund_amount=amount,
        detail="退款到账",
        extra=tuple(sorted(extra)),
    )


def _from_shop(email: Email) -> bool:
    domain = email.sender_domain
    return any(domain == d or domain.endswith("." + d) for d in PLATFORM_DOMAINS)


class PaymentRefundParser:
    """Refund notices of payment apps and banks (pasted or forwarded SMS and app notifications)."""

    name: ClassVar[str] = "payment_cn"
    version: ClassVar[int] = 1
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ()  # they notify by SMS and in-app: no transactional mail to watch

    def identify(self, email: Email) -> bool:
        try:
            if "退" not in email.text and "退" not in email.subject:
                return False
            if _from_shop(email) or lead_sms(email.text, email.subject) is not None:
                return False  # a shop's or courier's notice leads: its parser owns the batch
            return any(is_refund(unicodedata.normalize("NFKC", n.text)) for n in notices(email.text, email.subject))
        except Exception:  # identify() must never raise on hostile text
            return False

    def extract(self, email: Email) -> list[Event]:
        events: list[Event] = []
        for notice in notices(email.text, email.subject):
            event = notice_event(notice, email.received)
            if event is not None and event not in events:
                events.append(event)
        return events
