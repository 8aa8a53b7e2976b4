"""The dashboard in headless Chromium, as a user would use it: sign in, read Today, act on a case,
look at the evidence, at phone width (375 px) and at desktop width."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from smartreturn.config import load_settings
from smartreturn.pipeline import Source, ingest_bytes
from smartreturn.store.db import open_database
from tests.web.conftest import USERNAME, screenshot, sign_in
from tests.web.mails import ORDER, SUBJECT, hostile_order_mail

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
VIEWPORTS = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])


def _name(viewport: dict) -> str:
    return "phone" if viewport is PHONE else "desktop"


@pytest.fixture
def page(browser, web):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    yield page
    context.close()


def fits(page, viewport) -> bool:
    """Usable at this width: nothing wider than the screen (no sideways scrolling of the page)."""
    return page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_signing_in_needs_the_password(page, web) -> None:
    page.goto(web.url + "/returns")
    assert page.url.startswith(web.url + "/login")
    page.fill("#username", USERNAME)
    page.fill("#password", "wrong")
    page.click("form[action='/login'] button[type=submit]")
    assert page.locator("[role=alert]").inner_text().startswith("Wrong user name or password")
    sign_in(page, web.url)
    assert page.locator("h1").inner_text() == "Today"


@VIEWPORTS
def test_today_shows_the_late_refund_from_the_sample_mailbox(browser, web, viewport) -> None:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    sign_in(page, web.url)
    urgent = page.locator("section.agenda.urgent li.item")
    late = urgent.filter(has_text="Ask for the refund")
    assert late.count() == 1
    assert "3456789012349876543" in late.inner_text()  # the Taobao order whose return the merchant received
    assert "5 d late" in late.inner_text()
    cli = json.loads(web.cli("agenda", "--json").stdout)  # the CLI's agenda on the same store and day
    expected = " · ".join(f"{m['amount']} {m['currency']}" for m in cli["money_outstanding"])
    assert page.locator(".outstanding").inner_text().endswith(expected)
    assert fits(page, viewport)
    screenshot(page, f"today-{_name(viewport)}")
    context.close()


def test_add_a_return_by_form_then_mark_it_refunded(page, web) -> None:
    sign_in(page, web.url)
    page.click("text=Add a return")
    page.fill("#n-order", "WEB-2026-0001")
    page.fill("#n-platform", "otto")
    page.fill("#n-merchant", "Otto")
    page.fill("#n-items", "Wool coat, M\nScarf")
    page.fill("#n-reason", "too small")
    page.fill("#n-expected", "59,90")
    page.fill("#n-currency", "EUR")
    page.fill("#n-tracking", "00340434161094000001")
    page.click("form.new-return button[type=submit]")
    page.wait_for_url(re.compile(r".*/case/r\d+$"))
    case_id = page.url.rsplit("/r", 1)[1]
    section = page.locator(f"section#r{case_id}")
    assert "WEB-2026-0001" in page.locator("h1").inner_text()
    assert section.locator(".case-status").inner_text() == "requested"
    assert "Size / fit" in section.inner_text() or "size" in section.inner_text().lower()  # classified from "too small"
    assert "59.90 EUR" in section.inner_text()

    section.locator("form.refund input[name=amount]").fill("59.90")
    section.locator("form.refund button").click()
    expect(page.locator(f"section#r{case_id} .case-status")).to_have_text("refunded")
    section = page.locator(f"section#r{case_id}")
    assert "59.90 EUR" in section.locator(".refunded").inner_text()

    page.goto(web.url + "/")  # the news on Today: refunded
    news = page.locator("section.agenda.info li.item").filter(has_text="WEB-2026-0001")
    assert "Refunded 59.90 EUR" in news.inner_text()
    # the CLI sees the same store
    shown = web.cli("show", f"r{case_id}", "--json")
    assert shown.returncode == 0, shown.stderr
    assert '"refunded_amount": "59.90"' in shown.stdout


@VIEWPORTS
def test_case_page_shows_money_deadlines_and_parcel(browser, web, viewport) -> None:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    sign_in(page, web.url)
    page.locator("section.agenda.urgent li.item").filter(has_text="Ask for the refund").locator("text=Open").click()
    assert "3456789012349876543" in page.locator("h1").inner_text()
    deadlines = page.locator("#h-deadlines + ul").inner_text()
    assert "Refund due: 2026-12-01" in deadlines and "cn.platform.refund_7d" in deadlines  # rule and anchor
    assert "merchant received" in deadlines
    assert "SF1412345678901" in page.locator("#h-parcels").locator("..").inner_text()
    assert page.locator("#h-evidence ~ ul.evidence li").count() >= 1
    assert fits(page, viewport)
    screenshot(page, f"case-{_name(viewport)}")
    context.close()


@VIEWPORTS
def test_stats_page_draws_the_charts_as_svg(browser, web, viewport) -> None:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    sign_in(page, web.url)
    page.click("nav >> text=Stats")
    page.wait_for_load_state("load")  # images included
    assert page.evaluate("document.querySelector('img.chart').naturalWidth") > 0  # the SVG loaded and decoded
    assert page.locator("table").count() >= 1
    assert fits(page, viewport)
    screenshot(page, f"stats-{_name(viewport)}")
    context.close()


def test_evidence_runs_no_script_and_loads_nothing_remote(page, web, http_receiver) -> None:
    receiver = f"http://{http_receiver.host}:{http_receiver.port}"
    settings = load_settings(web.config, env={})
    db = open_database(settings.database_url)
    try:
        outcome = ingest_bytes(db, hostile_order_mail(receiver), Source(kind="file", path="evil.eml"), settings)
    finally:
        db.dispose()
    assert outcome.status.value == "parsed"
    answered: list[str] = []   # responses the browser got from the receiver
    blocked: list[str] = []    # requests the browser refused to send
    page.on("response", lambda response: answered.append(response.url))
    page.on("requestfailed", lambda request: blocked.append(f"{request.url} {request.failure}"))
    sign_in(page, web.url)
    page.goto(f"{web.url}/case/{ORDER}")
    page.locator("ul.evidence a", has_text=f"m{outcome.message_pk}").first.click()
    page.wait_for_url(f"{web.url}/messages/{outcome.message_pk}")
    frame_element = page.locator("iframe.evidence")
    frame_element.wait_for()
    frame = frame_element.element_handle().content_frame()
    frame.wait_for_load_state("load")
    assert frame.locator("#greeting").inner_text().startswith("Thank you for your order")  # the mail is shown
    page.wait_for_load_state("networkidle")
    assert page.title() == f"m{outcome.message_pk} · SmartReturn"          # the mail's script did not run
    assert frame.evaluate("document.body.getAttribute('data-ran')") is None      # not even inside the frame
    assert http_receiver.requests == []                                   # nothing reached the receiver
    assert not [url for url in answered if url.startswith(receiver)]      # the browser got nothing from it
    assert all(line.endswith(" csp") for line in blocked if line.startswith(receiver)), blocked  # by the CSP
    assert SUBJECT in page.locator("dl.kv").inner_text()                  # the subject's <script> shown as text
    assert page.locator("script", has_text="alert").count() == 0
    download = page.locator("a", has_text="Download .eml").first.get_attribute("href")
    assert download == f"/messages/{outcome.message_pk}/raw.eml"


def test_pages_in_chinese_and_german(page, web) -> None:
    sign_in(page, web.url)
    page.click("footer >> text=中文")
    assert page.locator("h1").inner_text() == "今日"
    assert page.locator("html").get_attribute("lang") == "zh"
    assert "退款逾期" in page.locator("section.agenda.urgent").inner_text()
    page.click("footer >> text=Deutsch")
    assert page.locator("h1").inner_text() == "Heute"
    page.click("nav >> text=Rücksendungen")
    assert page.locator("h1").inner_text() == "Rücksendungen"
    page.click("footer >> text=English")


def test_snoozing_hides_an_item_until_its_day(page, web) -> None:
    sign_in(page, web.url)
    soon = page.locator("section.agenda.soon li.item")
    before = int(page.locator("#h-soon").inner_text().rsplit("(", 1)[1].rstrip(")"))
    key = soon.first.locator("input[name=key]").get_attribute("value")
    soon.first.locator("form.snooze select").select_option("7")
    soon.first.locator("form.snooze button").click()
    page.wait_for_url(web.url + "/")
    assert page.locator("#h-soon").inner_text().endswith(f"({before - 1})")
    assert page.locator(f"input[name=key][value='{key}']").count() == 0
    assert "1 snoozed item(s) hidden." in page.locator("main").inner_text()


def test_follow_up_draft_can_be_copied(browser, web) -> None:
    context = browser.new_context(viewport=PHONE, permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    sign_in(page, web.url)
    page.locator("section.agenda.urgent li.item").filter(has_text="Refund overdue").locator(
        "text=Follow-up draft").click()
    body = page.locator("#draft-body").input_value()
    assert "3456789012349876543" in body and "商家您好" in body  # a Taobao merchant: in Chinese
    page.select_option("#d-lang", "en")
    page.click("form[action$='/draft'] button[type=submit]")
    english = page.locator("#draft-body").input_value()
    assert "3456789012349876543" in english and "商家您好" not in english
    page.click("button[data-copy=draft-body]")
    assert page.evaluate("navigator.clipboard.readText()") == page.locator("#draft-body").input_value()
    context.close()


def test_api_docs_render_under_the_csp(page, web) -> None:
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(web.url + "/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("SmartReturn")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/returns").first).to_be_visible()
    assert not [p for p in problems if "Content Security Policy" in p], problems
