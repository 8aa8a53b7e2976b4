"""The dashboard in headless Chromium, as a user would use it: sign in, read Today, act on a case."""

from __future__ import annotations

import pytest

from tests.web.conftest import USERNAME, screenshot, sign_in

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def page(browser, web):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    yield page
    context.close()


def test_signing_in_needs_the_password(page, web) -> None:
    page.goto(web.url + "/")
    assert page.url.startswith(web.url + "/login")
    page.fill("#username", USERNAME)
    page.fill("#password", "wrong")
    page.click("form[action='/login'] button[type=submit]")
    assert page.locator("[role=alert]").inner_text().startswith("Wrong user name or password")
    sign_in(page, web.url)
    assert page.locator("h1").inner_text() == "Today"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_today_shows_the_late_refund_from_the_sample_mailbox(browser, web, viewport) -> None:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    sign_in(page, web.url)
    urgent = page.locator("section.agenda.urgent li.item")
    assert urgent.count() >= 1
    late = urgent.filter(has_text="Refund overdue")
    assert late.count() == 1
    assert "3456789012349876543" in late.inner_text()  # the Taobao order whose return was received
    assert "5 d late" in late.inner_text()
    assert page.locator(".outstanding").inner_text().endswith("98.00 USD")
    # usable at phone width: nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    screenshot(page, f"today-{'phone' if viewport is PHONE else 'desktop'}")
    context.close()
