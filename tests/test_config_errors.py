"""Config errors name the file or the environment variable and the key, on every failure path, and
never end in a traceback (issue 10 item 6); one source per secret (item 5)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from smartreturn.config import load_settings
from smartreturn.errors import ConfigError

SMARTRETURN = [sys.executable, "-c", "from smartreturn.cli import main; main()"]


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full = {**os.environ, "SMARTRETURN_CONFIG": "", **(env or {})}
    return subprocess.run([*SMARTRETURN, *args], capture_output=True, text=True, env=full, timeout=120)


def test_a_config_file_that_is_not_utf8_names_the_file(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_bytes('[general]\ntimezone = "Europe/Berlin" # Zeitzone für München\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match=f"{path}: not UTF-8"):
        load_settings(path, {})
    result = cli("--config", str(path), "list", "orders")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{path}: not UTF-8" in result.stderr


def test_a_bad_value_from_the_environment_names_the_variable_not_the_file(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text('[notify]\ndigest_time = "08:00"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {"SMARTRETURN_NOTIFY__DIGEST_TIME": "25:99", "SMARTRETURN_IMAP__MAIN__PORT": "x"})
    message = str(caught.value)
    assert "notify.digest_time: Value error, digest_time must be HH:MM" in message
    assert "(from $SMARTRETURN_NOTIFY__DIGEST_TIME)" in message and f"in {path}" not in message
    assert "imap.accounts.0.port: " in message and "(from $SMARTRETURN_IMAP__MAIN__PORT)" in message
    assert "imap.accounts.0.host: Field required (from $SMARTRETURN_IMAP__MAIN__*)" in message


def test_a_secret_set_both_directly_and_as_a_file_is_an_error_naming_both(tmp_path: Path):
    (tmp_path / "urls").write_text("json://127.0.0.1:9/from-file\n", encoding="utf-8")
    path = tmp_path / "config.toml"
    path.write_text(f'[notify]\nurls_file = "{tmp_path / "urls"}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {"SMARTRETURN_NOTIFY__URLS": '["json://127.0.0.1:9/from-env"]'})
    message = str(caught.value)
    assert "notify.urls is set twice" in message and "$SMARTRETURN_NOTIFY__URLS" in message
    assert "notify.urls_file" in message and "from-env" not in message  # the values themselves are not shown
    # the template's empty default (urls = []) next to urls_file is not a conflict
    path.write_text(f'[notify]\nurls = []\nurls_file = "{tmp_path / "urls"}"\n', encoding="utf-8")
    assert [u.get_secret_value() for u in load_settings(path, {}).notify.urls] == ["json://127.0.0.1:9/from-file"]


def test_a_secret_file_that_is_not_utf8_or_missing_names_the_key(tmp_path: Path):
    (tmp_path / "pw").write_bytes(b"\xff\xfe\x00x")
    path = tmp_path / "config.toml"
    account = '[[imap.accounts]]\nname = "main"\nhost = "imap.example.com"\nusername = "u"\n'
    path.write_text(account + f'password_file = "{tmp_path / "pw"}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"imap\.accounts\.0\.password_file: .* is not UTF-8"):
        load_settings(path, {})
    with pytest.raises(ConfigError, match=r"\$SMARTRETURN_IMAP__MAIN__PASSWORD_FILE: key imap\.accounts\.0\.password_file: cannot read"):
        load_settings(tmp_path / "config.toml", {"SMARTRETURN_IMAP__MAIN__PASSWORD_FILE": str(tmp_path / "missing")})


def test_an_unusable_state_dir_names_the_key_and_where_it_was_set(tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    state = blocker / "state"
    result = cli("list", "orders", env={"SMARTRETURN_GENERAL__STATE_DIR": str(state)})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "general.state_dir ($SMARTRETURN_GENERAL__STATE_DIR)" in result.stderr and str(state) in result.stderr
    path = tmp_path / "config.toml"
    path.write_text(f'[general]\nstate_dir = "{state}"\n', encoding="utf-8")
    result = cli("--config", str(path), "agenda")
    assert result.returncode == 2 and f"general.state_dir ({path})" in result.stderr
