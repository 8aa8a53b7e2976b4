"""The one Jinja environment: user template folder first, shipped templates second.

Sandboxed (templates may come from the user folder, and the values come from hostile mail),
``StrictUndefined`` (a typo in a template is an error, not a blank), autoescape for HTML templates,
and a cap on the output size. Jinja is imported when the first template is rendered: a daemon that has
nothing to say does not hold it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smartreturn.errors import NotifyError

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

MAX_OUTPUT_CHARS = 20_000_000  # a runaway template must not fill the disk or the outbox


def _autoescape(name: str | None) -> bool:
    return bool(name) and name.endswith((".html.j2", ".html", ".htm"))


@lru_cache(maxsize=8)
def environment(user_dir: Path | None = None) -> SandboxedEnvironment:
    from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    loaders = [FileSystemLoader(str(user_dir.expanduser()))] if user_dir else []
    loaders.append(PackageLoader("smartreturn", "templates"))
    return SandboxedEnvironment(loader=ChoiceLoader(loaders), undefined=StrictUndefined, autoescape=_autoescape,
                                keep_trailing_newline=True, trim_blocks=False, lstrip_blocks=False)


def render(name: str, context: dict[str, Any], *, user_dir: Path | None = None) -> str:
    from jinja2 import TemplateError

    try:
        output = environment(user_dir).get_template(name).render(**context)
    except TemplateError as exc:
        raise NotifyError(f"template {name}: {exc}") from exc
    if len(output) > MAX_OUTPUT_CHARS:
        raise NotifyError(f"template {name} rendered {len(output)} characters (cap {MAX_OUTPUT_CHARS})")
    return output


def template_exists(name: str, *, user_dir: Path | None = None) -> bool:
    from jinja2 import TemplateError

    try:
        environment(user_dir).get_template(name)
    except TemplateError:
        return False
    return True
