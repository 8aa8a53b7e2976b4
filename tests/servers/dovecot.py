"""A real Dovecot IMAP server on 127.0.0.1 for tests, benchmarks and `scripts/mailservers.sh`.

Debian's ``dovecot-imapd`` (2.3) runs as a standalone instance whose config, sockets, logs and maildirs
all live in one temp folder; nothing from /etc/dovecot is read. Any user name logs in with the password
``testpass`` and gets its own fresh maildir (static passdb/userdb), so each test gets a new mailbox
without restarting the server. INBOX, Drafts (``\\Drafts``), Archive and Trash always exist.
XOAUTH2 works too: :meth:`Mailbox.issue_token` makes a token that the server's OAuth2 passdb accepts
(Dovecot asks a small token introspection endpoint run by this module).

The server also speaks TLS: IMAPS on ``tls_port`` and STARTTLS on ``port``, with a self-signed
certificate (``cert_file``, to be trusted via the account's ``ca_file``).

Pitfalls handled here: Dovecot refuses mail uid 0 (as root, mail is owned by nobody); every folder
above the maildirs needs o+x (so not pytest's 0700 ``tmp_path``); ``ssl`` and ``log_path`` are set
explicitly; readiness means the ``* OK`` greeting was read.
"""

from __future__ import annotations

import argparse
import grp
import itertools
import json
import secrets
import threading
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from imapclient import IMAPClient

PASSWORD = "testpass"
_user_ids = itertools.count(1)

