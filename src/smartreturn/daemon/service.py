"""``smartreturn service install``: a systemd unit whose ExecStart is the Python environment running now.

``sys.executable -m smartreturn`` is used rather than a ``bin/smartreturn`` path: it is right for pipx
(its venv's python), for a system venv (``/opt/smartreturn/bin/python``) and for a distribution
package, and it exists by construction. The system unit keeps the hardening (DynamicUser, ProtectHome,
ProtectSystem=strict ...); a Python under /home or /root is unreachable for it, so that case is refused
with the two ways out (a system venv, or ``--user``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from smartreturn.errors import ConfigError

SYSTEM_UNIT_DIR = Path("/etc/systemd/system")
SYSTEM_CONFIG = Path("/etc/smartreturn/config.toml")
UNIT_NAME = "smartreturn.service"
HIDDEN_FROM_SYSTEM_UNIT = (Path("/home"), Path("/root"), Path("/run/user"))  # ProtectHome=yes


@dataclass(frozen=True, slots=True)
class Unit:
    path: Path
    text: str
    next_steps: str


def exec_start(python: str | None = None) -> str:
    return f"{Path(python or sys.executable).absolute()} -m smartreturn"


def render(user: bool, config: Path, python: str | None = None) -> str:
    template = resources.files("smartreturn").joinpath(f"templates/systemd/{'user' if user else 'system'}.service")
    return template.read_text("utf-8").format(exec_start=exec_start(python), config=config)


def plan(user: bool, config: Path | None, home: Path, python: str | None = None, unit_dir: Path | None = None) -> Unit:
    """The unit to write, where, and what to run afterwards."""
    interpreter = Path(python or sys.executable).absolute()
    if not user and any(interpreter.is_relative_to(hidden) for hidden in HIDDEN_FROM_SYSTEM_UNIT):
        raise ConfigError(
            f"{interpreter} is under a home directory, which the system unit cannot see (ProtectHome=yes, "
            "DynamicUser=yes). Either install into a system venv (python3 -m venv /opt/smartreturn && "
            "/opt/smartreturn/bin/pip install smartreturn, then run /opt/smartreturn/bin/smartreturn service "
            "install), or install a user service: smartreturn service install --user")
    if user:
        config = config or home / ".config" / "smartreturn" / "config.toml"
        directory = unit_dir or home / ".config" / "systemd" / "user"
        steps = "systemctl --user daemon-reload && systemctl --user enable --now smartreturn"
    else:
        config = config or SYSTEM_CONFIG
        directory = unit_dir or SYSTEM_UNIT_DIR
        steps = "systemctl daemon-reload && systemctl enable --now smartreturn"
    return Unit(directory / UNIT_NAME, render(user, config, str(interpreter)), steps)
