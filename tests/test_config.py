"""Settings: the shipped template is valid, env overrides, secrets from files, errors that name the key."""

from __future__ import annotations

import re
import tomllib
from importlib.resources import files
from pathlib import Path

import pytest

from smartreturn.config import Settings, load_settings
from smartreturn.errors import ConfigError

TEMPLATE = files("smartreturn").joinpath("templates/config.toml").read_text(encoding="utf-8")
NO_ENV: dict[str, str] = {}


def test_the_shipped_template_validates_as_written() -> None:
    settings = Settings.model_validate(tomllib.loads(TEMPLATE))
    assert settings.ingest.allowed_forwarders == ["you@example.com"]
    assert settings.notify.digest_time == "08:00"


def test_every_commented_example_in_the_template_is_a_valid_key(tmp_path: Path) -> None:
    """Uncommenting any example line must give a working config (no stale or misspelt keys)."""
    example = re.compile(r"^# (?=\[|[a-z_0-9]+\s*=)", re.MULTILINE)
    text = example.sub("", TEMPLATE).replace("/etc/smartreturn/", "")  # secret files: relative names
    creds = tmp_path / "creds"
    creds.mkdir()
    for name, content in {"imap-password": "s3cret\n", "apprise-urls": "json://127.0.0.1:9/a\n\njson://127.0.0.1:9/b\n",
                          "17track-key": "k1", "aftership-key": "k2", "kuaidi100-key": "k3"}.items():
        (creds / name).write_text(content, encoding="utf-8")
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    assert re.search(r"^\[\[imap\.accounts\]\]$", text, re.MULTILINE), "the example IMAP account was not uncommented"

    settings = load_settings(path, {"CREDENTIALS_DIRECTORY": str(creds)})

    account = settings.imap.accounts[0]
    assert (account.name, account.host, account.effective_port) == ("main", "imap.example.com", 993)
    assert account.password is not None and account.password.get_secret_value() == "s3cret"
    assert [u.get_secret_value() for u in settings.notify.urls] == ["json://127.0.0.1:9/a", "json://127.0.0.1:9/b"]
    assert settings.tracking.kuaidi100.api_key is not None
    assert settings.tracking.kuaidi100.api_key.get_secret_value() == "k3"
    assert settings.stats.exchange_rates == {"USD": 7.1, "EUR": 7.7}


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[general]\ntimezone = "UTC"\n[ingest]\nallowed_forwarders = ["a@example.com"]\n'
                    '[[imap.accounts]]\nname = "main"\nhost = "imap.example.com"\nusername = "u"\npassword = "from-file"\n',
                    encoding="utf-8")
    settings = load_settings(path, {"SMARTRETURN_GENERAL__TIMEZONE": "Europe/Berlin",
                                    "SMARTRETURN_INGEST__ALLOWED_FORWARDERS": '["B@Example.com"]',
                                    "SMARTRETURN_IMAP__MAIN__PASSWORD": "from-env",
                                    "SMARTRETURN_IMAP__MAIN__POLL_INTERVAL": "60"})
    assert settings.general.timezone == "Europe/Berlin"
    assert settings.ingest.allowed_forwarders == ["b@example.com"]
    account = settings.imap.accounts[0]
    assert account.password is not None and account.password.get_secret_value() == "from-env"
    assert account.poll_interval == 60
    assert "from-env" not in repr(settings) and "from-env" not in str(account)


def test_a_secret_file_is_read_from_the_credentials_directory_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "imap-password").write_text("from-credentials\n", encoding="utf-8")
    (tmp_path / "imap-password").write_text("from-cwd\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # the relative name also exists here: the credentials dir must win
    path = tmp_path / "config.toml"
    path.write_text('[[imap.accounts]]\nname = "main"\nhost = "imap.example.com"\nusername = "u"\n'
                    'password_file = "imap-password"\n', encoding="utf-8")

    settings = load_settings(path, {"CREDENTIALS_DIRECTORY": str(creds)})

    password = settings.imap.accounts[0].password
    assert password is not None and password.get_secret_value() == "from-credentials"
    assert load_settings(path, NO_ENV).imap.accounts[0].password.get_secret_value() == "from-cwd"


def test_a_missing_secret_file_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[notify]\nurls_file = "nowhere"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"notify\.urls_file: cannot read nowhere"):
        load_settings(path, NO_ENV)


def test_a_wrong_key_names_the_key_and_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[notify]\ndigest_tme = "08:00"\n[general]\ntimezone = "Mars/Olympus"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, NO_ENV)
    message = str(caught.value)
    assert str(path) in message
    assert "notify.digest_tme: unknown key" in message
    assert "general.timezone:" in message and "Mars/Olympus" in message


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[general\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(str(path)) + ": not valid TOML"):
        load_settings(path, NO_ENV)


@pytest.mark.parametrize("host", ["imap.example.com", "192.168.1.10", "10.0.0.1"])
def test_plain_imap_is_refused_for_a_non_loopback_host(tmp_path: Path, host: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[[imap.accounts]]\nname = "x"\nhost = "{host}"\nsecurity = "plain"\nusername = "u"\n'
                    'password = "p"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"imap\.accounts\.0: .*only allowed for loopback hosts"):
        load_settings(path, NO_ENV)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_plain_imap_is_allowed_on_loopback(tmp_path: Path, host: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[[imap.accounts]]\nname = "x"\nhost = "{host}"\nsecurity = "plain"\nusername = "u"\n'
                    'password = "p"\n', encoding="utf-8")
    account = load_settings(path, NO_ENV).imap.accounts[0]
    assert (account.security, account.effective_port) == ("plain", 143)


def test_an_explicit_config_path_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml", NO_ENV)
