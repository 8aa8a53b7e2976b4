"""Settings: TOML file + ``SMARTRETURN_*`` environment overrides + secrets from env or ``*_file`` keys.

The only module that reads the environment. Lookup order for the file: ``--config``,
``$SMARTRETURN_CONFIG``, then ``<XDG config dir>/smartreturn/config.toml``; no file means defaults.

Environment overrides: ``SMARTRETURN_<SECTION>__<KEY>=value`` (e.g. ``SMARTRETURN_DATABASE__URL``);
for IMAP accounts ``SMARTRETURN_IMAP__<ACCOUNT NAME>__<KEY>`` (e.g. ``SMARTRETURN_IMAP__MAIN__PASSWORD``).
Values are parsed as TOML when they look like TOML (numbers, booleans, lists), else taken as strings.

Secrets (passwords, API keys, Apprise URLs) are pydantic ``SecretStr``: never printed or logged.
Any key ``X_file`` is read from that file (systemd ``LoadCredential=``; a relative path is looked up
in ``$CREDENTIALS_DIRECTORY`` first) and its content becomes ``X``.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from smartreturn.errors import ConfigError

APP = "smartreturn"
ENV_PREFIX = "SMARTRETURN_"


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


def default_state_dir() -> Path:
    return Path(platformdirs.user_state_dir(APP))


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GeneralSettings(Section):
    timezone: str = "UTC"               # the user's local zone: digest time, deadlines by local date
    language: Literal["en", "zh", "de"] = "en"
    state_dir: Path = Field(default_factory=default_state_dir)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like 'Europe/Berlin')") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class DatabaseSettings(Section):
    url: str = ""  # empty: SQLite file in the state dir

    @field_validator("url")
    @classmethod
    def _supported(cls, value: str) -> str:
        if value and not value.startswith(("sqlite:", "postgresql")):
            raise ValueError("only sqlite:/// and postgresql+psycopg:// URLs are supported")
        return value


class IngestSettings(Section):
    # Only mail sent or forwarded by these addresses (or "@domain" suffixes) is parsed; the rest is
    # stored as 'ignored'. Empty list: nothing from IMAP is parsed (local files/Maildir/mbox are trusted).
    allowed_forwarders: list[str] = []
    max_message_bytes: int = Field(default=10_000_000, gt=0)  # larger mail is kept, not parsed
    # The authserv-id your mail provider writes into Authentication-Results (e.g. "mx.google.com");
    # only the topmost header with this id is read (mail/envelope.py).
    authserv_id: str | None = None
    # Accept an allow-listed sender only with aligned dmarc=pass (or dkim=pass for its domain) from authserv_id.
    require_authenticated: bool = False
    # CPU seconds one mail may take to decode and parse (in a worker process that is killed after it;
    # also after 10x this in wall-clock time); slower mail is kept as 'failed: parse timeout'.
    # 0: parse in-process without a limit (debugging).
    parse_timeout: float = Field(default=2.0, ge=0)
    # MB of memory (heap and private mappings, RLIMIT_DATA) the parse worker may use; a mail that needs
    # more is kept as 'failed: parse memory limit' and the worker is replaced. 0: no limit. Only with
    # parse_timeout > 0 (the worker is what is limited).
    parse_memory_mb: int = Field(default=512, ge=0)

    @model_validator(mode="after")
    def _auth_needs_id(self) -> "IngestSettings":
        if self.require_authenticated and not (self.authserv_id or "").strip():
            raise ValueError("require_authenticated = true needs authserv_id (the id your provider writes in "
                             "Authentication-Results, e.g. 'mx.google.com')")
        return self

    @field_validator("allowed_forwarders")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [v.strip().lower() for v in value if v.strip()]


class ImapAccount(Section):
    name: str
    host: str
    port: int | None = None            # default by security: 993 tls, 143 starttls/plain
    security: Literal["tls", "starttls", "plain"] = "tls"
    username: str
    password: SecretStr | None = None
    auth: Literal["password", "xoauth2"] = "password"
    oauth2_token_command: str | None = None
    oauth2_token_file: Path | None = None
    folders: list[str] = ["INBOX"]
    after: Literal["none", "seen", "keyword", "move"] = "keyword"
    after_target: str = "$SmartReturn"  # keyword, or the folder to move to
    idle: bool = True
    poll_interval: int = Field(default=300, gt=0)  # seconds; safety net even with IDLE
    batch_size: int = Field(default=100, gt=0)
    drafts_folder: str | None = None   # None: the folder with the \Drafts special use
    ca_file: Path | None = None        # extra CA for self-signed servers

    @model_validator(mode="after")
    def _check(self) -> "ImapAccount":
        if self.security == "plain" and not _is_loopback(self.host):
            raise ValueError("security = 'plain' is only allowed for loopback hosts (127.0.0.1, ::1, localhost)")
        if self.auth == "password" and self.password is None:
            raise ValueError(f"account {self.name!r} needs password, password_file or $SMARTRETURN_IMAP__{self.name.upper()}__PASSWORD")
        if self.auth == "xoauth2" and not (self.oauth2_token_command or self.oauth2_token_file):
            raise ValueError("auth = 'xoauth2' needs oauth2_token_command or oauth2_token_file")
        if self.after == "move" and not self.after_target:
            raise ValueError("after = 'move' needs after_target (the folder)")
        return self

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.security == "tls" else 143)


class ImapSettings(Section):
    accounts: list[ImapAccount] = []


class NotifySettings(Section):
    urls: list[SecretStr] = []          # Apprise URLs (mailto://, json://, ntfy://...): carry tokens
    digest_urls: list[SecretStr] = []   # where the daily digest goes; empty: same as urls
    digest_time: str = "08:00"          # local time (general.timezone)
    push_urgent: bool = True            # urgent items also as an immediate short push
    weekly_stats: bool = True           # on Mondays, the stats with their charts to the digest URLs
    template_dir: Path | None = None    # user templates override the shipped ones

    @field_validator("digest_time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        hour, _, minute = value.partition(":")
        if not (hour.isdigit() and minute.isdigit() and 0 <= int(hour) < 24 and 0 <= int(minute) < 60):
            raise ValueError("digest_time must be HH:MM (24 h)")
        return value


class DraftSettings(Section):
    enabled: bool = True                # put follow-up drafts into the IMAP Drafts folder
    account: str | None = None          # IMAP account for drafts; default: the first one
    from_address: str | None = None
    # Your own choice of recipient per merchant (name as `smartreturn show` prints it, case-insensitive)
    # or platform: {"Northwind Outfitters" = "help@northwind.example"}. Wins over the address learnt from mail.
    merchant_addresses: dict[str, str] = {}

    @field_validator("merchant_addresses")
    @classmethod
    def _addresses(cls, value: dict[str, str]) -> dict[str, str]:
        for name, address in value.items():
            if address.count("@") != 1 or any(c in address for c in " <>,;\r\n"):
                raise ValueError(f"{name!r}: {address!r} is not a plain address like help@shop.example")
        return {name.strip().lower(): address.strip() for name, address in value.items()}


class TrackingProviderSettings(Section):
    api_key: SecretStr | None = None
    customer: str | None = None         # Kuaidi100 'customer'
    base_url: str | None = None
    per_second: float | None = None     # requests; None: the provider's documented rate
    per_hour: int | None = None         # requests
    per_month: int | None = None        # billed units: registrations (17TRACK, AfterShip), queries (Kuaidi100)
    timeout: float = Field(default=20.0, gt=0)  # seconds per HTTP request


class TrackingSettings(Section):
    providers: list[Literal["17track", "aftership", "kuaidi100"]] = []  # in order of preference
    seventeen_track: TrackingProviderSettings = TrackingProviderSettings()
    aftership: TrackingProviderSettings = TrackingProviderSettings()
    kuaidi100: TrackingProviderSettings = TrackingProviderSettings()
    stuck_days: dict[str, int] = {"default": 5}
    # A parcel whose last event is older than this is archived: no longer "stuck", "late" or on the way.
    archive_after_days: int = Field(default=60, gt=0)
    # Adaptive polling (tracking/poller.py): often when out for delivery, rarely when not moving.
    poll_out_for_delivery_minutes: int = Field(default=30, gt=0)
    poll_active_hours: float = Field(default=3.0, gt=0)      # moved within idle_after_days
    poll_idle_hours: float = Field(default=12.0, gt=0)       # no movement for idle_after_days
    idle_after_days: int = Field(default=3, gt=0)
    error_backoff_minutes: int = Field(default=30, gt=0)     # after a 5xx / malformed answer
    max_budget_wait: float = Field(default=60.0, ge=0)       # seconds one run may wait for the budget


class RulesSettings(Section):
    extra_rules_dir: Path | None = None   # more *.toml rule files; they override the shipped ones
    region: str | None = None             # the user's default region (cn / eu / uk / us ...)
    # inline rules, same tables as the rule files ([[rules.overrides.return_window]] ...); loaded last
    overrides: dict[str, Any] = {}
    holiday_country: str | None = None    # public holidays for deadline roll-over when the order's region is no country
    parser_health_days: int = Field(default=3, gt=0)     # look back this far for unmatched platform mail
    agenda_horizon_days: int = Field(default=7, ge=0)    # deadlines this close show in the agenda and digest
    received_no_refund_days: int = Field(default=3, ge=0)  # merchant has the parcel this long, no refund yet
    anomaly_min_history: int = Field(default=5, gt=0)    # past cases needed before "unusual" is judged


class PrioritySettings(Section):
    urgency: float = 0.4
    value: float = 0.25
    reason_severity: float = 0.15
    merchant_reliability: float = 0.15
    user_preference: float = 0.05
    prefer: dict[str, float] = {}  # merchant or platform name -> 0..1, how much the user cares


class StatsSettings(Section):
    base_currency: str | None = None
    exchange_rates: dict[str, float] = {}  # "USD": 7.1 means 1 USD = 7.1 base; no invented rates


class WebSettings(Section):
    """The dashboard and REST API (``smartreturn web``, or inside ``smartreturn run`` when enabled)."""

    enabled: bool = False               # also serve the web app inside `smartreturn run`
    host: str = "127.0.0.1"             # put a reverse proxy (TLS) in front before exposing it
    port: int = Field(default=8080, gt=0, lt=65536)
    username: str = "admin"
    # argon2 hash from `smartreturn web-password` (or password_hash_file / $SMARTRETURN_WEB__PASSWORD_HASH)
    password_hash: SecretStr | None = None
    # Sign-in by a reverse proxy that authenticated the user (Authelia, oauth2-proxy ...): the header
    # that carries the user name, accepted only from these proxy addresses.
    trusted_proxy_header: str | None = None
    trusted_proxies: list[str] = ["127.0.0.1", "::1"]
    session_hours: int = Field(default=24 * 14, gt=0)
    secure_cookies: bool | None = None  # None: Secure unless served on a loopback address over plain HTTP
    login_attempts: int = Field(default=5, gt=0)         # failed logins per client address ...
    login_window_minutes: int = Field(default=15, gt=0)  # ... within this many minutes, then HTTP 429
    # 17TRACK push (/hooks/17track): the account's security key, to verify the `sign` header
    seventeen_track_webhook_key: SecretStr | None = None


class Settings(Section):
    general: GeneralSettings = GeneralSettings()
    database: DatabaseSettings = DatabaseSettings()
    ingest: IngestSettings = IngestSettings()
    imap: ImapSettings = ImapSettings()
    notify: NotifySettings = NotifySettings()
    drafts: DraftSettings = DraftSettings()
    tracking: TrackingSettings = TrackingSettings()
    rules: RulesSettings = RulesSettings()
    priority: PrioritySettings = PrioritySettings()
    stats: StatsSettings = StatsSettings()
    web: WebSettings = WebSettings()
    source: Path | None = Field(default=None, exclude=True)  # the file it came from, for messages
    from_env: dict[str, str] = Field(default={}, exclude=True)  # "general.state_dir" -> "SMARTRETURN_GENERAL__STATE_DIR"

    def origin(self, key: str) -> str:
        """Where a key's value came from, for messages: the environment variable, the file, or the default."""
        if key in self.from_env:
            return f"${self.from_env[key]}"
        return str(self.source) if self.source else "the default"

    @property
    def database_url(self) -> str:
        """The database URL; the default SQLite file needs a writable ``general.state_dir`` (ConfigError if not)."""
        if self.database.url:
            return self.database.url
        state_dir = self.general.state_dir.expanduser()
        existing = next((p for p in (state_dir, *state_dir.parents) if p.exists()), None)
        if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
            what = "is not writable" if existing == state_dir else f"cannot be created ({existing} is not a writable folder)"
            raise ConfigError(f"general.state_dir ({self.origin('general.state_dir')}): {state_dir} {what}; "
                              "set general.state_dir to a writable folder, or database.url")
        return f"sqlite:///{state_dir / 'smartreturn.db'}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def find_config_path(explicit: str | os.PathLike[str] | None, env: dict[str, str] | None = None) -> Path | None:
    env = os.environ if env is None else env
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist")
        return path
    if env.get(ENV_PREFIX + "CONFIG"):
        path = Path(env[ENV_PREFIX + "CONFIG"]).expanduser()
        if not path.is_file():
            raise ConfigError(f"config file {path} (from $SMARTRETURN_CONFIG) does not exist")
        return path
    path = default_config_path()
    return path if path.is_file() else None


