"""One IMAP connection: connect, authenticate, select, fetch new mail, after-actions, IDLE.

Only this module talks imapclient; every library, socket and TLS error leaves it as
:class:`~smartreturn.errors.MailError` (``AuthError`` for a refused login), so the loop has one error
boundary. Bodies are always fetched with ``BODY.PEEK[]`` (never marks mail seen).
"""

from __future__ import annotations

import imaplib
import itertools
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from smartreturn.config import ImapAccount
from smartreturn.daemon.oauth import TokenSource
from smartreturn.errors import MailError

log = logging.getLogger(__name__)

IDLE_SLICES = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 60.0)  # IDLE lengths after a sync; then 60 s each (limit: 29 min)
IDLE_TICK = 1.0        # how often IDLE looks at the stop flag
TIMEOUT = 60.0         # socket timeout for every command
DEFAULT_DRAFTS = "Drafts"  # used when no folder has the \\Drafts special use (and `doctor --fix` creates it)


class AuthError(MailError):
    """The server refused the credentials."""


@dataclass(frozen=True, slots=True)
class FolderStatus:
    uidvalidity: int
    uidnext: int | None
    exists: int


@dataclass(frozen=True, slots=True)
class FetchedMail:
    uid: int
    raw: bytes


def ssl_context(account: ImapAccount) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if account.ca_file:
        context.load_verify_locations(cafile=str(account.ca_file))
    return context


@contextmanager
def wrap_errors(what: str) -> Iterator[None]:
    """Re-raise library, socket and TLS errors as MailError naming what was being done."""
    try:
        yield
    except MailError:
        raise
    except LoginError as exc:
        raise AuthError(f"{what}: login refused: {_text(exc)}") from exc
    except (IMAPClientError, imaplib.IMAP4.error, OSError, EOFError) as exc:
        raise MailError(f"{what}: {type(exc).__name__}: {_text(exc)}") from exc


def _text(exc: BaseException) -> str:
    text = str(exc)
    return text[2:-1] if text.startswith(("b'", 'b"')) else text


