"""The parser protocol (after beangulp's importers)."""

from __future__ import annotations

from typing import ClassVar, Protocol, runtime_checkable

from smartreturn.mail.message import Email
from smartreturn.model import Event

__all__ = ["Email", "Event", "Parser"]


@runtime_checkable
class Parser(Protocol):
    name: ClassVar[str]      # "sf_express" == module == fixture folder == value stored in the DB
    version: ClassVar[int]   # bump when output changes; stored, so history can be re-parsed
    fallback: ClassVar[bool]  # True for generic parsers tried only when no specific parser matches

    def identify(self, email: Email) -> bool:
        """Cheap check (sender, subject). Never raises."""
        ...

    def extract(self, email: Email) -> list[Event]:
        """Pure: no DB, network, clock or settings. An empty list means 'nothing for us here'."""
        ...
