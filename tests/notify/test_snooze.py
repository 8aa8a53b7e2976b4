"""A snoozed reminder stays out of the digest and the pushes until its day has passed, then comes back
(the web's snooze button writes the same Snooze row: apply/snooze.py)."""

from __future__ import annotations

from datetime import timedelta

from smartreturn.apply.agenda_cache import shared_cache
from smartreturn.apply.snooze import snooze
from smartreturn.config import Settings
from smartreturn.notify.jobs import run_reminders_job, send_digest
from smartreturn.notify.outbox import Delivery
from smartreturn.rules.agenda import AgendaKind

from tests.notify.scenario import NOW, late_refund

LOCAL_TODAY = NOW.date()  # 10:00 in Berlin: the same day


def settings_for(**notify) -> Settings:
    return Settings.model_validate({"general": {"timezone": "Europe/Berlin"}, "notify": notify})


def snooze_late_refund(db, settings: Settings, days: int) -> str:
    key = next(item.key for item in shared_cache(db, settings).get(db, NOW).items
               if item.kind == AgendaKind.REFUND_OVERDUE)
    with db.session() as session:
        snooze(session, key, LOCAL_TODAY + timedelta(days=days), NOW)
    return key


def html_of(message) -> str:
    return next(p for p in message.walk() if p.get_content_type() == "text/html").get_content()


def test_a_snoozed_reminder_is_left_out_of_the_digest_until_its_day_has_passed(sqlite_db, smtp_sink):
    late_refund(sqlite_db)
    settings = settings_for(digest_urls=[smtp_sink.url()])
    snooze_late_refund(sqlite_db, settings, days=1)
    assert send_digest(sqlite_db, settings, NOW) == Delivery.SENT
    assert send_digest(sqlite_db, settings, NOW + timedelta(days=1)) == Delivery.SENT  # the snooze's last day
    assert send_digest(sqlite_db, settings, NOW + timedelta(days=2)) == Delivery.SENT
    today, tomorrow, after = (html_of(m) for m in smtp_sink.messages)
    assert "Ask for the refund" not in today and "Ask for the refund" not in tomorrow
    assert "Ask for the refund — due Mon 9 Nov, 18 days late" in after and "Amazon.de" in after


def test_a_snoozed_reminder_is_not_pushed_and_is_pushed_once_when_the_snooze_ends(sqlite_db, http_receiver):
    late_refund(sqlite_db)
    settings = settings_for(urls=[http_receiver.url()], digest_time="23:59")
    snooze_late_refund(sqlite_db, settings, days=2)
    for hours in (0, 1, 24, 48):
        run_reminders_job(sqlite_db, settings, NOW + timedelta(hours=hours))
    assert http_receiver.requests == []
    run_reminders_job(sqlite_db, settings, NOW + timedelta(days=3))
    run_reminders_job(sqlite_db, settings, NOW + timedelta(days=3, hours=1))
    titles = [r["json"]["title"] for r in http_receiver.requests]
    assert titles == ["SmartReturn: Ask for the refund — due Mon 9 Nov, 19 days late"]