class ImapConnection:
    """A logged-in connection to one account. Use as a context manager; not thread-safe."""

    def __init__(self, account: ImapAccount, tokens: TokenSource | None = None, timeout: float = TIMEOUT) -> None:
        self.account = account
        self.tokens = tokens
        self.timeout = timeout
        self.client: IMAPClient | None = None
        self.folder: str | None = None

    @property
    def label(self) -> str:
        return f"{self.account.name} ({self.account.host}:{self.account.effective_port})"

    def __enter__(self) -> "ImapConnection":
        self.open()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- connection ---------------------------------------------------------------------------

    def open(self) -> None:
        account = self.account
        with wrap_errors(f"connecting to {self.label}"):
            client = IMAPClient(account.host, port=account.effective_port, ssl=account.security == "tls",
                                ssl_context=ssl_context(account) if account.security == "tls" else None,
                                timeout=self.timeout)
        self.client = client
        try:
            if account.security == "starttls":
                with wrap_errors(f"STARTTLS with {self.label}"):
                    client.starttls(ssl_context(account))
            self._login(client)
        except BaseException:
            self.close()
            raise
        log.debug("logged in to %s as %s", self.label, account.username)

    def _login(self, client: IMAPClient) -> None:
        account = self.account
        what = f"logging in to {self.label} as {account.username}"
        if account.auth == "xoauth2":
            if self.tokens is None:
                raise MailError(f"{what}: XOAUTH2 without a token source")
            with wrap_errors(what):
                try:
                    client.oauth2_login(account.username, self.tokens.get())
                except (LoginError, imaplib.IMAP4.error):
                    self.tokens.invalidate()  # an expired or revoked token: try a fresh one once
                    client.oauth2_login(account.username, self.tokens.get())
            return
        assert account.password is not None
        with wrap_errors(what):
            client.login(account.username, account.password.get_secret_value())

    def close(self) -> None:
        client, self.client, self.folder = self.client, None, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:  # noqa: BLE001 - the connection may already be dead; nothing to report
            try:
                client.shutdown()
            except Exception:  # noqa: BLE001
                pass

    def _client(self) -> IMAPClient:
        if self.client is None:
            raise MailError(f"{self.label}: not connected")
        return self.client

    # --- queries ------------------------------------------------------------------------------

    def capabilities(self) -> set[str]:
        with wrap_errors(f"CAPABILITY on {self.label}"):
            return {c.decode("ascii", "replace").upper() for c in self._client().capabilities()}

    def has_idle(self) -> bool:
        return "IDLE" in self.capabilities()

    def list_folders(self) -> list[tuple[str, tuple[str, ...]]]:
        """(name, flags) of every folder, flags like '\\Drafts'."""
        with wrap_errors(f"LIST on {self.label}"):
            return [(name, tuple(f.decode("ascii", "replace") for f in flags))
                    for flags, _delim, name in self._client().list_folders()]

    def drafts_folder(self) -> str | None:
        """The configured Drafts folder if it exists, else the one with the \\Drafts special use."""
        folders = self.list_folders()
        if self.account.drafts_folder:
            return self.account.drafts_folder if any(n == self.account.drafts_folder for n, _ in folders) else None
        special = next((name for name, flags in folders if "\\Drafts" in flags), None)
        return special or (DEFAULT_DRAFTS if any(n == DEFAULT_DRAFTS for n, _ in folders) else None)

    def folder_exists(self, folder: str) -> bool:
        with wrap_errors(f"LIST {folder!r} on {self.label}"):
            return bool(self._client().folder_exists(folder))

    def select(self, folder: str) -> FolderStatus:
        with wrap_errors(f"SELECT {folder!r} on {self.label}"):
            info = self._client().select_folder(folder)
        self._announced_new_mail()  # SELECT's own EXISTS is not news
        self.folder = folder
        uidnext = info.get(b"UIDNEXT")
        return FolderStatus(int(info[b"UIDVALIDITY"]), int(uidnext) if uidnext is not None else None,
                            int(info.get(b"EXISTS", 0)))

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs greater than last_uid, ascending (``UID n:*`` also returns the highest UID; dropped)."""
        with wrap_errors(f"UID SEARCH in {self.folder!r} on {self.label}"):
            found = self._client().search(["UID", f"{last_uid + 1}:*"])
        return sorted(uid for uid in found if uid > last_uid)

    def uids_between(self, first: int, last: int) -> list[int]:
        """UIDs from first to last (both included), ascending."""
        with wrap_errors(f"UID SEARCH in {self.folder!r} on {self.label}"):
            found = self._client().search(["UID", f"{first}:{last}"])
        return sorted(uid for uid in found if first <= uid <= last)

    def uids_upto(self, last_uid: int, criteria: list[str] | None = None) -> list[int]:
        if last_uid <= 0:
            return []
        with wrap_errors(f"UID SEARCH in {self.folder!r} on {self.label}"):
            found = self._client().search(["UID", f"1:{last_uid}", *(criteria or [])])
        return sorted(uid for uid in found if uid <= last_uid)

    def fetch(self, uids: list[int]) -> list[FetchedMail]:
        """Raw bytes of these UIDs (one FETCH command), in UID order; vanished UIDs are left out."""
        if not uids:
            return []
        with wrap_errors(f"FETCH {len(uids)} mails from {self.folder!r} on {self.label}"):
            data = self._client().fetch(uids, ["BODY.PEEK[]"])
        return [FetchedMail(uid, bytes(data[uid][b"BODY[]"])) for uid in sorted(data)
                if b"BODY[]" in data[uid] and data[uid][b"BODY[]"] is not None]

    def message_ids(self, uids: list[int]) -> dict[int, str]:
        """The Message-ID header of each UID (empty string when absent): cheap, no bodies."""
        if not uids:
            return {}
        key = b"BODY[HEADER.FIELDS (MESSAGE-ID)]"
        with wrap_errors(f"FETCH Message-IDs from {self.folder!r} on {self.label}"):
            data = self._client().fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
        result: dict[int, str] = {}
        for uid, item in data.items():
            header = bytes(item.get(key) or b"").decode("ascii", "replace")
            _, _, value = header.partition(":")
            result[uid] = " ".join(value.split())
        return result

    # --- after processing ---------------------------------------------------------------------

    def apply_after(self, uids: list[int]) -> None:
        """The account's after-processing action on these UIDs (only call after the DB commit)."""
        if not uids or self.account.after == "none":
            return
        client = self._client()
        action, target = self.account.after, self.account.after_target
        with wrap_errors(f"after-action {action} on {len(uids)} mails in {self.folder!r} on {self.label}"):
            if action == "seen":
                client.add_flags(uids, [b"\\Seen"], silent=True)
            elif action == "keyword":
                client.add_flags(uids, [target.encode("utf-8")], silent=True)
            elif action == "move":
                if "MOVE" in self.capabilities():
                    client.move(uids, target)
                else:
                    client.copy(uids, target)
                    client.add_flags(uids, [b"\\Deleted"], silent=True)
                    if "UIDPLUS" in self.capabilities():
                        client.uid_expunge(uids)
                    else:
                        client.expunge()

    def pending_after(self, last_uid: int) -> list[int]:
        """UIDs up to last_uid whose after-action did not happen (a crash between commit and action)."""
        action = self.account.after
        if action == "none" or last_uid <= 0:
            return []
        if action == "seen":
            return self.uids_upto(last_uid, ["UNSEEN"])
        if action == "keyword":
            return self.uids_upto(last_uid, ["UNKEYWORD", self.account.after_target])
        return self.uids_upto(last_uid)  # move: anything still here should have gone

    def ensure_folder(self, folder: str) -> None:
        if not self.folder_exists(folder):
            with wrap_errors(f"CREATE {folder!r} on {self.label}"):
                self._client().create_folder(folder)
            log.info("created folder %r on %s", folder, self.label)

    # --- waiting for mail ---------------------------------------------------------------------

    def wait_for_mail(self, timeout: float, stop: threading.Event, tick: Callable[[], None] | None = None) -> bool:
        """IDLE until the server reports new mail, ``timeout`` passes or stop is set. True if new mail.

        IDLE is re-issued in slices of 1, 2, 4 ... up to 60 s (far below the 29-minute limit), each
        followed by a NOOP. That makes the server report anything its IDLE notification missed:
        Dovecot (seen in tests) does not announce a mail delivered while IDLE starts until some later
        command, and drops a pending announcement when IDLE ends, reporting it with the next command.
        """
        if self._announced_new_mail():
            return True  # mail arrived while we were busy: its EXISTS came with another command
        deadline = time.monotonic() + timeout
        for length in itertools.chain(IDLE_SLICES, itertools.repeat(IDLE_SLICES[-1])):
            left = deadline - time.monotonic()
            if stop.is_set() or left <= 0:
                return False
            if self._idle_slice(min(length, left), stop, tick):
                return True
        return False  # unreachable: the slices repeat forever

    def _idle_slice(self, seconds: float, stop: threading.Event, tick: Callable[[], None] | None) -> bool:
        client = self._client()
        deadline = time.monotonic() + seconds
        with wrap_errors(f"IDLE in {self.folder!r} on {self.label}"):
            client.idle()
            responses: list = []
            try:
                while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
                    responses = client.idle_check(timeout=min(IDLE_TICK, left))
                    bye = _bye(responses)
                    if bye is not None:  # the server is going away (shutdown, restart): reconnect now
                        client.shutdown()
                        raise MailError(f"IDLE in {self.folder!r} on {self.label}: server closed the connection: {bye}")
                    if tick is not None:
                        tick()
                    if _new_mail(responses):
                        return True
            finally:
                if not _socket_closed(client):
                    _text, responses = client.idle_done()
            if _new_mail(responses):
                return True
            # a mail delivered within Dovecot's ~0.5 s notification delay before DONE is reported
            # neither in IDLE nor with DONE, only with the next command: ask now, not a slice later
            _text, responses = client.noop()
            return _new_mail(responses)

    def _announced_new_mail(self) -> bool:
        """Pop EXISTS/RECENT responses that arrived with earlier commands (imaplib keeps them).

        Without this, a mail delivered during the sync's FETCH/STORE is announced in that command's
        response, IDLE starts afterwards with nothing new to report, and the mail waits for the poll.
        """
        pending = self._client()._imap.untagged_responses
        exists = pending.pop("EXISTS", None)
        recent = pending.pop("RECENT", None)
        return bool(exists or recent)

    def noop(self) -> None:
        with wrap_errors(f"NOOP on {self.label}"):
            self._client().noop()


def _new_mail(responses: list) -> bool:
    return any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses)


def _bye(responses: list) -> str | None:
    for response in responses:
        if response and response[0] == b"BYE":
            text = response[1] if len(response) > 1 else b""
            return text.decode("ascii", "replace") if isinstance(text, bytes) else str(text)
    return None


def _socket_closed(client: IMAPClient) -> bool:
    try:
        sock = client.socket()
    except Exception:  # noqa: BLE001
        return True
    return not isinstance(sock, socket.socket) or sock.fileno() < 0
