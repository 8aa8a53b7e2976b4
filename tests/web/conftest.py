"""Web tests: a real uvicorn serving ``smartreturn web`` on loopback (a subprocess, as a user runs
it), a real SQLite file with the sample mailbox ingested, and Debian's headless Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from smartreturn.config import load_settings
from smartreturn.daemon.sources import iter_local
from smartreturn.pipeline import ingest_bytes
from smartreturn.store.db import open_database
from smartreturn.web.auth import hash_password

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
OUTPUT = ROOT / "tests" / "output"            # screenshots of the run (git-ignored)
NOW = "2026-12-06T09:00:00+01:00"             # the sample mailbox's late refund is 5 days overdue then
USERNAME, PASSWORD = "admin", "correct horse battery staple"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class WebServer:
    url: str
    config: Path
    db_url: str
    process: subprocess.Popen

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "smartreturn", "--config", str(self.config), *args],
                              capture_output=True, text=True, timeout=120, env=_env(self.config))


def _env(config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTRETURN_")}
    env["SMARTRETURN_CONFIG"] = str(config)
    env["SMARTRETURN_NOW"] = NOW
    return env


def write_config(directory: Path, *, extra: str = "", forwarders: tuple[str, ...] = ("me@example.com",),
                 before: str = "") -> tuple[Path, str]:
    """``extra`` goes into [web]; ``before`` holds whole sections of its own (e.g. [notify])."""
    db_url = f"sqlite:///{directory / 'smartreturn.db'}"
    config = directory / "config.toml"
    config.write_text(
        f'[general]\ntimezone = "Europe/Berlin"\nstate_dir = "{directory}"\n'
        f'[database]\nurl = "{db_url}"\n'
        f'[ingest]\nallowed_forwarders = {list(forwarders)!r}\n{before}'
        f'[web]\nusername = "{USERNAME}"\npassword_hash = "{hash_password(PASSWORD)}"\n'
        f'seventeen_track_webhook_key = "test-17track-key"\n{extra}', encoding="utf-8")
    return config, db_url


def ingest_sample_mailbox(config: Path) -> None:
    settings = load_settings(config, env={})
    db = open_database(settings.database_url)
    try:
        for mail in iter_local([FIXTURES]):
            ingest_bytes(db, mail.raw, mail.source, settings)
    finally:
        db.dispose()


def start_server(config: Path, db_url: str) -> WebServer:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "smartreturn", "web", "--port", str(port)],
                               env=_env(config), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"smartreturn web exited: {process.stdout.read()}")
        try:
            httpx.get(url + "/login", timeout=1)
            return WebServer(url, config, db_url, process)
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("smartreturn web did not start within 60 s")


def stop_server(server: WebServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="module")
def web(tmp_path_factory) -> Iterator[WebServer]:
    """``smartreturn web`` on the sample mailbox (ingested), signed-in user admin, now = NOW."""
    directory = tmp_path_factory.mktemp("web")
    config, db_url = write_config(directory)
    ingest_sample_mailbox(config)
    server = start_server(config, db_url)
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: scripts/test.sh installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def sign_in(page, base_url: str) -> None:
    page.goto(base_url + "/login")
    page.fill("#username", USERNAME)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(base_url + "/")


def screenshot(page, name: str) -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / "screenshots" / f"{name}.png"
    path.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path
