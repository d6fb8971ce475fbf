"""Settings: one typed object, read once from the environment and `.env`.

A missing or malformed value raises `ConfigError` whose message is one line
naming the variable. Secret values are `SecretStr`, so they never show up in a
repr, a log line or an error message.
"""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.crypto import key_file_for, parse_data_key
from bot.db import async_database_url

SLACK_DEFAULT_API_URL = "https://slack.com/api/"
Mode = Literal["socket", "http"]


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=True)

    SLACK_BOT_TOKEN: SecretStr | None = None
    SLACK_SIGNING_SECRET: SecretStr | None = None
    SLACK_APP_TOKEN: SecretStr | None = None
    SLACK_API_URL: str = SLACK_DEFAULT_API_URL
    DATABASE_URL: str = "sqlite:///tandem.db"
    PORT: int = Field(default=3000, ge=1, le=65535)
    TANDEM_ADMINS: str = ""
    # Key-encryption key for private text (bot/crypto.py): 32 bytes, base64. On a SQLite
    # file database it may be left out: one is generated once beside the database.
    TANDEM_DATA_KEY: SecretStr | None = None
    # Where members' wrapped data keys live, apart from the database (bot/keystore.py);
    # unset: tandem-keys.db beside a SQLite database, `<name>_keys` beside a PostgreSQL one.
    TANDEM_KEY_STORE_URL: str | None = None
    LOG_LEVEL: str = "INFO"
    # OAuth v2 install for many workspaces (README, "Distribution"): with both of these and
    # no SLACK_BOT_TOKEN, every token comes from an installation (bot/installations.py).
    SLACK_CLIENT_ID: str | None = None
    SLACK_CLIENT_SECRET: SecretStr | None = None
    SLACK_OAUTH_REDIRECT_URL: str | None = None
    # An uninstalled workspace's data is kept this long (a reinstall resumes), then purged.
    TANDEM_UNINSTALLED_RETENTION_DAYS: int = Field(default=30, ge=0, le=3650)

    @field_validator("SLACK_BOT_TOKEN")
    @classmethod
    def _bot_token_shape(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return v

    @field_validator("SLACK_APP_TOKEN")
    @classmethod
    def _app_token_shape(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return v

    @field_validator("SLACK_API_URL")
    @classmethod
    def _api_url_shape(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")) or not v.endswith("/api/"):
            raise ValueError("must be an http(s) URL ending in /api/")
        return v

    @field_validator("SLACK_OAUTH_REDIRECT_URL")
    @classmethod
    def _redirect_url_shape(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("http://", "https://")):
            raise ValueError("must be the http(s) URL of GET /slack/oauth_redirect registered with Slack")
        return v

    @field_validator("DATABASE_URL")
    @classmethod
    def _database_url_shape(cls, v: str) -> str:
        async_database_url(v)  # raises ValueError when unsupported
        return v

    @field_validator("TANDEM_KEY_STORE_URL")
    @classmethod
    def _key_store_url_shape(cls, v: str | None) -> str | None:
        if v:
            async_database_url(v)  # raises ValueError when unsupported
        return v or None

    @field_validator("TANDEM_DATA_KEY")
    @classmethod
    def _data_key_shape(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None:
            parse_data_key(v.get_secret_value())  # raises ValueError when malformed
        return v

    @field_validator("LOG_LEVEL")
    @classmethod
    def _log_level_shape(cls, v: str) -> str:
        level = v.upper()
        if not isinstance(logging.getLevelName(level), int):
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @field_validator("TANDEM_ADMINS")
    @classmethod
    def _admins_shape(cls, v: str) -> str:
        for item in filter(None, (part.strip() for part in v.split(","))):
            if not item.isalnum() or item[0] not in "UW":
                raise ValueError(f"must be comma-separated Slack user IDs (got {item[:20]!r})")
        return v

    @property
    def mode(self) -> Mode:
        return "socket" if self.SLACK_APP_TOKEN else "http"

    @property
    def oauth(self) -> bool:
        """OAuth mode: tokens come from installations, not from SLACK_BOT_TOKEN."""
        return self.SLACK_BOT_TOKEN is None and bool(self.SLACK_CLIENT_ID) and self.SLACK_CLIENT_SECRET is not None

    @property
    def authorize_url(self) -> str:
        """Slack's authorize page, on the host of SLACK_API_URL (so a fake Slack can stand in)."""
        return self.SLACK_API_URL.removesuffix("api/") + "oauth/v2/authorize"

    @property
    def admin_ids(self) -> frozenset[str]:
        return frozenset(p.strip() for p in self.TANDEM_ADMINS.split(",") if p.strip())

    def secret(self, name: str) -> str:
        value = getattr(self, name)
        return value.get_secret_value() if value is not None else ""


def load_settings(*, require_slack: bool = True, serving: bool = True, **overrides: object) -> Settings:
    """Read and check the settings; raise `ConfigError` with one clear line.

    `require_slack`: a bot token is needed; `serving`: so is what the chosen
    mode needs to receive Slack's requests (the signing secret in HTTP mode).
    """
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err["loc"] else "configuration"
        reason = str(err["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{name} is invalid: {reason}") from None
    if require_slack:
        _check_slack_credentials(settings, serving=serving)
    return settings


def require_data_key(settings: Settings) -> None:
    """Serving or running jobs on PostgreSQL needs TANDEM_DATA_KEY (SQLite generates one)."""
    if settings.TANDEM_DATA_KEY is None and key_file_for(settings.DATABASE_URL) is None:
        raise ConfigError(
            "TANDEM_DATA_KEY is missing: with PostgreSQL set it (`openssl rand -base64 32`) "
            "to encrypt private text; keep a copy apart from the database backups"
        )


def _check_slack_credentials(settings: Settings, *, serving: bool) -> None:
    if bool(settings.SLACK_CLIENT_ID) != (settings.SLACK_CLIENT_SECRET is not None):
        missing = "SLACK_CLIENT_SECRET" if settings.SLACK_CLIENT_ID else "SLACK_CLIENT_ID"
        raise ConfigError(f"{missing} is missing: OAuth mode needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
    if settings.oauth:
        if settings.mode == "socket":
            raise ConfigError(
                "SLACK_APP_TOKEN cannot be used with SLACK_CLIENT_ID/SLACK_CLIENT_SECRET: Socket Mode is for "
                "one workspace (Slack does not allow it for distributed apps); unset one of them"
            )
        if serving and settings.SLACK_SIGNING_SECRET is None:
            raise ConfigError("SLACK_SIGNING_SECRET is missing: OAuth mode needs it to verify Slack's requests")
        return
    if settings.SLACK_BOT_TOKEN is None:
        raise ConfigError(
            "SLACK_BOT_TOKEN is missing: set the bot token (xoxb-…), or SLACK_CLIENT_ID and "
            "SLACK_CLIENT_SECRET to install in many workspaces, or try `python app.py demo` to see Tandem with no Slack"
        )
    if serving and settings.mode == "http" and settings.SLACK_SIGNING_SECRET is None:
        raise ConfigError(
            "SLACK_SIGNING_SECRET is missing: HTTP mode needs it to verify Slack's requests"
        )
