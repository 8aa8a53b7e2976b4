"""systemd integration: sd_notify on a real datagram socket, the daemon's signals, the unit file."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from smartreturn.daemon.sdnotify import SdNotifier
from tests.daemon.conftest import SMARTRETURN, db_count, wait_for, write_config
from tests.daemon.mails import order_mail
from tests.servers.dovecot import Mailbox

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "systemd" / "smartreturn.service"


class NotifyListener:
    """What systemd does: a bound AF_UNIX datagram socket that collects the daemon's messages."""

    def __init__(self, address: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(("\0" + address[1:]) if address.startswith("@") else address)
        self.sock.settimeout(0.1)
        self.messages: list[str] = []

    def drain(self) -> list[str]:
        while True:
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except (TimeoutError, BlockingIOError):
                return self.messages

    def lines(self) -> list[str]:
        return [line for message in self.drain() for line in message.splitlines()]

    def close(self) -> None:
        self.sock.close()


@pytest.mark.parametrize("kind", ["path", "abstract"])
def test_notifier_sends_datagrams_to_notify_socket(tmp_path: Path, kind: str) -> None:
    address = str(tmp_path / "notify.sock") if kind == "path" else f"@smartreturn-test-{uuid.uuid4().hex}"
    listener = NotifyListener(address)
    try:
        notifier = SdNotifier({"NOTIFY_SOCKET": address})
        assert notifier.ready("watching 1 folder")
        assert notifier.watchdog()
        assert notifier.status("2 mails ingested")
        assert listener.drain() == ["READY=1\nSTATUS=watching 1 folder", "WATCHDOG=1", "STATUS=2 mails ingested"]
        notifier.close()
    finally:
        listener.close()


def test_notifier_without_systemd_is_a_no_op_and_watchdog_follows_the_environment() -> None:
    assert not SdNotifier({}).ready()
    assert SdNotifier({"WATCHDOG_USEC": "10000000"}).watchdog_interval == 5.0
    assert SdNotifier({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "1"}).watchdog_interval is None  # not us
    assert SdNotifier({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": str(os.getpid())}).watchdog_interval == 5.0


def test_notifier_survives_a_vanished_socket(tmp_path: Path) -> None:
    assert not SdNotifier({"NOTIFY_SOCKET": str(tmp_path / "gone.sock")}).watchdog()


@pytest.mark.imap
def test_daemon_notifies_reloads_on_sighup_and_stops_on_sigterm(tmp_path: Path, imap_mailbox: Mailbox) -> None:
    imap_mailbox.create_folder("Shop")
    config = write_config(tmp_path, [imap_mailbox.account_settings()])
    listener = NotifyListener(str(tmp_path / "notify.sock"))
    log = tmp_path / "daemon.log"
    env = {**os.environ, "NOTIFY_SOCKET": str(tmp_path / "notify.sock"), "WATCHDOG_USEC": "1000000",
           "SMARTRETURN_CONFIG": ""}
    with open(log, "ab") as out:
        process = subprocess.Popen([*SMARTRETURN, "--config", str(config), "-v", "run"], stdout=out,
                                   stderr=subprocess.STDOUT, env=env)
    try:
        wait_for(lambda: "READY=1" in listener.lines(), 15, "READY=1")
        # `run` became the lean daemon program in the same process (systemd's MAINPID stays right)
        assert b"smartreturn.daemon.main" in Path(f"/proc/{process.pid}/cmdline").read_bytes()
        wait_for(lambda: any(line == "STATUS=1/1 folders connected; 0 mails ingested" for line in listener.lines()),
                 10, "a STATUS line saying the folder is connected")
        wait_for(lambda: listener.lines().count("WATCHDOG=1") >= 2, 5, "two watchdog pings (every 0.5 s)")

        # SIGHUP: the new config (a second folder) is picked up without a restart
        write_config(tmp_path, [imap_mailbox.account_settings(folders=["INBOX", "Shop"])])
        process.send_signal(signal.SIGHUP)
        wait_for(lambda: "RELOADING=1" in listener.lines(), 10, "RELOADING=1")
        wait_for(lambda: "STATUS=2/2 folders connected; 0 mails ingested" in listener.lines(), 10,
                 "both folders connected after the reload")
        imap_mailbox.append(order_mail(1), folder="Shop")
        wait_for(lambda: db_count(tmp_path / "smartreturn.db") == 1, 10, "the mail in the new folder")

        # a broken config on SIGHUP keeps the running one
        config.write_text("this is not toml = = =\n")
        process.send_signal(signal.SIGHUP)
        imap_mailbox.append(order_mail(2))
        wait_for(lambda: db_count(tmp_path / "smartreturn.db") == 2, 10, "mail after a failed reload")
        assert process.poll() is None
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(15)
        listener.drain()
        listener.close()
    assert code == 0, log.read_text()[-3000:]
    assert "STOPPING=1" in [line for m in listener.messages for line in m.splitlines()]
    assert "reload failed, keeping the running configuration" in log.read_text()


@pytest.mark.parametrize("via_cli", [True, False], ids=["smartreturn run", "the daemon program"])
def test_a_broken_config_stops_the_daemon_with_a_message_naming_the_file(tmp_path: Path, via_cli: bool) -> None:
    """`smartreturn run` checks the config before it becomes the daemon program; the program itself
    (`python -m smartreturn.daemon.main`, what a hand-edited unit may start) says the same, no traceback."""
    config = tmp_path / "config.toml"
    config.write_text("[general]\ntimezone = 'Mars/Olympus'\n", encoding="utf-8")
    command = [*SMARTRETURN, "--config", str(config), "run"] if via_cli else \
        [sys.executable, "-m", "smartreturn.daemon.main", "--config", str(config)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "SMARTRETURN_CONFIG": ""})
    assert result.returncode == 2, result.stderr
    assert str(config) in result.stderr and "timezone" in result.stderr
    assert "Traceback" not in result.stderr


ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze missing: scripts/test.sh installs the "
                                   "Debian package 'systemd' (CI has it; this skip never happens there)")


def install(tmp_path: Path, *args: str) -> Path:
    """`smartreturn service install` as the user runs it, from this environment's Python."""
    unit_dir = tmp_path / "units"
    result = subprocess.run([*SMARTRETURN, "service", "install", "--unit-dir", str(unit_dir), *args],
                            capture_output=True, text=True, env={**os.environ, "SMARTRETURN_CONFIG": ""})
    assert result.returncode == 0, result.stderr
    assert f"wrote {unit_dir / 'smartreturn.service'}" in result.stdout
    return unit_dir / "smartreturn.service"


@needs_analyze
@pytest.mark.parametrize("scope", ["system", "user"])
def test_installed_unit_passes_systemd_analyze_verify(tmp_path: Path, scope: str) -> None:
    unit = install(tmp_path, *(["--user"] if scope == "user" else []))
    text = unit.read_text()
    assert f"ExecStart={Path(sys.executable).absolute()} -m smartreturn --config " in text
    runtime = tmp_path / "runtime"  # a user manager needs $XDG_RUNTIME_DIR (none in a CI container)
    runtime.mkdir(mode=0o700)
    result = subprocess.run([ANALYZE, *(["--user"] if scope == "user" else []), "verify", str(unit)],
                            capture_output=True, text=True, env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)})
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


