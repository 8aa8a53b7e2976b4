"""``smartreturn doctor``: check the config, the database and every IMAP account, and say what is wrong."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.engine import make_url

from smartreturn.config import ImapAccount, Settings
from smartreturn.daemon.imap import ImapConnection
from smartreturn.daemon.oauth import TokenSource
from smartreturn.errors import SmartReturnError
from smartreturn.store.db import open_database

log = logging.getLogger(__name__)

Level = Literal["ok", "warn", "error"]


@dataclass(frozen=True, slots=True)
class Finding:
    level: Level
    subject: str   # "config", "database", "imap main" ...
    message: str


def diagnose(settings: Settings) -> list[Finding]:
    findings = [Finding("ok", "config", f"loaded from {settings.source or 'defaults and environment'}")]
    findings += _check_database(settings)
    accounts = settings.imap.accounts
    if not accounts:
        findings.append(Finding("warn", "config", "no [[imap.accounts]]: `smartreturn run` will not read any mail"))
    elif not settings.ingest.allowed_forwarders:
        findings.append(Finding("error", "config", "ingest.allowed_forwarders is empty: every IMAP mail would be "
                                "stored as 'ignored'; list the addresses (or '@domain') that forward your shopping mail"))
    drafts_account = settings.drafts.account or (accounts[0].name if accounts else None)
    if settings.drafts.enabled and settings.drafts.account and settings.drafts.account not in {a.name for a in accounts}:
        findings.append(Finding("error", "config", f"drafts.account {settings.drafts.account!r} is not an IMAP account name"))
    for account in accounts:
        findings += check_account(account, want_drafts=settings.drafts.enabled and account.name == drafts_account)
    return findings


def _check_database(settings: Settings) -> list[Finding]:
    try:
        db = open_database(settings.database_url)
    except SmartReturnError as exc:
        return [Finding("error", "database", str(exc))]
    except Exception as exc:  # noqa: BLE001 - report anything the driver says
        return [Finding("error", "database", f"cannot open {_safe_url(settings.database_url)}: {exc}")]
    db.dispose()
    return [Finding("ok", "database", f"{_safe_url(settings.database_url)} is reachable and migrated")]


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def check_account(account: ImapAccount, want_drafts: bool) -> list[Finding]:
    subject = f"imap {account.name}"
    findings: list[Finding] = []
    tokens = None
    if account.auth == "xoauth2":
        tokens = TokenSource(account.oauth2_token_command, account.oauth2_token_file)
    started = time.monotonic()
    try:
        with ImapConnection(account, tokens, timeout=20) as conn:
            findings.append(Finding("ok", subject, f"logged in to {account.host}:{account.effective_port} "
                                    f"({account.security}, {account.auth}) as {account.username} "
                                    f"in {time.monotonic() - started:.1f} s"))
            folders = dict(conn.list_folders())
            findings.append(Finding("ok", subject, f"{len(folders)} folders: {', '.join(sorted(folders)[:20])}"))
            for folder in account.folders:
                if folder in folders:
                    findings.append(Finding("ok", subject, f"watched folder {folder!r} exists"))
                else:
                    findings.append(Finding("error", subject, f"watched folder {folder!r} does not exist; "
                                            "check the spelling against the folder list"))
            if account.after == "move" and account.after_target not in folders:
                findings.append(Finding("warn", subject, f"move target {account.after_target!r} does not exist; "
                                        "the daemon will create it"))
            if conn.has_idle():
                findings.append(Finding("ok", subject, "server supports IDLE: new mail is seen within seconds"))
            elif account.idle:
                findings.append(Finding("warn", subject, f"server lacks IDLE: polling every {account.poll_interval} s"))
            if want_drafts:
                drafts = conn.drafts_folder()
                if drafts:
                    findings.append(Finding("ok", subject, f"Drafts folder: {drafts!r}"))
                elif account.drafts_folder:
                    findings.append(Finding("error", subject, f"drafts_folder {account.drafts_folder!r} does not exist"))
                else:
                    findings.append(Finding("error", subject, "no folder has the \\Drafts special use; "
                                            "set drafts_folder = \"...\" for this account"))
    except SmartReturnError as exc:
        findings.append(Finding("error", subject, str(exc) + _hint(str(exc))))
    return findings


def _hint(error: str) -> str:
    if "CERTIFICATE_VERIFY_FAILED" in error:
        return " (a self-signed or private CA? set ca_file for this account)"
    if "WRONG_VERSION_NUMBER" in error:
        return " (is the port right for this security? 993 is tls, 143 is starttls)"
    if "login refused" in error:
        return " (for Gmail/Outlook use an app password or auth = \"xoauth2\")"
    return ""
