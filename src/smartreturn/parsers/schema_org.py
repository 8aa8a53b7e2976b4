"""schema.org markup (JSON-LD and microdata) -> events. Work in progress: identifies nothing yet."""

from __future__ import annotations

from typing import ClassVar

from smartreturn.mail.message import Email
from smartreturn.model import Event


class SchemaOrgParser:
    name: ClassVar[str] = "schema_org"
    version: ClassVar[int] = 1
    fallback: ClassVar[bool] = True

    def identify(self, email: Email) -> bool:
        return False

    def extract(self, email: Email) -> list[Event]:
        return []
