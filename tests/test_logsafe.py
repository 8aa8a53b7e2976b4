"""Secrets never in logs (issue 10 item 5): at debug level, with every secret source, a real Apprise
send to the local HTTP receiver leaves no token in any logger's lines (urllib3, apprise, ours)."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from smartreturn import logsafe
from smartreturn.config import load_settings

SMARTRETURN = [sys.executable, "-c", "from smartreturn.cli import main; main()"]
PASSWORD = "imap-pa55word-xyz"
API_KEY = "trk-key-0123456789"


def run_digest(tmp_path: Path, config: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    path = tmp_path / "config.toml"
    path.write_text(config, encoding="utf-8")
    full_env = {**os.environ, "SMARTRETURN_CONFIG": "", "SMARTRETURN_GENERAL__STATE_DIR": str(tmp_path / "state"),
                "SMARTRETURN_NOW": "2026-12-01T09:00:00+00:00", **env}
    return subprocess.run([*SMARTRETURN, "--config", str(path), "-vv", "digest", "--send"], capture_output=True,
                          text=True, env=full_env, timeout=120)


ACCOUNT = '[[imap.accounts]]\nname = "main"\nhost = "127.0.0.1"\nsecurity = "plain"\nusername = "u"\n'


@pytest.mark.parametrize("source", ["env", "file", "credentials_directory"])
def test_debug_logs_of_a_real_send_carry_no_secret_from_any_source(tmp_path, http_receiver, source):
    token = f"T0ken{source.replace('_', '')}9876543210"
    url = http_receiver.url(f"hook/{token}").replace("json://", f"json://bob:pw-{source}-secret@")
    config, env = "", {}
    if source == "env":
        env = {"SMARTRETURN_NOTIFY__URLS": f'["{url}"]', "SMARTRETURN_IMAP__MAIN__PASSWORD": PASSWORD,
               "SMARTRETURN_TRACKING__KUAIDI100__API_KEY": API_KEY}
        config = ACCOUNT
    elif source == "file":
        config = f'{ACCOUNT}password = "{PASSWORD}"\n[notify]\nurls = ["{url}"]\n[tracking.kuaidi100]\napi_key = "{API_KEY}"\n'
    else:
        creds = tmp_path / "creds"
        creds.mkdir()
        (creds / "apprise-urls").write_text(url + "\n", encoding="utf-8")
        (creds / "imap-password").write_text(PASSWORD, encoding="utf-8")
        (creds / "kuaidi100-key").write_text(API_KEY, encoding="utf-8")
        env = {"CREDENTIALS_DIRECTORY": str(creds)}
        config = (f'{ACCOUNT}password_file = "imap-password"\n[notify]\nurls_file = "apprise-urls"\n'
                  '[tracking.kuaidi100]\napi_key_file = "kuaidi100-key"\n')
    result = run_digest(tmp_path, config, env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert [r["path"] for r in http_receiver.requests] == [f"/hook/{token}"]  # really sent
    logs = result.stderr + result.stdout
    assert "DEBUG urllib3" in logs and "/hook/***" in logs  # the library's request line was there, masked
    for secret in (token, f"pw-{source}-secret", url, PASSWORD, API_KEY):
        assert secret not in logs


def test_the_filter_masks_every_logger_and_apprise_url_kind():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    urls = ["discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js",
            "tgram://123456789:AABBccDDeeFFggHH/987654321",
            "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ",
            "ntfy://alice:n7fy-pass@ntfy.example.net/my-secret-topic",
            "json://127.0.0.1:8080/hook/abcdef123456?token=q9q9q9q9q9"]
    settings = load_settings(env={"SMARTRETURN_NOTIFY__DIGEST_URLS": "[" + ",".join(f'"{u}"' for u in urls) + "]"})
    try:
        logsafe.install()
        logsafe.remember(settings)
        for name in ("urllib3.connectionpool", "apprise", "httpx", "sqlalchemy.engine", "smartreturn.x"):
            logging.getLogger(name).warning("sending to %s", " ".join(urls))
        logging.getLogger("urllib3.connectionpool").debug('%s "POST /hook/abcdef123456 HTTP/1.1" 200', "http://127.0.0.1")
        logging.getLogger("apprise").debug("Discord POST URL: https://discord.com/api/webhooks/4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js")
        try:
            raise RuntimeError("failed for tgram://123456789:AABBccDDeeFFggHH/987654321")
        except RuntimeError:
            logging.getLogger("apprise").exception("boom")
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    logs = stream.getvalue()
    assert logs.count("sending to") == 5 and "Traceback" in logs
    for secret in ("JHMHI8qBe7bk2ZwO5U711o3dV_js", "AABBccDDeeFFggHH", "TIiajkdnlazkcOXrIdevi7FQ", "n7fy-pass",
                   "my-secret-topic", "abcdef123456", "q9q9q9q9q9", "4174216298"):
        assert secret not in logs


def test_a_delivery_error_keeps_no_part_of_a_url_that_can_carry_a_secret():
    """The sender's last lines become the notification's stored error: a line that quotes only the token
    path or the user's password (as Apprise's and urllib3's lines do) is masked as well as the whole URL."""
    from smartreturn.notify.apprise import scrub

    url = "json://bob:pw-secret-99@127.0.0.1:8000/hook/T0kenSecret123456"
    lines = (f"WARNING apprise: Failed to send to {url}\n"
             "DEBUG urllib3: http://127.0.0.1:8000 \"POST /hook/T0kenSecret123456 HTTP/1.1\" 500\n"
             "ERROR apprise: auth bob:pw-secret-99 refused\n")
    text = scrub(lines, [url])
    assert "Failed to send to <url>" in text and "POST /hook/***" in text
    for secret in ("T0kenSecret123456", "pw-secret-99"):
        assert secret not in text
