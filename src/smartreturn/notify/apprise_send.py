"""The program that sends through Apprise: ``python -m smartreturn.notify.apprise_send``.

It is the only module that imports Apprise. The daemon starts it for each delivery
(:class:`smartreturn.notify.apprise.AppriseNotifier`), so Apprise and its plugins never stay in a process
that runs for months. Protocol: one JSON request on stdin (urls, title, text, html, attachments, log
level, the daemon's PID), one JSON answer on stdout (``{"errors": [...]}``); log lines go to stderr,
which the daemon logs through its secret-masking filter.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import apprise

from smartreturn import logsafe
from smartreturn.child import die_with_parent
from smartreturn.notify.apprise import EMAIL_SCHEMES, scrub


def deliver(urls: list[str], title: str, text: str, html: str | None, attachments: list[str]) -> list[str]:
    """Mail URLs get the HTML (Apprise adds a text part derived from it), the others the plain text."""
    mail = [u for u in urls if u.lower().startswith(EMAIL_SCHEMES)]
    other = [u for u in urls if not u.lower().startswith(EMAIL_SCHEMES)]
    errors: list[str] = []
    if mail:
        body, fmt = (html, apprise.NotifyFormat.HTML) if html else (text, apprise.NotifyFormat.TEXT)
        errors += _notify(mail, title, body, fmt, attachments)
    if other:
        errors += _notify(other, title, text, apprise.NotifyFormat.TEXT, attachments)
    return errors


def _notify(urls: list[str], title: str, body: str, fmt: str, attachments: list[str]) -> list[str]:
    sender = apprise.Apprise()
    for index, url in enumerate(urls):
        if not sender.add(url):
            return [f"notification URL #{index + 1} is not a valid Apprise URL"]
    with apprise.LogCapture(level=apprise.logging.WARNING) as captured:
        attach = apprise.AppriseAttachment([str(Path(p)) for p in attachments]) if attachments else None
        ok = sender.notify(title=title, body=body, body_format=fmt, attach=attach)
    if ok:
        return []
    details = scrub(captured.getvalue(), urls)
    return [f"Apprise could not deliver to {len(urls)} URL(s): {details or 'no detail'}"]


def main() -> None:
    request: dict[str, Any] = json.loads(sys.stdin.buffer.read())
    die_with_parent(request["parent"])  # a daemon killed mid-send takes its sender with it
    logsafe.log_to_stderr(request["log_level"])  # the daemon masks these lines again when it logs them
    errors = deliver(request["urls"], request["title"], request["text"], request["html"], request["attachments"])
    json.dump({"errors": errors}, sys.stdout)


if __name__ == "__main__":
    main()
