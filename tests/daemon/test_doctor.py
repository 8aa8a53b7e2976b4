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


def test_doctor_checks_every_apprise_url_and_sends_a_test_on_request(tmp_path: Path, imap_mailbox: Mailbox,
                                                                     http_receiver) -> None:
    good, typo = http_receiver.url("doctor"), "jsn://127.0.0.1/hook/SECRET-TOKEN"
    config = write_config(tmp_path, [imap_mailbox.account_settings()], notify={"urls": [good], "digest_urls": [typo]})
    code, out = doctor(config)
    assert code == 1, out
    assert "notify.urls #1 (json://…) parses" in out
    assert "notify.digest_urls #1 (jsn://…) is not a valid Apprise URL" in out
    assert "SECRET-TOKEN" not in out and good not in out
    assert http_receiver.requests == []  # no test notification unless asked

    result = CliRunner().invoke(app, ["--config", str(config), "doctor", "--send-test"], env={"SMARTRETURN_CONFIG": ""})
    assert "notify.urls #1 (json://…): test notification sent" in " ".join(result.output.split())
    assert [r["json"]["title"] for r in http_receiver.requests] == ["SmartReturn test notification"]


def test_doctor_checks_tracking_keys(tmp_path: Path, imap_mailbox: Mailbox) -> None:
    config = write_config(tmp_path, [imap_mailbox.account_settings()], tracking={"providers": ["17track", "kuaidi100"]},
                          **{"tracking.kuaidi100": {"api_key": "k"}})
    code, out = doctor(config)
    assert code == 1, out
    assert "provider 17track has no key: set api_key_file in [tracking.seventeen_track]" in out
    assert "kuaidi100 needs its 'customer' id too" in out


def test_doctor_fix_creates_the_missing_drafts_folder(tmp_path: Path, imap_mailbox: Mailbox) -> None:
    config = write_config(tmp_path, [imap_mailbox.account_settings(drafts_folder="Entwürfe")])
    code, out = doctor(config)
    assert code == 1 and "`smartreturn doctor --fix` creates 'Entwürfe'" in out, out
    result = CliRunner().invoke(app, ["--config", str(config), "doctor", "--fix"], env={"SMARTRETURN_CONFIG": ""})
    assert "created the Drafts folder 'Entwürfe' (doctor --fix)" in " ".join(result.output.split())
    code, out = doctor(config)
    assert code == 0 and "Drafts folder: 'Entwürfe'" in out, out
    assert "Entwürfe" in [name for name, _ in _folders(imap_mailbox)]


def _folders(mailbox: Mailbox) -> list:
    with mailbox.client() as client:
        return [(name, flags) for flags, _, name in client.list_folders()]


def test_doctor_shows_the_daemons_last_contact_per_folder(tmp_path: Path, imap_mailbox: Mailbox) -> None:
    import threading

    from smartreturn.config import load_settings
    from smartreturn.daemon import loop
    from tests.daemon.conftest import wait_for

    config = write_config(tmp_path, [imap_mailbox.account_settings(poll_interval=3600)])
    code, out = doctor(config)
    assert "daemon: no status in" in out  # never ran
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(load_settings(config, env={}), stop))
    thread.start()
    try:
        wait_for(lambda: "test/INBOX: connected, last contact" in doctor(config)[1], 15, "the daemon's status")
        code, out = doctor(config)
    finally:
        stop.set()
        thread.join(30)
    assert code == 0, out
    assert "(running), version" in out and "test/INBOX: connected, last contact " in out and " s ago" in out