def load_settings(path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> Settings:
    """Load and validate settings; raises ConfigError naming the key and the file."""
    env = dict(os.environ if env is None else env)
    config_path = find_config_path(path, env)
    where = str(config_path) if config_path else "defaults/environment"
    data: dict[str, Any] = {}
    if config_path:
        try:
            data = tomllib.loads(config_path.read_bytes().decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{config_path}: not UTF-8 text (byte {exc.start}): save the config file as UTF-8") from None
        except OSError as exc:
            raise ConfigError(f"{config_path}: cannot read the config file: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_path}: not valid TOML: {exc}") from None
    from_env = _apply_env(data, env)
    _resolve_files(data, env, where, (), from_env)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, where, from_env)) from None
    env_keys = {".".join(path): name for path, name in from_env.items()}
    return settings.model_copy(update={"source": config_path, "from_env": env_keys})


def _apply_env(data: dict[str, Any], env: dict[str, str]) -> dict[tuple[str, ...], str]:
    """Apply ``SMARTRETURN_*`` overrides; returns which key path each environment variable set (for
    messages: an error in a value from the environment names the variable, not the file)."""
    from_env: dict[tuple[str, ...], str] = {}
    for name, raw in env.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        parts = [p.lower() for p in name[len(ENV_PREFIX):].split("__")]
        value = _env_value(raw)
        if parts[0] == "imap" and len(parts) == 3:
            accounts = data.setdefault("imap", {}).setdefault("accounts", [])
            match = [a for a in accounts if str(a.get("name", "")).lower() == parts[1]]
            if match:
                match[0][parts[2]] = value
            else:  # an account only the environment defines: its missing keys are the environment's too
                accounts.append({"name": parts[1], parts[2]: value})
                from_env[("imap", "accounts", str(len(accounts) - 1))] = f"{ENV_PREFIX}IMAP__{parts[1].upper()}__*"
            index = next(i for i, a in enumerate(accounts) if str(a.get("name", "")).lower() == parts[1])
            from_env[("imap", "accounts", str(index), parts[2])] = name
            continue
        node = data
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"${name}: {part} is not a section (it is a value in the file)")
            node = child
        node[parts[-1]] = value
        from_env[tuple(parts)] = name
    return from_env


