"""XOAUTH2: tokens from a command or a file, refreshed on expiry and after a refused login (real Dovecot)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from smartreturn.config import load_settings
from smartreturn.daemon import loop
from smartreturn.daemon.imap import ImapConnection
from smartreturn.daemon.oauth import DEFAULT_LIFETIME, TokenSource, parse_token
from smartreturn.errors import MailError
from smartreturn.store.db import open_database
from tests.daemon.conftest import write_config
from tests.daemon.mails import order_mail
from tests.servers.dovecot import Mailbox


def token_command(folder: Path) -> tuple[str, Path]:
    """A token command like `oama access ...`: prints JSON with the token currently in a file, counts calls."""
    current = folder / "current-token"
    script = folder / "token.py"
    script.write_text(
        "import json, pathlib, sys\n"
        f"calls = pathlib.Path({str(folder / 'calls')!r})\n"
        "calls.write_text(str(int(calls.read_text() if calls.exists() else 0) + 1))\n"
        f"print(json.dumps({{'access_token': pathlib.Path({str(current)!r}).read_text(), 'expires_in': 3599}}))\n")
    return f"{sys.executable} {script}", current


def calls(folder: Path) -> int:
    return int((folder / "calls").read_text())


@pytest.mark.imap
def test_daemon_logs_in_with_xoauth2_from_a_token_command(tmp_path: Path, imap_mailbox: Mailbox) -> None:
    command, current = token_command(tmp_path)
    current.write_text(imap_mailbox.issue_token())
    imap_mailbox.append(order_mail(1))
    account = imap_mailbox.account_settings(auth="xoauth2", oauth2_token_command=command)
    del account["password"]
    settings = load_settings(write_config(tmp_path, [account]), env={})
    [worker] = loop.sync_once(settings, open_database(settings.database_url))
    assert worker.error is None
    assert worker.health.ingested == 1


@pytest.mark.imap
def test_a_refused_token_is_replaced_by_a_fresh_one(tmp_path: Path, imap_mailbox: Mailbox) -> None:
    command, current = token_command(tmp_path)
    old = imap_mailbox.issue_token()
    current.write_text(old)
    account = load_settings(write_config(tmp_path, [dict(imap_mailbox.account_settings(
        auth="xoauth2", oauth2_token_command=command), password=None)]), env={}).imap.accounts[0]
    tokens = TokenSource(command=command)
    with ImapConnection(account, tokens) as conn:
        assert conn.select("INBOX").exists == 0
    assert calls(tmp_path) == 1

    imap_mailbox.server.oauth.revoke(old)          # the provider revoked it before its stated expiry
    current.write_text(imap_mailbox.issue_token())
    with ImapConnection(account, tokens) as conn:  # cached token refused -> one fresh token -> logged in
        assert conn.select("INBOX").exists == 0
    assert calls(tmp_path) == 2  # (slow: Dovecot delays the retry by its 2-4 s auth-failure penalty)


def test_token_file_is_reread_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("first-token\n")
    tokens = TokenSource(file=path)
    assert tokens.get() == "first-token"
    path.write_text(json.dumps({"access_token": "second-token", "expires_at": time.time() + 3600}))
    os.utime(path, (time.time() + 5, time.time() + 5))  # a new mtime even on coarse clocks
    assert tokens.get() == "second-token"


def test_token_is_refreshed_before_it_expires(tmp_path: Path) -> None:
    command, current = token_command(tmp_path)
    current.write_text("t1")
    tokens = TokenSource(command=command)
    assert tokens.get() == "t1" and tokens.get() == "t1" and calls(tmp_path) == 1
    script = Path(command.split()[1])
    script.write_text(script.read_text().replace("'expires_in': 3599", "'expires_in': 60"))
    tokens.invalidate()
    current.write_text("t2")
    assert tokens.get() == "t2"
    current.write_text("t3")
    assert tokens.get() == "t3", "a token expiring within the refresh margin must be renewed"


@pytest.mark.parametrize(("text", "value", "lifetime"), [
    ("ya29.abc\n", "ya29.abc", DEFAULT_LIFETIME),
    ('{"access_token": "tok", "expires_in": 120}', "tok", 120),
    ('{"access_token": "tok", "expiry": "2026-11-25T13:00:00Z"}', "tok", None),
])
def test_parse_token(text: str, value: str, lifetime: float | None) -> None:
    token = parse_token(text, now=1000.0)
    assert token.value == value
    if lifetime is not None:
        assert token.expires_at == 1000.0 + lifetime
    else:
        assert token.expires_at == 1795611600.0


def test_a_failing_token_command_says_why(tmp_path: Path) -> None:
    with pytest.raises(MailError, match="exited with 3: no refresh token"):
        TokenSource(command=f"{sys.executable} -c \"import sys; sys.stderr.write('no refresh token'); sys.exit(3)\"").get()
    with pytest.raises(MailError, match="without 'access_token'"):
        parse_token('{"error": "invalid_grant"}', now=0)
