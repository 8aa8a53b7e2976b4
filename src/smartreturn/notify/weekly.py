"""The weekly statistics mail: the stats tables (HTML) with the charts as a PNG attachment, once a week.

Mail clients block inline ``data:`` images, so the chart travels as an attachment; the standalone
report with inline charts is ``smartreturn stats --html``.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from smartreturn.config import Settings
from smartreturn.notify.apprise import AppriseNotifier, Message, Notifier
from smartreturn.notify.jobs import digest_urls
from smartreturn.notify.outbox import Delivery, deliver_once
from smartreturn.store.db import Database

log = logging.getLogger(__name__)


def week_key(local_day) -> str:
    year, week, _ = local_day.isocalendar()
    return f"stats:{year}-W{week:02d}"


def send_weekly_stats(db: Database, settings: Settings, now: datetime, notifier: Notifier | None = None) -> Delivery:
    """This ISO week's stats mail, once; it covers the last 90 days of returns."""
    from smartreturn.stats.charts import write_png
    from smartreturn.stats.html import render_tables
    from smartreturn.stats.report import compute_stats

    notifier = notifier or AppriseNotifier()
    urls = digest_urls(settings)
    local_day = now.astimezone(settings.general.tz).date()
    with db.session() as session:
        stats = compute_stats(session, since=now - timedelta(days=90), language=settings.general.language,
                              settings=settings.stats)
    title = f"SmartReturn: your returns, week {local_day.isocalendar()[1]}"
    html = render_tables(stats, now=now, language=settings.general.language, title=title)
    text = "\n".join(f"{r['label']}: {r['returns']}" for r in stats.reasons) or "No returns in the last 90 days."

    def send() -> None:
        with tempfile.TemporaryDirectory(prefix="smartreturn-chart-") as folder:
            chart = Path(folder) / "returns.png"
            write_png(stats, chart)
            notifier.send(urls, Message(title=title, text=text, html=html, attachments=(chart,)))

    return deliver_once(db, week_key(local_day), "weekly_stats", title, send, now)


def run_weekly_stats_job(db: Database, settings: Settings, now: datetime) -> None:
    """Daily at digest_time; sends on the first run of each ISO week (Monday, or later if missed)."""
    if not (settings.notify.weekly_stats and digest_urls(settings)):
        return
    log.info("weekly stats: %s", send_weekly_stats(db, settings, now).value)
