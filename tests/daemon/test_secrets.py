"""Passwords, API keys and Apprise URLs never reach the logs, even at debug level."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.daemon.conftest import write_config
from tests.daemon.mails import order_mail
from tests.servers.dovecot import PASSWORD, Mailbox

pytestmark = pytest.mark.imap

TOKEN = "tok-S3cr3t-4f1c"
API_KEY = "key-S3cr3t-77aa"


def test_debug_logs_of_run_and_doctor_hold_no_secret(tmp_path: Path, imap_mailbox: Mailbox) -> None:
    imap_mailbox.append(order_mail(1))
    config = write_config(
        tmp_path, [imap_mailbox.account_settings()],
        notify={"urls": [f"json://user:{TOKEN}@127.0.0.1:9/push"], "digest_time": "00:00"},
        tracking={"providers": ["17track"]},
    )
    with config.open("a", encoding="utf-8") as handle:
        handle.write(f'[tracking.seventeen_track]\napi_key = "{API_KEY}"\nbase_url = "http://127.0.0.1:9"\n')
    outputs = []
    for command in (["-vv", "run", "--once"], ["-vv", "doctor"]):
        result = subprocess.run([sys.executable, "-m", "smartreturn", "--config", str(config), *command],
                                capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"})
        outputs.append(result.stdout + result.stderr)
    assert "logged in" in outputs[0] or "INBOX" in outputs[0], outputs[0][-2000:]
    for output in outputs:
        assert PASSWORD not in output
        assert TOKEN not in output and API_KEY not in output
