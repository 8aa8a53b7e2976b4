"""The project's own error types. Library errors are wrapped where they enter (``raise X(..) from e``)."""

from __future__ import annotations


class SmartReturnError(Exception):
    """Base class of every error SmartReturn raises on purpose."""


class ConfigError(SmartReturnError):
    """The configuration is wrong; the message names the key and the file."""


class MailError(SmartReturnError):
    """A mail source (IMAP, Maildir, mbox, file) failed."""


class ParseError(SmartReturnError):
    """A mail could not be decoded or a parser failed on it."""


class ParserConflict(ParseError):
    """Two specific parsers both identified one mail: an error, never 'first wins'."""


class StoreError(SmartReturnError):
    """The database refused a write or a migration failed."""


class NotifyError(SmartReturnError):
    """A notification could not be rendered or sent."""


class CalendarError(SmartReturnError):
    """The public holidays could not be had (the child process that asks the holidays package failed)."""


class TrackingError(SmartReturnError):
    """A tracking provider failed (auth, quota, malformed answer, network)."""


class TrackingAuthError(TrackingError):
    """The provider rejected the API key."""


class TrackingRateLimited(TrackingError):
    """The provider said 'too many requests' or the quota is used up."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
