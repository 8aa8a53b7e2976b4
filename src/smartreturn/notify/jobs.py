"""Scheduler jobs: the daily digest, urgent pushes, follow-up drafts — each exactly once.

The daemon's scheduler calls these with ``(db, settings, now)``. They are "ensure" jobs: each run
sends whatever is due and not yet recorded as sent, so a failed send (receiver down) goes out on a
later run, and a repeated run sends nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from smartreturn.config import Settings
from smartreturn.errors import NotifyError
from smartreturn.notify.apprise import AppriseNotifier, Notifier
from smartreturn.notify.digest import digest_key, render_digest, render_push
from smartreturn.notify.followup import append_draft, render_followup, to_mime
from smartreturn.notify.outbox import Delivery, deliver_once
from smartreturn.rules.agenda import Agenda, AgendaKind, Urgency
from smartreturn.store.db import Database

log = logging.getLogger(__name__)


@dataclass
class JobReport:
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def current_agenda(db: Database, settings: Settings, now: datetime, *, fresh: bool = False) -> Agenda:
    """The shared agenda of the moment (apply/agenda_cache.py) without the items the user snoozed;
    ``fresh`` when the store just changed (reactions to new mail)."""
    from smartreturn.apply.agenda_cache import current_agenda as shared

    return shared(db, settings, now, fresh=fresh)


def on_the_way(db: Database, settings: Settings, now: datetime) -> list:
    from smartreturn.tracking.prediction import parcels_on_the_way

    with db.session() as session:
        return parcels_on_the_way(session, now, settings.general.tz,
                                  archive_after=timedelta(days=settings.tracking.archive_after_days))


def digest_urls(settings: Settings) -> list[str]:
    """Where the digest and the weekly stats go: notify.digest_urls, else notify.urls."""
    urls = settings.notify.digest_urls or settings.notify.urls
    return [u.get_secret_value() for u in urls]


def digest_due(settings: Settings, now: datetime) -> bool:
    hour, _, minute = settings.notify.digest_time.partition(":")
    local = now.astimezone(settings.general.tz)
    return local.time() >= time(int(hour), int(minute))


def send_digest(db: Database, settings: Settings, now: datetime, notifier: Notifier | None = None,
                agenda: Agenda | None = None) -> Delivery:
    """Today's digest (local date), once. Call it as often as you like."""
    notifier = notifier or AppriseNotifier()
    local_date = now.astimezone(settings.general.tz).date()
    urls = digest_urls(settings)
    if not urls:
        raise NotifyError("no digest URLs configured (notify.digest_urls or notify.urls)")
    agenda = agenda or current_agenda(db, settings, now)
    digest = render_digest(agenda, local_date=local_date, language=settings.general.language,
                           user_dir=settings.notify.template_dir, on_the_way=on_the_way(db, settings, now))
    return deliver_once(db, digest_key(local_date), "digest", digest.subject,
                        lambda: notifier.send(urls, digest.message()), now)


def send_urgent_pushes(db: Database, settings: Settings, now: datetime, agenda: Agenda,
                       notifier: Notifier | None = None) -> JobReport:
    report = JobReport()
    urls = [u.get_secret_value() for u in settings.notify.urls]
    if not (settings.notify.push_urgent and urls):
        return report
    notifier = notifier or AppriseNotifier()
    for item in agenda.by_urgency(Urgency.URGENT):
        if item.kind == AgendaKind.PARSER_HEALTH:
            continue
        message = render_push(item, user_dir=settings.notify.template_dir, language=settings.general.language)
        result = deliver_once(db, f"push:{item.key}", "push", message.title, lambda m=message: notifier.send(urls, m), now)
        (report.sent if result == Delivery.SENT else report.failed if result == Delivery.FAILED else []).append(item.key)
    return report


def write_followup_drafts(db: Database, settings: Settings, now: datetime, agenda: Agenda) -> JobReport:
    report = JobReport()
    if not (settings.drafts.enabled and settings.imap.accounts):
        return report
    for item in agenda.items:
        if item.kind != AgendaKind.REFUND_OVERDUE or item.return_case_id is None:
            continue
        with db.session() as session:
            followup = render_followup(session, item.return_case_id, now, settings)
        raw = to_mime(followup, from_address=settings.drafts.from_address, now=now)
        result = deliver_once(db, followup.key, "draft", followup.subject,
                              lambda raw=raw: append_draft(settings, raw, now), now)
        (report.sent if result == Delivery.SENT else report.failed if result == Delivery.FAILED else []).append(followup.key)
    return report


def run_reminders_job(db: Database, settings: Settings, now: datetime) -> None:
    """Hourly: urgent pushes, follow-up drafts, and today's digest if it is due and not yet sent."""
    agenda = current_agenda(db, settings, now)
    pushes = send_urgent_pushes(db, settings, now, agenda)
    drafts = write_followup_drafts(db, settings, now, agenda)
    if digest_urls(settings) and digest_due(settings, now):
        send_digest(db, settings, now, agenda=agenda)
    log.info("reminders: %d pushes sent, %d drafts saved, %d failed", len(pushes.sent), len(drafts.sent),
             len(pushes.failed) + len(drafts.failed))


def run_digest_job(db: Database, settings: Settings, now: datetime) -> None:
    """Daily at notify.digest_time (local): the digest, once per local day."""
    result = send_digest(db, settings, now)
    log.info("digest: %s", result.value)