# Dovecot 2.3's post-login capabilities minus IDLE: a server for the poll-fallback path
_NO_IDLE = (
    "IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE SORT THREAD=REFERENCES MULTIAPPEND UNSELECT "
    "CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES "
    "WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SPECIAL-USE"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _mail_ids_and_privileges() -> tuple[str, str]:
    """(uid/gid args for the static userdb, extra settings for a non-root run)."""
    if os.geteuid() == 0:
        return "uid=nobody gid=nogroup", ""
    user = pwd.getpwuid(os.geteuid()).pw_name
    group = grp.getgrgid(os.getegid()).gr_name
    extra = (
        f"default_internal_user = {user}\ndefault_internal_group = {group}\ndefault_login_user = {user}\n"
        "service anvil {\n  chroot =\n}\nservice imap-login {\n  chroot =\n}\n"
    )
    return f"uid={os.geteuid()} gid={os.getegid()}", extra


def render_config(root: Path, port: int, tls_port: int, idle: bool = True, oauth_port: int = 0) -> str:
    ids, extra = _mail_ids_and_privileges()
    (root / "oauth2.conf.ext").write_text(
        f"introspection_mode = post\nintrospection_url = http://127.0.0.1:{oauth_port}/introspect\n"
        "username_attribute = username\nactive_attribute = active\nactive_value = true\n")
    capability = "" if idle else f"protocol imap {{\n  imap_capability = {_NO_IDLE}\n}}\n"
    return f"""# Dovecot 2.3 standalone test instance; nothing from /etc/dovecot is read
instance_name = smartreturn-test-{port}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/tls.crt
ssl_key = <{root}/tls.key
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
auth_failure_delay = 0
first_valid_uid = 1
mail_fsync = never
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/oauth2.conf.ext
}}
passdb {{
  driver = static
  mechanisms = plain login
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = {ids} home={root}/mail/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Drafts {{
    auto = create
    special_use = \\Drafts
  }}
  mailbox Archive {{
    auto = create
    special_use = \\Archive
  }}
  mailbox Trash {{
    auto = create
    special_use = \\Trash
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
{capability}{extra}"""


class TokenIntrospection:
    """The OAuth2 provider's token introspection endpoint (RFC 7662) that Dovecot asks about XOAUTH2 tokens."""

    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}  # valid access token -> user name
        introspection = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: Dovecot's HTTP client reuses its connection

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                token = parse_qs(body).get("token", [""])[0]
                user = introspection.tokens.get(token)
                answer = {"active": True, "username": user} if user else {"active": False}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.http.server_address[1]
        threading.Thread(target=self.http.serve_forever, name="oauth2-introspection", daemon=True).start()

    def issue(self, user: str) -> str:
        token = "ya29." + secrets.token_urlsafe(24)
        self.tokens[token] = user
        return token

    def revoke(self, token: str) -> None:
        self.tokens.pop(token, None)

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@dataclass(frozen=True, slots=True)
class Mailbox:
    """One fresh user on the server; any IMAP client may log in with these credentials."""

    server: "DovecotServer"
    user: str
    password: str = PASSWORD

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    def issue_token(self) -> str:
        """A new OAuth2 access token the server accepts for this user over XOAUTH2 (until revoked)."""
        return self.server.oauth.issue(self.user)

    def client(self) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        client.login(self.user, self.password)
        return client

    def append(self, raw: bytes | Iterable[bytes], folder: str = "INBOX") -> None:
        """APPEND one mail, or many with MULTIAPPEND (500 per command)."""
        with self.client() as client:
            if isinstance(raw, bytes):
                client.append(folder, raw)
                return
            messages = list(raw)
            for start in range(0, len(messages), 500):
                client.multiappend(folder, messages[start:start + 500])

    def deliver(self, raw: bytes) -> None:
        """Drop a mail straight into the INBOX maildir, like an MDA; works while the server is stopped."""
        maildir = self.server.root / "mail" / self.user / "Maildir"
        name = f"{time.time_ns()}.P{os.getpid()}.smartreturn-test"
        (maildir / "tmp").mkdir(parents=True, exist_ok=True)
        (maildir / "new").mkdir(parents=True, exist_ok=True)
        (maildir / "tmp" / name).write_bytes(raw)
        os.rename(maildir / "tmp" / name, maildir / "new" / name)

    def create_folder(self, folder: str) -> None:
        with self.client() as client:
            client.create_folder(folder)

    def delete_folder(self, folder: str) -> None:
        with self.client() as client:
            client.delete_folder(folder)

    def uids(self, folder: str = "INBOX", criteria: str | list[str] = "ALL") -> list[int]:
        with self.client() as client:
            client.select_folder(folder, readonly=True)
            return sorted(client.search(criteria))

    def uidvalidity(self, folder: str = "INBOX") -> int:
        with self.client() as client:
            return int(client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])

    def flags(self, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
        with self.client() as client:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            return {uid: tuple(data[b"FLAGS"]) for uid, data in client.fetch(uids, ["FLAGS"]).items()} if uids else {}

    def account_settings(self, **overrides: object) -> dict[str, object]:
        """An ``[[imap.accounts]]`` table for this mailbox (plain, which is allowed on loopback)."""
        account: dict[str, object] = {
            "name": "test", "host": self.host, "port": self.port, "security": "plain",
            "username": self.user, "password": self.password,
        }
        account.update(overrides)
        return account


class DovecotServer:
    """A standalone Dovecot whose whole state lives in ``root``; stop() and start() keep the ports."""

    host = "127.0.0.1"

    def __init__(self, root: Path | None = None, port: int | None = None, tls_port: int | None = None,
                 idle: bool = True) -> None:
        if shutil.which("dovecot") is None:
            raise RuntimeError("dovecot is not installed: apt-get install -y dovecot-imapd")
        # NOT pytest's tmp_path: Dovecot's auth and mail processes need o+x on every parent folder
        self.root = root or Path(tempfile.mkdtemp(prefix="smartreturn-dovecot-", dir="/tmp"))
        self.port = port or free_port()
        self.tls_port = tls_port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.oauth = TokenIntrospection()
        self._prepare(idle)

    @property
    def cert_file(self) -> Path:
        return self.root / "tls.crt"

    @property
    def config_file(self) -> Path:
        return self.root / "dovecot.conf"

    def _prepare(self, idle: bool) -> None:
        os.chmod(self.root, 0o755)
        for sub in ("mail", "run", "state"):
            (self.root / sub).mkdir(exist_ok=True)
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.root / "mail", nobody.pw_uid, nobody.pw_gid)
        if not self.cert_file.exists():
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                 "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                 "-keyout", str(self.root / "tls.key"), "-out", str(self.cert_file)],
                check=True, capture_output=True,
            )
        self.config_file.write_text(render_config(self.root, self.port, self.tls_port, idle, self.oauth.port))

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        if self.running:
            return
        for port in (self.port, self.tls_port):
            if _accepts(port):
                raise RuntimeError(f"port {port} is already in use")
        with open(self.root / "dovecot.out", "ab") as out:
            self.process = subprocess.Popen(["dovecot", "-F", "-c", str(self.config_file)],
                                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited with {self.process.returncode}:\n{self.log_tail()}")
            if _greets(self.port):
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"dovecot did not greet on port {self.port} within {timeout} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM the master and wait until it has stopped its children (about 1 s)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def drop_clients(self) -> int:
        """Kill this instance's leftover imap processes (they outlive the master here, so a stopped
        server would keep serving connected clients): what a crash or reboot does to open connections."""
        marker = f"smartreturn-test-{self.port}/imap".encode()
        killed = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if marker in (entry / "cmdline").read_bytes():
                    os.kill(int(entry.name), signal.SIGKILL)
                    killed += 1
            except (OSError, ProcessLookupError):
                continue
        return killed

    def log_tail(self, lines: int = 30) -> str:
        text = ""
        for name in ("dovecot.out", "dovecot.log"):
            path = self.root / name
            if path.exists():
                text += "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n"
        return text

    def new_mailbox(self, prefix: str = "user") -> Mailbox:
        return Mailbox(self, f"{prefix}{next(_user_ids)}-{os.getpid()}")

    def cleanup(self) -> None:
        self.stop()
        self.oauth.close()
        shutil.rmtree(self.root, ignore_errors=True)


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _greets(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            return sock.recv(100).startswith(b"* OK")
    except OSError:
        return False


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """One Dovecot for the whole session (about 0.2 s to start). Never skipped: fails if missing."""
    server = DovecotServer()
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
def imap_mailbox(dovecot: DovecotServer) -> Mailbox:
    """A fresh, empty user on the session's Dovecot (INBOX, Drafts, Archive, Trash)."""
    dovecot.start()  # no-op unless a test stopped the server and failed before starting it again
    return dovecot.new_mailbox()


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.servers.dovecot serve --root DIR``: run in the foreground (mailservers.sh)."""
    parser = argparse.ArgumentParser(prog="tests.servers.dovecot")
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--port", type=int, default=10143)
    parser.add_argument("--tls-port", type=int, default=10993)
    parser.add_argument("--no-idle", action="store_true", help="advertise no IDLE capability")
    args = parser.parse_args(argv)
    args.root.mkdir(parents=True, exist_ok=True)
    server = DovecotServer(args.root, args.port, args.tls_port, idle=not args.no_idle)
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    server.start()
    print(f"dovecot ready on 127.0.0.1:{server.port} (plain/STARTTLS) and :{server.tls_port} (IMAPS); "
          f"any user name, password {PASSWORD!r}; CA file {server.cert_file}", flush=True)
    while not stopping and server.running:
        time.sleep(0.2)
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
