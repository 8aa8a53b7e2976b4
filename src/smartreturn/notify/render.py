"""The one Jinja environment: user template folder first, shipped templates second.

Sandboxed (templates may come from the user folder, and the values come from hostile mail),
``StrictUndefined`` (a typo in a template is an error, not a blank), autoescape for HTML templates,
and a cap on the output size.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from smartreturn.errors import NotifyError

MAX_OUTPUT_CHARS = 20_000_000  # a runaway template must not fill the disk or the outbox


def _autoescape(name: str | None) -> bool:
    return bool(name) and name.endswith((".html.j2", ".html", ".htm"))


@lru_cache(maxsize=8)
def environment(user_dir: Path | None = None) -> SandboxedEnvironment:
    loaders = [FileSystemLoader(str(user_dir.expanduser()))] if user_dir else []
    loaders.append(PackageLoader("smartreturn", "templates"))
    return SandboxedEnvironment(loader=ChoiceLoader(loaders), undefined=StrictUndefined, autoescape=_autoescape,
                                keep_trailing_newline=True, trim_blocks=False, lstrip_blocks=False)


def render(name: str, context: dict[str, Any], *, user_dir: Path | None = None) -> str:
    try:
        output = environment(user_dir).get_template(name).render(**context)
    except TemplateError as exc:
        raise NotifyError(f"template {name}: {exc}") from exc
    if len(output) > MAX_OUTPUT_CHARS:
        raise NotifyError(f"template {name} rendered {len(output)} characters (cap {MAX_OUTPUT_CHARS})")
    return output


def template_exists(name: str, *, user_dir: Path | None = None) -> bool:
    try:
        environment(user_dir).get_template(name)
    except TemplateError:
        return False
    return True