def _env_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _resolve_files(node: Any, env: dict[str, str], where: str, path: tuple[str, ...],
                   from_env: dict[tuple[str, ...], str]) -> None:
    """Replace each ``X_file`` key by the content of that file as ``X``. ``X`` set both directly (in the
    file or by ``$SMARTRETURN_…``) and through ``X_file`` is an error naming both: one source per key."""
    if isinstance(node, list):
        for index, child in enumerate(node):
            _resolve_files(child, env, where, path + (str(index),), from_env)
        return
    if not isinstance(node, dict):
        return
    for key in list(node):
        value = node[key]
        if key.endswith("_file") and key[:-5] and isinstance(value, str) and key not in _PATH_KEYS:
            target = key[:-5]
            key_where = f"${from_env[path + (key,)]}" if path + (key,) in from_env else where
            dotted = ".".join(path + (key,))
            if node.get(target) not in (None, "", []):  # an empty value (the template's `urls = []`) is unset
                direct = path + (target,)
                first = f"${from_env[direct]}" if direct in from_env else f"{'.'.join(direct)} in {where}"
                raise ConfigError(f"{'.'.join(direct)} is set twice: by {first} and by {dotted} ({key_where}); "
                                  "remove one of them")
            file_path = _credential_path(value, env)
            try:
                content = file_path.read_bytes().decode("utf-8").strip()
            except OSError as exc:
                raise ConfigError(f"{key_where}: key {dotted}: cannot read {file_path}: {exc.strerror}") from None
            except UnicodeDecodeError:
                raise ConfigError(f"{key_where}: key {dotted}: {file_path} is not UTF-8 text") from None
            del node[key]
            if target.endswith("urls"):
                node[target] = [line.strip() for line in content.splitlines() if line.strip()]
            else:
                node[target] = content
        else:
            _resolve_files(value, env, where, path + (key,), from_env)


_PATH_KEYS = {"oauth2_token_file", "ca_file"}  # these are paths the program reads itself


def _credential_path(value: str, env: dict[str, str]) -> Path:
    path = Path(value).expanduser()
    if not path.is_absolute() and env.get("CREDENTIALS_DIRECTORY"):
        candidate = Path(env["CREDENTIALS_DIRECTORY"]) / path
        if candidate.exists():
            return candidate
    return path


def _describe(exc: ValidationError, where: str, from_env: dict[tuple[str, ...], str]) -> str:
    """One line per error: the key, where its value came from (the file or the environment variable)."""
    lines = ["invalid configuration:"]
    for error in exc.errors():
        loc = tuple(str(part) for part in error["loc"])
        key = ".".join(loc) or "(top level)"
        message = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        variables = sorted((name for path, name in from_env.items() if loc[:len(path)] == path or path[:len(loc)] == loc),
                           key=lambda name: name.endswith("*"))  # the exact variable before the account's
        source = f"from ${variables[0]}" if variables else f"in {where}"
        lines.append(f"  {key}: {message} ({source})")
    return "\n".join(lines)
