"""Sign-in, sessions, CSRF, headers and secrets, checked over HTTP against ``smartreturn web``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.web.conftest import PASSWORD, USERNAME, start_server, stop_server, write_config

TOKEN_FIELD = re.compile(r'name="(?:csrf|login_csrf)" value="([^"]+)"')


@contextmanager
def signed_in_client(web) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web.url, follow_redirects=False, timeout=30) as browser:
        form = browser.get("/login")
        token = TOKEN_FIELD.search(form.text).group(1)
        answer = browser.post("/login", data={"username": USERNAME, "password": PASSWORD, "login_csrf": token,
                                              "next": "/"})
        assert answer.status_code == 303 and answer.headers["location"] == "/"
        yield browser


def test_session_cookie_is_httponly_and_samesite(web) -> None:
    with httpx.Client(base_url=web.url, timeout=30) as browser:
        form = browser.get("/login")
        token = TOKEN_FIELD.search(form.text).group(1)
        answer = browser.post("/login", data={"username": USERNAME, "password": PASSWORD, "login_csrf": token},
                              follow_redirects=False)
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("sr_session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert PASSWORD not in cookie


def test_every_page_has_a_csp_and_the_evidence_frame_a_stricter_one(web) -> None:
    with signed_in_client(web) as browser:
        for path in ("/", "/returns", "/parcels", "/stats", "/parsers", "/settings", "/returns/new", "/login"):
            response = browser.get(path)
            assert response.status_code == 200, path
            csp = response.headers["content-security-policy"]
            assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
            assert response.headers["x-content-type-options"] == "nosniff"
        evidence = browser.get("/messages/1/html")
        assert evidence.headers["content-security-policy"].startswith("sandbox; default-src 'none'")
        assert "script-src" not in evidence.headers["content-security-policy"]  # default-src 'none' covers it


def test_forms_without_the_csrf_token_are_refused(web) -> None:
    with signed_in_client(web) as browser:
        page = browser.get("/case/3456789012349876543").text
        case_id = re.search(r'action="/returns/(\d+)/update"', page).group(1)
        forged = browser.post(f"/returns/{case_id}/update", data={"note": "forged"})
        assert forged.status_code == 403
        wrong = browser.post(f"/returns/{case_id}/update", data={"note": "forged", "csrf": "x" * 43})
        assert wrong.status_code == 403
        assert "forged" not in browser.get("/case/3456789012349876543").text
        token = TOKEN_FIELD.search(page).group(1)
        ok = browser.post(f"/returns/{case_id}/update", data={"note": "checked by phone", "csrf": token})
        assert ok.status_code == 303
        assert "checked by phone" in browser.get("/case/3456789012349876543").text


def test_login_form_needs_its_own_token(web) -> None:
    answer = httpx.post(web.url + "/login", data={"username": USERNAME, "password": PASSWORD})
    assert answer.status_code == 403 and "sr_session" not in answer.headers.get("set-cookie", "")


def test_next_never_leaves_the_site(web) -> None:
    with httpx.Client(base_url=web.url, timeout=30) as browser:
        form = browser.get("/login")
        token = TOKEN_FIELD.search(form.text).group(1)
        answer = browser.post("/login", data={"username": USERNAME, "password": PASSWORD, "login_csrf": token,
                                              "next": "//evil.example/"}, follow_redirects=False)
    assert answer.headers["location"] == "/"


def test_settings_page_never_shows_secrets(web) -> None:
    with signed_in_client(web) as browser:
        text = browser.get("/settings").text
    config = web.config.read_text()
    password_hash = re.search(r'password_hash = "([^"]+)"', config).group(1)
    assert password_hash not in text and "test-17track-key" not in text
    assert "password_hash</dt><dd>set" in text.replace("\n", "")


def test_mail_text_is_escaped_everywhere(web) -> None:
    with signed_in_client(web) as browser:
        returns = browser.get("/returns", params={"status": "all"}).text
        assert "<script>" not in returns.split("</head>", 1)[1].replace('<script src=', '')


@pytest.fixture
def limited(tmp_path):
    config, db_url = write_config(tmp_path, extra="login_attempts = 3\n")
    server = start_server(config, db_url)
    yield server
    stop_server(server)


def test_failed_logins_are_rate_limited(limited) -> None:
    with httpx.Client(base_url=limited.url, timeout=30) as browser:
        def attempt(password: str) -> int:
            token = TOKEN_FIELD.search(browser.get("/login").text).group(1)
            return browser.post("/login", data={"username": USERNAME, "password": password, "login_csrf": token},
                                follow_redirects=False).status_code
        assert [attempt("guess") for _ in range(3)] == [401, 401, 401]
        assert attempt("guess") == 429
        assert attempt(PASSWORD) == 429  # even the right password waits out the window


@pytest.fixture
def proxied(tmp_path):
    config, db_url = write_config(tmp_path, extra='trusted_proxy_header = "Remote-User"\n'
                                                  'trusted_proxies = ["127.0.0.1"]\n')
    server = start_server(config, db_url)
    yield server
    stop_server(server)


def test_trusted_proxy_header_signs_in(proxied) -> None:
    with httpx.Client(base_url=proxied.url, timeout=30, headers={"Remote-User": "anna"}, follow_redirects=True) as browser:
        page = browser.get("/")
        assert page.status_code == 200 and "Sign out (anna)" in page.text
    with httpx.Client(base_url=proxied.url, timeout=30, follow_redirects=True) as stranger:  # no header: sign in
        assert stranger.get("/").url.path == "/login"


def test_the_parcel_views_mark_an_unconfirmed_number(web) -> None:
    with signed_in_client(web) as browser:
        case = browser.get("/case/1ZV2E8470368123455")
        assert case.status_code == 200
        heading = re.search(r"<h3>ups 1ZV2E8470368123455(.*?)</h3>", case.text, re.S)
        assert heading and 'class="unverified"' in heading.group(1)
        confirmed = browser.get("/case/1ZV2E8470368123454").text
        assert "1ZV2E8470368123454" in confirmed and 'class="unverified"' not in confirmed
