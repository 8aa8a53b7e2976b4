"""Reminder wording in en/de/zh: what to do, by when, for which shop, item and order.

An agenda item carries an ``action`` and its dates; this module words it in the digest's language
("Send the parcel back by Fri 18 Dec", "Schicken Sie das Paket bis Fr. 18. Dez. zurück",
"请在12月18日（周五）前寄回"). Overdue always says overdue, with the days late (never "0 days late",
never "today" for a past date). Items without a known action fall back to their English title.
"""

from __future__ import annotations

from datetime import date

from smartreturn.rules.agenda import AgendaItem

WEEKDAYS = {"en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
            "de": ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."),
            "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日")}
MONTHS = {"en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
          "de": ("Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sep.", "Okt.", "Nov.", "Dez.")}


def day(value: date, language: str) -> str:
    """'Fri 18 Dec', 'Fr. 18. Dez.', '12月18日（周五）'."""
    weekday = WEEKDAYS.get(language, WEEKDAYS["en"])[value.weekday()]
    if language == "zh":
        return f"{value.month}月{value.day}日（{weekday}）"
    if language == "de":
        return f"{weekday} {value.day}. {MONTHS['de'][value.month - 1]}"
    return f"{weekday} {value.day} {MONTHS['en'][value.month - 1]}"


def late(days: int, language: str) -> str:
    if language == "zh":
        return f"已逾期 {days} 天"
    if language == "de":
        return f"{days} Tag{'e' if days != 1 else ''} überfällig"
    return f"{days} day{'s' if days != 1 else ''} late"


def days_left(n: int, language: str) -> str:
    """The due column: today / 1 day left / n days left; overdue says overdue."""
    if n < 0:
        return {"zh": f"已逾期 {-n} 天", "de": f"seit {-n} Tag{'en' if n != -1 else ''} überfällig"}.get(
            language, f"overdue by {-n} day{'s' if n != -1 else ''}")
    if n == 0:
        return {"zh": "今天截止", "de": "heute"}.get(language, "today")
    if n == 1:
        return {"zh": "剩 1 天", "de": "noch 1 Tag"}.get(language, "1 day left")
    return {"zh": f"剩 {n} 天", "de": f"noch {n} Tage"}.get(language, f"{n} days left")


# action -> language -> (before or on the day, after it); {due} is the day, {late} the lateness
TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "send_back": {
        "en": ("Send the parcel back by {due}", "Send the parcel back — due {due}, {late}"),
        "de": ("Schicken Sie das Paket bis {due} zurück", "Paket zurückschicken — fällig {due}, {late}"),
        "zh": ("请在{due}前寄回包裹", "寄回包裹 — 截止{due}，{late}"),
    },
    "ask_refund": {
        "en": ("Refund due {due}", "Ask for the refund — due {due}, {late}"),
        "de": ("Erstattung fällig {due}", "Erstattung anmahnen — fällig {due}, {late}"),
        "zh": ("退款应于{due}前到账", "催促退款 — 应于{due}前退款，{late}"),
    },
    "return_window": {
        "en": ("Decide on a return: the window closes {due}", "The return window closed {due}"),
        "de": ("Rückgabe entscheiden: die Frist endet {due}", "Die Rückgabefrist endete {due}"),
        "zh": ("退货期限{due}截止，请尽快决定", "退货期限已于{due}截止"),
    },
    "platform_response": {
        "en": ("{platform} approves the return if the shop has not answered by {due}",
               "Check that {platform} approved the return: the shop had until {due}"),
        "de": ("{platform} stimmt der Rückgabe zu, wenn der Shop bis {due} nicht antwortet",
               "Prüfen Sie, ob {platform} zugestimmt hat: der Shop hatte bis {due} Zeit"),
        "zh": ("商家{due}前未处理，{platform}将自动同意退货", "商家未在{due}前处理，请确认{platform}已自动同意退货"),
    },
    "platform_refund": {
        "en": ("{platform} refunds by itself if the shop has not confirmed receipt by {due}",
               "Check that {platform} refunded: the shop had until {due} to confirm receipt"),
        "de": ("{platform} erstattet selbst, wenn der Shop den Eingang bis {due} nicht bestätigt",
               "Prüfen Sie, ob {platform} erstattet hat: der Shop hatte bis {due} Zeit"),
        "zh": ("商家{due}前未确认收货，{platform}将自动退款", "商家未在{due}前确认收货，请确认{platform}已自动退款"),
    },
}


def action_title(item: AgendaItem, language: str) -> str:
    """The reminder's first line in ``language``: what to do and by when."""
    action = item.action.removesuffix("_passed")
    words = TEMPLATES.get(action, {}).get(language) or TEMPLATES.get(action, {}).get("en")
    if words is None or item.due_on is None:
        return item.title
    overdue = item.days_left is not None and item.days_left < 0 or item.action.endswith("_passed")
    text = words[1] if overdue else words[0]
    lateness = late(-(item.days_left or 0), language) if item.days_left is not None and item.days_left < 0 else ""
    return text.format(due=day(item.due_on, language), late=lateness, platform=item.platform_name or item.platform or "")


def who(item: AgendaItem, language: str) -> str:
    """Shop · item · order, as the reader knows them (no parser names)."""
    parts = []
    if item.shop:
        parts.append(item.shop)
    if item.item_names:
        names = ", ".join(item.item_names)
        parts.append(names if len(names) <= 80 else names[:79] + "…")
    if item.order_number:
        parts.append({"zh": "订单 ", "de": "Bestellung "}.get(language, "order ") + item.order_number)
    return " · ".join(parts)
