"""``smartreturn doctor``: check the config, the database and every IMAP account, and say what is wrong."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.engine import make_url

from smartreturn import clock
from smartreturn.config import ImapAccount, Settings
from smartreturn.daemon.imap import DEFAULT_DRAFTS, ImapConnection
from smartreturn.daemon.status import read_status
from smartreturn.daemon.oauth import TokenSource
from smartreturn.errors import NotifyError, SmartReturnError
from smartreturn.notify.apprise import AppriseNotifier, Message, Notifier, valid_url
from smartreturn.store.db import open_database

log = logging.getLogger(__name__)

Level = Literal["ok", "warn", "error"]


@dataclass(frozen=True, slots=True)
class Finding:
    level: Level
    subject: str   # "config", "database", "imap main" ...
    message: str


def diagnose(settings: Settings, *, send_test: bool = False, fix: bool = False) -> list[Finding]:
    """Every check; ``send_test`` also sends a test notification to each URL, ``fix`` creates a missing
    Drafts folder."""
    findings = [Finding("ok", "config", f"loaded from {settings.source or 'defaults and environment'}")]
    findings += _check_database(settings)
    findings += check_daemon(settings)
    findings += check_notify(settings, send_test=send_test)
    findings += check_tracking(settings)
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
        findings += check_account(account, want_drafts=settings.drafts.enabled and account.name == drafts_account,
                                  fix=fix)
    return findings


def check_daemon(settings: Settings, now: datetime | None = None) -> list[Finding]:
    """What the running daemon last wrote: last contact per folder, a database outage it is waiting out."""
    status = read_status(settings.general.state_dir)
    if status is None:
        return [Finding("warn", "daemon", f"no status in {settings.general.state_dir}: `smartreturn run` has not run "
                        "with this state_dir (or cannot write there)")]
    now = now or clock.now()
    alive = _pid_alive(status.get("pid"))
    head = (f"pid {status.get('pid')} ({'running' if alive else 'not running'}), version {status.get('version')}, "
            f"started {status.get('started_at')}, status written {status.get('updated_at')}")
    findings = [Finding("ok" if alive else "warn", "daemon", head)]
    if status.get("store_error"):
        findings.append(Finding("error", "daemon", f"database unavailable since {status.get('store_error_since')}: "
                                f"{status['store_error']}; the daemon holds its IMAP cursors and retries, no mail is "
                                "skipped"))
    for folder in status.get("folders", []):
        label = f"{folder['account']}/{folder['folder']}"
        contact = folder.get("last_contact")
        ago = f"{_ago(contact, now)} ago" if contact else "never"
        if folder.get("connected"):
            findings.append(Finding("ok", "daemon", f"{label}: connected, last contact {ago}, "
                                    f"{folder.get('ingested', 0)} mails stored since start"))
        else:
            findings.append(Finding("warn", "daemon", f"{label}: not connected (last contact {ago}): "
                                    f"{folder.get('last_error') or 'connecting'}"))
    return findings


def _pid_alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True  # exists, owned by someone else (the service user)
    except OSError:
        return False
    return True


def _ago(iso_time: str, now: datetime) -> str:
    try:
        seconds = max(0.0, (now - datetime.fromisoformat(iso_time)).total_seconds())
    except ValueError:
        return iso_time
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def check_notify(settings: Settings, *, send_test: bool = False, notifier: Notifier | None = None) -> list[Finding]:
    """Every Apprise URL must parse (a typo shows here, not at digest time); ``send_test`` sends to each.
    URLs carry tokens: they are named by key, position and scheme only."""
    findings: list[Finding] = []
    lists = {"notify.urls": settings.notify.urls, "notify.digest_urls": settings.notify.digest_urls}
    if not any(lists.values()):
        return [Finding("warn", "notify", "no notify.urls: no digest, no urgent pushes (drafts still work)")]
    notifier = notifier or AppriseNotifier()
    for key, urls in lists.items():
        for index, secret in enumerate(urls, start=1):
            url = secret.get_secret_value()
            name = f"{key} #{index} ({url.partition('://')[0] or '?'}://…)"
            if not valid_url(url):
                findings.append(Finding("error", "notify", f"{name} is not a valid Apprise URL (see "
                                        "https://github.com/caronc/apprise/wiki for the URL of each service)"))
                continue
            if not send_test:
                findings.append(Finding("ok", "notify", f"{name} parses; `doctor --send-test` sends a test notification"))
                continue
            try:
                notifier.send([url], Message(title="SmartReturn test notification",
                                             text="If you read this, SmartReturn can reach you here."))
            except NotifyError as exc:
                findings.append(Finding("error", "notify", f"{name}: test notification failed: {exc}"))
            else:
                findings.append(Finding("ok", "notify", f"{name}: test notification sent"))
    return findings


def check_tracking(settings: Settings) -> list[Finding]:
    findings: list[Finding] = []
    tracking = settings.tracking
    for provider in tracking.providers:
        section = {"17track": "seventeen_track"}.get(provider, provider)
        options = getattr(tracking, section)
        if options.api_key is None or not options.api_key.get_secret_value().strip():
            findings.append(Finding("error", "tracking", f"provider {provider} has no key: set api_key_file in "
                                    f"[tracking.{section}] (or SMARTRETURN_TRACKING__{section.upper()}__API_KEY)"))
        elif provider == "kuaidi100" and not options.customer:
            findings.append(Finding("error", "tracking", "kuaidi100 needs its 'customer' id too ([tracking.kuaidi100])"))
        else:
            findings.append(Finding("ok", "tracking", f"provider {provider}: key set (checked on the first poll)"))
    for section in ("seventeen_track", "aftership", "kuaidi100"):
        provider = {"seventeen_track": "17track"}.get(section, section)
        if getattr(tracking, section).api_key is not None and provider not in tracking.providers:
            findings.append(Finding("warn", "tracking", f"a key for {provider} is set but {provider!r} is not in "
                                    "tracking.providers: it is not used"))
    return findings


def _check_database(settings: Settings) -> list[Finding]:
    try:
        db = open_database(settings.database_url)
    except SmartReturnError as exc:
        return [Finding("error", "database", str(exc))]
    except Exception as exc:  # noqa: BLE001 - report anything the driver says
        return [Finding("error", "database", f"cannot open {_safe_url(settings.database_url)}: {exc}")]
    try:
        unrecorded = _parcels_without_verified(db)
    finally:
        db.dispose()
    findings = [Finding("ok", "database", f"{_safe_url(settings.database_url)} is reachable and migrated")]
    if unrecorded:
        findings.append(Finding("warn", "database", f"{unrecorded} parcel(s) read from mail before migration 0006 do not "
                                "record whether their tracking number is verified: `smartreturn reparse` fills it in"))
    return findings


def _parcels_without_verified(db) -> int:
    """Parcels that a stored mail named and that have no ``verified`` flag (stored before 0006): re-reading
    their mail records it. Parcels typed by hand before 0006 are not counted: no mail can fill them."""
    from sqlalchemy import exists, func, or_, select

    from smartreturn.store.tables import CaseEvent, Shipment, TrackingEvent

    from_mail = or_(
        exists().where(TrackingEvent.shipment_id == Shipment.id, TrackingEvent.message_id.is_not(None)),
        exists().where(CaseEvent.shipment_id == Shipment.id, CaseEvent.message_id.is_not(None)))
    with db.reading() as connection:
        return connection.scalar(select(func.count(Shipment.id)).where(Shipment.verified.is_(None), from_mail)) or 0


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def check_account(account: ImapAccount, want_drafts: bool, fix: bool = False) -> list[Finding]:
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
                findings += _check_drafts(conn, account, subject, fix)
    except SmartReturnError as exc:
        findings.append(Finding("error", subject, str(exc) + _hint(str(exc))))
    return findings


def _check_drafts(conn: ImapConnection, account: ImapAccount, subject: str, fix: bool) -> list[Finding]:
    drafts = conn.drafts_folder()
    if drafts:
        return [Finding("ok", subject, f"Drafts folder: {drafts!r}")]
    missing = account.drafts_folder or DEFAULT_DRAFTS
    if fix:
        conn.ensure_folder(missing)
        return [Finding("ok", subject, f"created the Drafts folder {missing!r} (doctor --fix)")]
    why = (f"drafts_folder {missing!r} does not exist" if account.drafts_folder
           else "no folder has the \\Drafts special use and there is no 'Drafts'")
    return [Finding("error", subject, f"{why}: `smartreturn doctor --fix` creates {missing!r} "
                    "(or set drafts_folder = \"...\" to an existing folder)")]


def _hint(error: str) -> str:
    if "CERTIFICATE_VERIFY_FAILED" in error:
        return " (a self-signed or private CA? set ca_file for this account)"
    if "WRONG_VERSION_NUMBER" in error:
        return " (is the port right for this security? 993 is tls, 143 is starttls)"
    if "login refused" in error:
        return " (for Gmail/Outlook use an app password or auth = \"xoauth2\")"
    return ""