@needs_analyze
def test_system_unit_keeps_its_hardening_exposure_at_most_2(tmp_path: Path) -> None:
    unit = install(tmp_path)
    result = subprocess.run([ANALYZE, "security", "--offline=true", str(unit)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    exposure = float(result.stdout.rsplit("Overall exposure level for smartreturn.service:", 1)[1].split()[0])
    assert exposure <= 2.0, result.stdout[-2000:]
    text = unit.read_text()
    for directive in ("Type=notify", "WatchdogSec=", "Restart=on-failure", "DynamicUser=yes",
                      "StateDirectory=smartreturn", "LoadCredential=imap-password:/etc/smartreturn/imap-password",
                      "ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes", "ProtectHome=yes"):
        assert directive in text, directive


def test_the_shipped_unit_is_what_service_install_writes_for_a_system_venv() -> None:
    from smartreturn.daemon.service import render

    assert UNIT.read_text() == render(False, Path("/etc/smartreturn/config.toml"), "/opt/smartreturn/bin/python")


def test_system_unit_refuses_a_python_its_sandbox_cannot_see(tmp_path: Path) -> None:
    """pipx puts Python under ~/.local: ProtectHome + DynamicUser hide it; say so, and the two ways out."""
    from smartreturn.daemon.service import plan
    from smartreturn.errors import ConfigError

    with pytest.raises(ConfigError, match="under a home directory.*system venv.*--user"):
        plan(False, None, Path("/home/ann"), python="/home/ann/.local/share/pipx/venvs/smartreturn/bin/python")
    unit = plan(True, None, Path("/home/ann"), python="/home/ann/.local/share/pipx/venvs/smartreturn/bin/python")
    assert unit.path == Path("/home/ann/.config/systemd/user/smartreturn.service")
    assert ("ExecStart=/home/ann/.local/share/pipx/venvs/smartreturn/bin/python -m smartreturn "
            "--config /home/ann/.config/smartreturn/config.toml run") in unit.text
