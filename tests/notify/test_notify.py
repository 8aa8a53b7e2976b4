"""Digest, pushes and drafts through real receivers: aiosmtpd, an HTTP receiver, Dovecot."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from smartreturn.config import Settings
from smartreturn.model import Money
from smartreturn.notify.digest import render_digest, render_push
from smartreturn.notify.followup import render_followup
from smartreturn.notify.jobs import run_digest_job, run_reminders_job, send_digest
from smartreturn.notify.outbox import Delivery
from smartreturn.rules.agenda import Agenda, AgendaItem, AgendaKind, Urgency
from smartreturn.store.tables import Notification

from tests.notify.scenario import NOW, late_refund


def settings_for(**sections) -> Settings:
    return Settings.model_validate({"general": {"timezone": "Europe/Berlin"}, **sections})


def hostile_agenda() -> Agenda:
    item = AgendaItem(key="window_closing:order:1:2026-11-26:d1", kind=AgendaKind.WINDOW_CLOSING, urgency=Urgency.URGENT,
                      title="Return window closes tomorrow", detail="<script>alert('x')</script>", platform="shopify",
                      merchant="Evil <img src=x onerror=alert(1)>", order_number="#1001",
                      item_names=("<script>steal()</script> T-shirt",), due_on=date(2026, 11, 26), days_left=1,
                      amount=Money(Decimal("19.99"), "USD"))
    news = AgendaItem(key="refunded:case:2", kind=AgendaKind.REFUNDED, urgency=Urgency.INFO, title="Refund received")
    return Agenda(generated_at=NOW, items=(item, news), money_outstanding=(Money(Decimal("19.99"), "USD"),),
                  parser_health=(("shipment-tracking@amazon.com", 2),))


def test_digest_html_escapes_mail_text_and_text_part_keeps_it():
    digest = render_digest(hostile_agenda(), local_date=date(2026, 11, 25), language="en")
    assert "<script>" not in digest.html and "onerror=alert(1)>" not in digest.html
    assert "&lt;script&gt;steal()&lt;/script&gt; T-shirt" in digest.html
    assert "<script>steal()</script> T-shirt" in digest.text
    assert "Act now" in digest.text and "News" in digest.text and "19.99 USD" in digest.text
    assert digest.text.index("Act now") < digest.text.index("News")
    assert "shipment-tracking@amazon.com: 2" in digest.text
    assert digest.subject == "SmartReturn: 1 urgent, 0 this week"


@pytest.mark.parametrize("language", ["en", "zh", "de"])
def test_every_template_renders_with_a_sample_context(sqlite_db, language):
    digest = render_digest(hostile_agenda(), local_date=date(2026, 11, 25), language=language)
    assert digest.html.startswith("<!doctype html>") and digest.text.strip()
    assert render_push(hostile_agenda().items[0]).text.startswith("Return window closes tomorrow")
    case_id = late_refund(sqlite_db)
    for level in (1, 2):
        with sqlite_db.session() as session:
            followup = render_followup(session, case_id, NOW, settings_for(), language=language, level=level)
        assert "302-1111111-2222222" in followup.subject and "302-1111111-2222222" in followup.body
        assert "00340434161234567890" in followup.body and "2026-11-09" in followup.body
        assert "59.90 EUR" in followup.body


def test_followup_is_in_the_merchants_language_and_cites_the_evidence(sqlite_db):
    case_id = late_refund(sqlite_db)
    with sqlite_db.session() as session:
        followup = render_followup(session, case_id, NOW, settings_for())
    assert followup.language == "de" and followup.level == 2 and followup.to == "rueckgabe@amazon.example"
    assert followup.subject.startswith("Zweite Erinnerung: Erstattung zu Bestellung 302-1111111-2222222")
    assert "bei Ihnen zugestellt am 2026-11-05" in followup.body
    # EU art. 13(1): 14 days from the withdrawal notice (Oct 26) -> Nov 9, 16 days ago; the law, not a rule id
    assert "16 Tage überfällig" in followup.body and "Art. 13 der Richtlinie 2011/83/EU" in followup.body
    assert "eu.refund_14d" not in followup.body and "rule" not in followup.body.lower()


def test_digest_reaches_a_real_smtp_server_with_both_parts_once_a_day(sqlite_db, smtp_sink):
    late_refund(sqlite_db)
    settings = settings_for(notify={"digest_urls": [smtp_sink.url()]})
    assert send_digest(sqlite_db, settings, NOW) == Delivery.SENT
    assert send_digest(sqlite_db, settings, NOW + timedelta(hours=3)) == Delivery.ALREADY_SENT
    run_digest_job(sqlite_db, settings, NOW + timedelta(hours=5))
    assert len(smtp_sink.messages) == 1
    message = smtp_sink.messages[0]
    assert message["To"] == "owner@example.test" and "1 urgent" in message["Subject"]
    types = [part.get_content_type() for part in message.walk()]
    assert "text/plain" in types and "text/html" in types
    html = next(p for p in message.walk() if p.get_content_type() == "text/html").get_content()
    assert "Ask for the refund — due Mon 9 Nov, 16 days late" in html and "Amazon.de · Trail running shoes" in html and "&lt;b&gt;Gr. 44&lt;/b&gt;" in html
    next_day = NOW + timedelta(days=1)
    assert send_digest(sqlite_db, settings, next_day) == Delivery.SENT
    assert len(smtp_sink.messages) == 2


def test_digest_lists_parcels_on_the_way_with_their_predicted_delivery(sqlite_db, smtp_sink):
    from smartreturn.store.tables import Shipment

    late_refund(sqlite_db)
    with sqlite_db.session() as s:
        s.add(Shipment(carrier="ups", tracking_number="1Z999AA10123456784", direction="outbound", status="in_transit",
                       shipped_at=NOW - timedelta(days=1)))
    send_digest(sqlite_db, settings_for(notify={"digest_urls": [smtp_sink.url()]}), NOW)
    text = next(p for p in smtp_sink.messages[0].walk() if p.get_content_type() == "text/plain").get_content()
    assert "On the way (predicted delivery)" in text and "ups 1Z999AA10123456784" in text
    assert "carrier default" in text


def test_push_to_a_receiver_that_is_down_arrives_once_it_is_back(sqlite_db, http_receiver):
    late_refund(sqlite_db)
    url = http_receiver.url("hook/T0kenSecret123456").replace("json://", "json://bob:pw-secret-99@")
    settings = settings_for(notify={"urls": [url], "digest_time": "23:59"})
    http_receiver.stop()
    run_reminders_job(sqlite_db, settings, NOW)
    with sqlite_db.session() as session:
        row = session.scalars(select(Notification).where(Notification.channel == "push")).one()
        assert row.status == "failed" and row.attempts == 1 and "Apprise" in row.last_error
        for secret in (url, "T0kenSecret123456", "pw-secret-99"):  # URLs carry tokens: never stored or logged
            assert secret not in row.last_error
    http_receiver.start()
    run_reminders_job(sqlite_db, settings, NOW + timedelta(minutes=1))  # retry time not reached yet
    assert http_receiver.requests == []
    run_reminders_job(sqlite_db, settings, NOW + timedelta(minutes=10))
    run_reminders_job(sqlite_db, settings, NOW + timedelta(minutes=70))
    assert len(http_receiver.requests) == 1
    push = http_receiver.requests[0]["json"]
    # the push says what to do and names the shop, the item and the order
    assert push["title"] == "SmartReturn: Ask for the refund — due Mon 9 Nov, 16 days late"
    assert "Amazon.de · Trail running shoes <b>Gr. 44</b> · order 302-1111111-2222222" in push["message"]


def test_overdue_refund_drafts_land_in_the_real_drafts_folder_once(sqlite_db, imap_mailbox):
    late_refund(sqlite_db)
    settings = settings_for(imap={"accounts": [imap_mailbox.account_settings()]},
                            drafts={"from_address": "Alex Buyer <alex@example.test>"})
    run_reminders_job(sqlite_db, settings, NOW)
    run_reminders_job(sqlite_db, settings, NOW + timedelta(hours=1))
    assert len(imap_mailbox.uids("Drafts")) == 1
    flags = imap_mailbox.flags("Drafts")
    assert all(b"\\Draft" in f for f in flags.values())
    with imap_mailbox.client() as client:
        client.select_folder("Drafts", readonly=True)
        raw = next(iter(client.fetch(client.search("ALL"), ["BODY.PEEK[]"]).values()))[b"BODY[]"]
    assert b"To: rueckgabe@amazon.example" in raw and b"From: Alex Buyer <alex@example.test>" in raw
    assert imap_mailbox.uids("INBOX") == []  # a draft, never sent


def test_cli_digest_preview_and_draft(sqlite_db, tmp_path):
    from typer.testing import CliRunner

    from smartreturn.cli import app

    late_refund(sqlite_db, item_name="<script>x()</script> shoes")
    env = {"SMARTRETURN_CONFIG": "", "SMARTRETURN_DATABASE__URL": str(sqlite_db.engine.url),
           "SMARTRETURN_NOW": NOW.isoformat()}  # the day the scenario is set on, whatever day the test runs
    target = tmp_path / "digest.html"
    result = CliRunner().invoke(app, ["digest", "--preview", "--html", str(target)], env=env)
    assert result.exit_code == 0, result.output
    assert "Ask for the refund — due Mon 9 Nov, 16 days late" in result.stdout
    assert "<script>x()</script>" not in target.read_text() and "&lt;script&gt;x()&lt;/script&gt; shoes" in target.read_text()
    result = CliRunner().invoke(app, ["draft", "r1", "--lang", "zh"], env=env)
    assert result.exit_code == 0, result.output
    assert "订单 302-1111111-2222222 退款" in result.stdout and "To: rueckgabe@amazon.example" in result.stdout


def test_a_long_section_shows_the_most_urgent_and_counts_the_rest():
    base = hostile_agenda().items[0]
    from dataclasses import replace

    many = tuple(replace(base, key=f"k{i}", title=f"Window {i}") for i in range(250))
    digest = render_digest(Agenda(generated_at=NOW, items=many), local_date=date(2026, 11, 25), limit=200)
    assert "Act now (250)" in digest.text and "Window 199" in digest.text and "Window 200" not in digest.text
    assert "… and 50 more: smartreturn list --by-priority" in digest.text and "and 50 more" in digest.html


def test_weekly_stats_mail_carries_the_chart_once_a_week(sqlite_db, smtp_sink):
    from smartreturn.notify.weekly import run_weekly_stats_job

    late_refund(sqlite_db, item_name="<i>Boots</i>")
    settings = settings_for(notify={"digest_urls": [smtp_sink.url()]})
    monday = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)
    run_weekly_stats_job(sqlite_db, settings, monday)
    run_weekly_stats_job(sqlite_db, settings, monday + timedelta(days=2))  # same ISO week: nothing
    assert len(smtp_sink.messages) == 1
    message = smtp_sink.messages[0]
    assert "week 48" in message["Subject"]
    png = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert png and png[0].get_payload(decode=True)[:8] == b"\x89PNG\r\n\x1a\n"
    html = next(p for p in message.walk() if p.get_content_type() == "text/html").get_content()
    assert "Amazon.de" in html and "size_fit" in html
    run_weekly_stats_job(sqlite_db, settings, monday + timedelta(days=7))
    assert len(smtp_sink.messages) == 2


def test_ship_by_reminder_is_pushed_in_the_users_language_naming_shop_item_and_order(sqlite_db, http_receiver):
    """A return requested on Dec 1 must leave by Dec 15 (Directive 2011/83/EU art. 14(1)); the day before,
    the daemon's reminder job pushes it once, in German, with the shop, the item and the order."""
    from datetime import datetime, timezone

    from tests.rules import rows

    with sqlite_db.session() as s:
        shop = rows.merchant(s, "jacken.de")
        order = rows.order(s, shop=shop, items=("Winterjacke Gr. M",), ordered=datetime(2026, 11, 25, tzinfo=timezone.utc))
        rows.case(s, order, status="requested", requested=datetime(2026, 12, 1, 9, tzinfo=timezone.utc))
        number = order.order_number
    settings = Settings.model_validate({"general": {"timezone": "Europe/Berlin", "language": "de"},
                                        "notify": {"urls": [http_receiver.url()], "digest_time": "23:59"}})
    when = datetime(2026, 12, 14, 8, tzinfo=timezone.utc)
    run_reminders_job(sqlite_db, settings, when)
    run_reminders_job(sqlite_db, settings, when + timedelta(hours=1))
    pushes = [r["json"] for r in http_receiver.requests if "Paket" in r["json"]["title"]]
    assert len(pushes) == 1
    assert pushes[0]["title"] == "SmartReturn: Schicken Sie das Paket bis Di. 15. Dez. zurück"
    assert f"jacken.de · Winterjacke Gr. M · Bestellung {number}" in pushes[0]["message"]
