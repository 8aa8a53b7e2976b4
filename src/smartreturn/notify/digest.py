"""The daily digest: the agenda rendered as HTML and plain text, grouped by urgency."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from smartreturn.notify import phrases
from smartreturn.notify.apprise import Message
from smartreturn.notify.render import render
from smartreturn.rules.agenda import Agenda, AgendaItem, AgendaKind, Urgency
from smartreturn.tracking.prediction import OnTheWay


@dataclass(frozen=True, slots=True)
class Texts:
    heading: str
    nothing: str
    outstanding: str
    parser_health: str
    urgent: str
    soon: str
    news: str
    subject: str
    days: tuple[str, str, str]  # today, 1 day, n days
    more: str = "… and {n} more: smartreturn list --by-priority"
    on_the_way: str = "On the way (predicted delivery)"

    language: str = "en"

    def days_left(self, n: int) -> str:
        """today / n days left; a date that has passed says overdue (never "today")."""
        return phrases.days_left(n, self.language)

    def title(self, item: AgendaItem) -> str:
        return phrases.action_title(item, self.language)

    def who(self, item: AgendaItem) -> str:
        return phrases.who(item, self.language)


TEXTS = {
    "en": Texts("Your returns today", "Nothing needs your attention today.", "Refunds outstanding",
                "Mails SmartReturn could not read (a template may have changed)", "Act now", "This week", "News",
                "SmartReturn: {urgent} urgent, {soon} this week", ("today", "1 day left", "{n} days left")),
    "zh": Texts("今日退换货提醒", "今天没有需要处理的事项。", "待退款金额", "无法识别的邮件（模板可能已变化）",
                "立即处理", "本周内", "动态", "SmartReturn：{urgent} 项紧急，{soon} 项本周内", ("今天截止", "剩 1 天", "剩 {n} 天"),
                "……另有 {n} 项：smartreturn list --by-priority", "在途包裹（预计送达）", "zh"),
    "de": Texts("Ihre Rücksendungen heute", "Heute ist nichts zu tun.", "Ausstehende Erstattungen",
                "Mails, die SmartReturn nicht lesen konnte (Vorlage geändert?)", "Jetzt handeln", "Diese Woche",
                "Neuigkeiten", "SmartReturn: {urgent} dringend, {soon} diese Woche", ("heute", "noch 1 Tag", "noch {n} Tage"),
                "… und {n} weitere: smartreturn list --by-priority", "Unterwegs (voraussichtliche Zustellung)", "de"),
}

# A mail with thousands of rows helps nobody: each section shows the most urgent ones and says how
# many more there are (`smartreturn list --by-priority` has them all).
MAX_ITEMS_PER_SECTION = 200

SECTION_COLOURS = {Urgency.URGENT: "#b00020", Urgency.SOON: "#b36b00", Urgency.INFO: "#2e7d32"}


@dataclass(frozen=True, slots=True)
class Digest:
    subject: str
    text: str
    html: str

    def message(self) -> Message:
        return Message(title=self.subject, text=self.text, html=self.html)


def _sections(agenda: Agenda, texts: Texts, limit: int | None) -> list[dict[str, Any]]:
    titles = {Urgency.URGENT: texts.urgent, Urgency.SOON: texts.soon, Urgency.INFO: texts.news}
    sections = []
    for urgency in (Urgency.URGENT, Urgency.SOON, Urgency.INFO):
        items = [i for i in agenda.by_urgency(urgency) if i.kind != AgendaKind.PARSER_HEALTH]
        if items:
            shown = items if limit is None else items[:limit]
            sections.append({"title": titles[urgency], "colour": SECTION_COLOURS[urgency], "items": shown,
                             "total": len(items), "more": len(items) - len(shown)})
    return sections


def render_digest(agenda: Agenda, *, local_date: date, language: str = "en", user_dir: Path | None = None,
                  limit: int | None = MAX_ITEMS_PER_SECTION, on_the_way: Sequence[OnTheWay] = ()) -> Digest:
    texts = TEXTS.get(language, TEXTS["en"])
    sections = _sections(agenda, texts, limit)
    subject = texts.subject.format(urgent=len(agenda.by_urgency(Urgency.URGENT)), soon=len(agenda.by_urgency(Urgency.SOON)))
    context = {"agenda": agenda, "sections": sections, "t": texts, "language": language, "subject": subject,
               "local_date": local_date.isoformat(), "generated": agenda.generated_at.isoformat(timespec="minutes"),
               "on_the_way": list(on_the_way)}
    return Digest(subject=subject, text=render("digest.txt.j2", context, user_dir=user_dir),
                  html=render("digest.html.j2", context, user_dir=user_dir))


def render_push(item: AgendaItem, *, user_dir: Path | None = None, language: str = "en") -> Message:
    """One urgent item: what to do (in ``language``), naming the shop, the item and the order."""
    texts = TEXTS.get(language, TEXTS["en"])
    text = render("push.txt.j2", {"item": item, "t": texts}, user_dir=user_dir).strip()
    return Message(title=f"SmartReturn: {texts.title(item)}"[:120], text=text)


def digest_key(local_date: date) -> str:
    return f"digest:{local_date.isoformat()}"




__all__ = ["Digest", "render_digest", "render_push", "digest_key", "TEXTS"]
