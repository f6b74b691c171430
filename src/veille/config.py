"""Settings from the environment (``VEILLE_*``), gathered in one object."""

from __future__ import annotations

import os
import re
import secrets
from contextvars import ContextVar
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

_ORIGIN = re.compile(r"^https?://(\{s\}\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?(?=/|$)")


class ConfigError(Exception):
    """A setting is missing or invalid; the message is meant for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VEILLE_", frozen=True, extra="ignore")

    database_url: str = "sqlite:///./veille.db"
    secret_key: str | None = None
    timezone: str = "Europe/Paris"
    base_url: str = "http://127.0.0.1:8000"
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "veille@localhost"
    retention_months: int = Field(default=12, ge=1)
    # Where attachments are kept (outside the database); beside the SQLite file by default.
    data_dir: Path | None = None
    attachment_max_mb: int = Field(default=10, ge=1, le=100)

    # Session lifetime: ended after this much inactivity, and in any case after the absolute limit.
    session_idle_minutes: int = Field(default=60, ge=1)
    session_absolute_hours: int = Field(default=12, ge=1)
    api_token_days: int = Field(default=30, ge=1)
    # Failed logins in the window, counted in the database (OWASP ASVS 5.0 §6.3), so that no one
    # can lock someone else out from another client:
    # - of one account from one client address: slowed after login_slow_after, refused after
    #   login_refuse_after (that pair only; the right password still works from elsewhere);
    # - from one client address, any account: refused after login_address_refuse_after (an
    #   office may share one address);
    # - of one account from every address: slowed after login_account_slow_after, and locked
    #   after login_account_lock_after until the window passes or an admin releases it.
    login_window_minutes: int = Field(default=15, ge=1)
    login_slow_after: int = Field(default=3, ge=1)
    login_refuse_after: int = Field(default=10, ge=2)
    login_address_refuse_after: int = Field(default=30, ge=2)
    login_account_slow_after: int = Field(default=10, ge=1)
    login_account_lock_after: int = Field(default=50, ge=2)
    login_delay_seconds: float = Field(default=1.0, ge=0)

    # Database connections of one process: the routes run on as many threads (a request holds
    # one connection), and a burst may open as many again. With N workers on PostgreSQL, keep
    # 2 × N × db_pool_size under the server's max_connections.
    db_pool_size: int = Field(default=15, ge=1, le=200)
    # How long a request waits for the write lock, a row lock or a connection before it is
    # answered 503 with Retry-After.
    db_lock_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # Pages kept per worker, per session, until anything they may show changes (pagecache.py):
    # this many MB of rendered HTML (0: none), each at most this many seconds old.
    page_cache_mb: int = Field(default=64, ge=0, le=4096)
    page_cache_seconds: float = Field(default=60, ge=0, le=3600)
    # A mail claimed by a sender is its own this long; if the sender dies before marking it
    # sent, another sends it once the lease is over. Far longer than one SMTP send.
    mail_lease_seconds: int = Field(default=600, ge=1)

    # The map (docs/operations.md, "Map and geocoder"). The geocoder finds a report's point from
    # its place when none was chosen: France's national address service by default, "" for none;
    # a failure or a timeout leaves the place as text. The tiles come from map_tiles_url, the
    # only other host the pages' CSP allows images from ("" shows the points without tiles).
    geocoder_url: str = "https://api-adresse.data.gouv.fr"
    geocoder_timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    map_tiles_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    map_attribution: str = Field(default="© OpenStreetMap contributors", max_length=300)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        backend = make_url(value).get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")
        return value

    @field_validator("geocoder_url", "map_tiles_url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        value = value.strip()
        if value and not _ORIGIN.match(value):
            raise ValueError("give an http:// or https:// address, or leave it empty")
        return value.rstrip("/") if "{" not in value else value

    @property
    def map_tiles_origin(self) -> str | None:
        """The tile server's origin, as the CSP names it (a ``{s}`` subdomain as ``*``)."""
        found = _ORIGIN.match(self.map_tiles_url)
        return found.group(0).replace("{s}", "*") if found else None

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.database_url).get_backend_name() == "sqlite"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def today(self) -> date:
        """Today in the city: what due dates are compared with."""
        return datetime.now(self.tz).date()

    @cached_property
    def signing_key(self) -> bytes:
        """The secret, or for a local SQLite database one generated and kept beside it."""
        if self.secret_key:
            if len(self.secret_key) < 32:
                raise ConfigError("VEILLE_SECRET_KEY must be at least 32 characters long")
            return self.secret_key.encode()
        path = self._local_secret_path()
        if path is None:
            raise ConfigError("VEILLE_SECRET_KEY is required with a PostgreSQL database")
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48))
        return path.read_text().strip().encode()

    @property
    def files_dir(self) -> Path:
        if self.data_dir is not None:
            return self.data_dir
        database = make_url(self.database_url).database if self.is_sqlite else None
        if not database or database == ":memory:":
            return Path("veille-files")
        return Path(database).with_name(Path(database).stem + "-files")

    def _local_secret_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        database = make_url(self.database_url).database
        if not database or database == ":memory:":
            return Path(".veille-secret.key")
        return Path(database).with_name(Path(database).stem + "-secret.key")


def load_settings(**overrides: object) -> Settings:
    """Read the environment; an invalid value becomes a ConfigError with a one-line message."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "VEILLE_" + str(first["loc"][0]).upper() if first["loc"] else "VEILLE_*"
        message = str(first["msg"]).removeprefix("Value error, ")  # a validator's own words
        raise ConfigError(f"{name}: {message}") from exc


_current: ContextVar[Settings] = ContextVar("settings")


def use_settings(settings: Settings) -> None:
    """Makes these the settings that ``current_settings`` answers in this context."""
    _current.set(settings)


def current_settings() -> Settings:
    """The settings of the application, or for a command without one, those of the environment."""
    try:
        return _current.get()
    except LookupError:
        settings = load_settings()
        _current.set(settings)
        return settings
