"""`smartreturn doctor` against a real Dovecot: what is right and what is wrong, in plain words."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartreturn.cli import app
from tests.daemon.conftest import write_config
from tests.servers.dovecot import DovecotServer, Mailbox

pytestmark = pytest.mark.imap


def doctor(config: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--config", str(config), "doctor"], env={"SMARTRETURN_CONFIG": ""})
    return result.exit_code, " ".join(result.output.split())


def test_doctor_passes_on_a_good_setup(tmp_path: Path, imap_mailbox: Mailbox) -> None:
    code, out = doctor(write_config(tmp_path, [imap_mailbox.account_settings()]))
    assert code == 0, out
    assert f"logged in to 127.0.0.1:{imap_mailbox.port} (plain, password) as {imap_mailbox.user}" in out
    assert "watched folder 'INBOX' exists" in out
    assert "server supports IDLE" in out
    assert "Drafts folder: 'Drafts'" in out
    assert "all checks passed" in out


def test_doctor_names_each_problem_and_exits_1(tmp_path: Path, dovecot: DovecotServer, imap_mailbox: Mailbox) -> None:
    accounts = [
        imap_mailbox.account_settings(name="main", folders=["INBOX", "Shopping"], drafts_folder="Entwürfe"),
        imap_mailbox.account_settings(name="typo", password="wrong-password"),
    ]
    code, out = doctor(write_config(tmp_path, accounts, ingest={"allowed_forwarders": []}))
    assert code == 1, out
    assert "ingest.allowed_forwarders is empty" in out
    assert "watched folder 'Shopping' does not exist" in out
    assert "drafts_folder 'Entwürfe' does not exist" in out
    assert f"imap typo: logging in to typo (127.0.0.1:{dovecot.port}) as {imap_mailbox.user}: login refused" in out
    assert "wrong-password" not in out
    assert "4 problems found" in out


def test_doctor_reports_an_unreachable_server_and_a_bad_config(tmp_path: Path, imap_mailbox: Mailbox) -> None:
    from tests.servers.dovecot import free_port
    code, out = doctor(write_config(tmp_path, [imap_mailbox.account_settings(port=free_port())]))
    assert code == 1 and "Connection refused" in out, out
    bad = tmp_path / "bad.toml"
    bad.write_text('[[imap.accounts]]\nname = "x"\nhost = "imap.example.com"\nsecurity = "plain"\nusername = "u"\npassword = "p"\n')
    code, out = doctor(bad)
    assert code == 1 and "only allowed for loopback hosts" in out, out


def test_doctor_explains_an_untrusted_certificate(tmp_path: Path, dovecot: DovecotServer, imap_mailbox: Mailbox) -> None:
    account = imap_mailbox.account_settings(host="localhost", port=dovecot.tls_port, security="tls")
    code, out = doctor(write_config(tmp_path, [account]))
    assert code == 1 and "CERTIFICATE_VERIFY_FAILED" in out and "set ca_file for this account" in out, out
    code, out = doctor(write_config(tmp_path, [dict(account, ca_file=str(dovecot.cert_file))]))
    assert code == 0, out
    assert f"logged in to localhost:{dovecot.tls_port} (tls, password)" in out
