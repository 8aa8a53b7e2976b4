"""Polite, factual follow-up mails to a late merchant, in the merchant's language, as IMAP drafts.

Nothing is ever sent: the draft lands in the user's Drafts folder (APPEND with ``\\Draft``), once per
case and escalation level (level 1 when the refund is overdue, level 2 after a week more).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartreturn.config import Settings
from smartreturn.errors import NotifyError
from smartreturn.notify.render import render, template_exists
from smartreturn.rules.region import CHINESE_PLATFORMS
from smartreturn.store.tables import Deadline, Merchant, Order, ReturnCase, Shipment

log = logging.getLogger(__name__)

LANGUAGES = ("en", "zh", "de")
SECOND_LEVEL_AFTER_DAYS = 7
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True, slots=True)
class FollowUp:
    case_id: int
    level: int
    language: str
    to: str | None
    subject: str
    body: str

    @property
    def key(self) -> str:
        return f"draft:case:{self.case_id}:level:{self.level}"


def escalation_level(days_overdue: int) -> int:
    return 2 if days_overdue >= SECOND_LEVEL_AFTER_DAYS else 1


GERMAN_COUNTRIES = frozenset({"DE", "AT", "CH", "LI"})


def merchant_language(order: Order, merchant: Merchant | None, default: str, country: str | None = None) -> str:
    """The merchant's language: set on the merchant, else by the shop's country (DE/AT/CH: German,
    CN: Chinese, any other known country: English), else by the shop's name, else the user's."""
    if merchant and merchant.language in LANGUAGES:
        return merchant.language
    name = merchant.name if merchant else ""
    if order.platform in CHINESE_PLATFORMS or _CJK.search(name) or country == "CN":
        return "zh"
    if country in GERMAN_COUNTRIES or name.lower().endswith((".de", ".at")) or order.platform in {"otto", "zalando"}:
        return "de"
    if country is not None:
        return "en"
    return default if default in LANGUAGES else "en"


def _day(value: datetime | None, tz) -> str | None:
    return value.astimezone(tz).date().isoformat() if value else None


def followup_context(session: Session, case_id: int, now: datetime, settings: Settings,
                     language: str | None = None) -> dict[str, Any]:
    case = session.get(ReturnCase, case_id)
    if case is None:
        raise NotifyError(f"no return case r{case_id}")
    order = session.get(Order, case.order_id)
    merchant = session.get(Merchant, order.merchant_id) if order.merchant_id else None
    tz = settings.general.tz
    parcel = session.scalars(select(Shipment).where(Shipment.return_case_id == case.id)
                             .order_by(Shipment.delivered_at.desc().nulls_last())).first()
    deadline = _refund_deadline(session, case.id, now, settings)
    today = now.astimezone(tz).date()
    days_overdue = (today - deadline.due_on).days if deadline else 0
    from smartreturn.rules.deadlines import RuleContext, country_of

    country = country_of(order, RuleContext.from_settings(settings))
    language = language or merchant_language(order, merchant, settings.general.language, country)
    expected = f"{case.expected_refund} {case.currency or order.currency or ''}".strip() if case.expected_refund else None
    return {
        "order": {"order_number": order.order_number, "order_date": _day(order.order_date, tz), "platform": order.platform},
        "case": {"case_number": case.case_number, "requested_at": _day(case.requested_at, tz),
                 "received_at": _day(case.received_at, tz)},
        "merchant_name": merchant.name if merchant else None,
        "merchant_email": _recipient(order, merchant, settings),
        "items": [name.strip() for name in (case.items_text or "").split(",") if name.strip()]
                 or [i.name for i in order.items],
        "parcel": {"carrier": parcel.carrier.upper() if len(parcel.carrier) <= 4 else parcel.carrier,
                   "tracking_number": parcel.tracking_number, "delivered_at": _day(parcel.delivered_at, tz)} if parcel else None,
        "expected": expected,
        "deadline": {"due_on": deadline.due_on.isoformat(), "explanation": _explain(deadline, language)} if deadline else None,
        "days_overdue": max(0, days_overdue),
        "level": escalation_level(days_overdue),
        "language": language,
        "sender_name": settings.drafts.from_address or "",
    }


def _recipient(order: Order, merchant: Merchant | None, settings: Settings) -> str | None:
    """The user's own choice (config) first, else the support address learnt from the merchant's own
    domain (the pipeline keeps no other: mail/envelope.py::merchant_address)."""
    chosen = settings.drafts.merchant_addresses
    for key in (merchant.name if merchant else None, order.platform):
        if key and key.strip().lower() in chosen:
            return chosen[key.strip().lower()]
    return merchant.support_email if merchant else None


# Said at the top of a draft that has no To: (issue 15 item 8): who to send it to.
NO_RECIPIENT = {
    "en": "[To: {merchant}'s customer service. SmartReturn knows no support address from the merchant's own "
          "domain; use the one on your order page or the shop's website, or set drafts.merchant_addresses.]",
    "de": "[An: den Kundenservice von {merchant}. SmartReturn kennt keine Support-Adresse von der eigenen Domain "
          "des Händlers; nimm die aus deiner Bestellübersicht oder von der Website des Shops, oder setze "
          "drafts.merchant_addresses.]",
    "zh": "[收件人：{merchant} 的客服。SmartReturn 没有来自商家自身域名的客服地址；请使用订单页面或店铺网站上的地址，"
          "或在配置中设置 drafts.merchant_addresses。]",
}


def _refund_deadline(session: Session, case_id: int, now: datetime, settings: Settings) -> Deadline | None:
    query = select(Deadline).where(Deadline.return_case_id == case_id, Deadline.kind == "refund_due")
    deadline = session.scalars(query).first()
    if deadline is None:  # not computed yet (e.g. `smartreturn draft` before the daemon ran)
        from smartreturn.apply.agenda import recompute_deadlines
        from smartreturn.rules.deadlines import RuleContext

        recompute_deadlines(session, now, RuleContext.from_settings(settings))
        deadline = session.scalars(query).first()
    return deadline


# How a refund deadline is counted, in the letter's language: what the merchant can check, never a rule id.
ANCHOR_WORDS = {
    "merchant_received": {"en": "from the day you received the return", "de": "ab dem Eingang der Rücksendung bei Ihnen",
                          "zh": "自您收到退货之日起"},
    "return_requested": {"en": "from my notice of withdrawal", "de": "ab meinem Widerruf", "zh": "自我申请退货之日起"},
    "return_evidence": {"en": "from the day you received the goods or my proof of posting",
                        "de": "ab dem Eingang der Ware oder meines Versandnachweises", "zh": "自您收到退货或我的寄件凭证之日起"},
    "stated": {"en": "as you stated yourself", "de": "wie von Ihnen selbst angegeben", "zh": "按您承诺的日期"},
}
LAW_WORDS = {  # rule id prefix -> the law, cited the way a letter cites it
    "eu.": {"en": "Article 13 of Directive 2011/83/EU", "de": "Art. 13 der Richtlinie 2011/83/EU", "zh": "欧盟第2011/83/EU号指令第13条"},
    "uk.": {"en": "regulation 34 of the Consumer Contracts Regulations 2013", "de": "Regulation 34 der Consumer Contracts Regulations 2013",
            "zh": "英国《2013年消费者合同条例》第34条"},
    "cn.": {"en": "Article 25 of the PRC Consumer Rights Protection Law", "de": "Art. 25 des chinesischen Verbraucherschutzgesetzes",
            "zh": "《消费者权益保护法》第二十五条"},
}


def _explain(deadline: Deadline, language: str = "en") -> str:
    counted = ANCHOR_WORDS.get(deadline.anchor, {}).get(language, "")
    law = next((words.get(language, "") for prefix, words in LAW_WORDS.items() if deadline.rule_id.startswith(prefix)), "")
    joiner = {"zh": "，依据", "de": ", gemäß", "en": ", under"}[language if language in ("zh", "de") else "en"]
    return counted + (f"{joiner} {law}" if law else "")


def render_followup(session: Session, case_id: int, now: datetime, settings: Settings, *,
                    language: str | None = None, level: int | None = None, to: str | None = None) -> FollowUp:
    """``to``: the recipient the user gave (``smartreturn draft --to``); wins over everything else."""
    context = followup_context(session, case_id, now, settings, language)
    if to:
        context["merchant_email"] = to
    if level:
        context["level"] = level
    lang = context["language"]
    user_dir = settings.notify.template_dir
    if not template_exists(f"followup/{lang}/body.txt.j2", user_dir=user_dir):
        raise NotifyError(f"no follow-up template for language {lang!r}")
    subject = render(f"followup/{lang}/subject.txt.j2", context, user_dir=user_dir).strip()
    body = render(f"followup/{lang}/body.txt.j2", context, user_dir=user_dir)
    if not context["merchant_email"]:
        body = NO_RECIPIENT[lang].format(merchant=context["merchant_name"] or context["order"]["platform"]) + "\n\n" + body
    return FollowUp(case_id, context["level"], lang, context["merchant_email"], subject, body)


def to_mime(followup: FollowUp, *, from_address: str | None, now: datetime) -> bytes:
    message = EmailMessage()
    if from_address:
        message["From"] = from_address
    if followup.to:
        message["To"] = followup.to
    message["Subject"] = followup.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain="smartreturn.invalid")
    message["X-SmartReturn-Case"] = f"r{followup.case_id}; level {followup.level}"
    message.set_content(followup.body)
    return message.as_bytes()


def append_draft(settings: Settings, raw: bytes, now: datetime) -> str:
    """APPEND one draft to the Drafts folder of the drafts account; returns the folder name."""
    from smartreturn.daemon.imap import ImapConnection  # IMAP only when drafts are really written

    accounts = settings.imap.accounts
    if not accounts:
        raise NotifyError("drafts need an IMAP account ([[imap.accounts]])")
    account = next((a for a in accounts if a.name == settings.drafts.account), accounts[0]) if settings.drafts.account else accounts[0]
    try:
        with ImapConnection(account) as connection:
            folder = connection.drafts_folder()
            if folder is None:
                raise NotifyError(f"account {account.name} has no Drafts folder (set drafts_folder)")
            connection.client.append(folder, raw, flags=[b"\\Draft"], msg_time=now)
    except NotifyError:
        raise
    except Exception as exc:
        raise NotifyError(f"could not save the draft on {account.name}: {exc}") from exc
    return folder


