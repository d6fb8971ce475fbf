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
    LOG_LEVEL: str = "INFO"

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

    @field_validator("DATABASE_URL")
    @classmethod
    def _database_url_shape(cls, v: str) -> str:
        from bot.db import async_database_url  # local import: db imports nothing from here

        async_database_url(v)  # raises ValueError when unsupported
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


def _check_slack_credentials(settings: Settings, *, serving: bool) -> None:
    if settings.SLACK_BOT_TOKEN is None:
        raise ConfigError(
            "SLACK_BOT_TOKEN is missing: set the bot token (xoxb-…), "
            "or try `python app.py demo` to see Tandem with no Slack"
        )
    if serving and settings.mode == "http" and settings.SLACK_SIGNING_SECRET is None:
        raise ConfigError(
            "SLACK_SIGNING_SECRET is missing: HTTP mode needs it to verify Slack's requests"
        )
