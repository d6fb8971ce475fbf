"""Configuration: one clear line naming the variable, never a secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.db import async_database_url

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"SLACK_BOT_TOKEN": "xoxb-secret-value", "SLACK_SIGNING_SECRET": "s3cr3t-signing"}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL",
                 "DATABASE_URL", "PORT", "TANDEM_ADMINS", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"SLACK_BOT_TOKEN": None}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "not-a-token"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_SIGNING_SECRET": None}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_APP_TOKEN": "xoxb-wrong-kind"}, "SLACK_APP_TOKEN"),
        ({"SLACK_API_URL": "ftp://slack"}, "SLACK_API_URL"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"DATABASE_URL": "::::"}, "DATABASE_URL"),
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"TANDEM_ADMINS": "U123,<script>"}, "TANDEM_ADMINS"),
    ],
)
def test_bad_setting_names_the_variable_in_one_line(overrides: dict, variable: str) -> None:
    values = {**GOOD, **overrides}
    with pytest.raises(ConfigError) as err:
        load_settings(**{k: v for k, v in values.items() if v is not None})
    message = str(err.value)
    assert message.startswith(variable)
    assert "\n" not in message
    assert "xoxb-secret-value" not in message and "s3cr3t-signing" not in message


def test_socket_mode_needs_no_signing_secret() -> None:
    settings = load_settings(SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xapp-1")
    assert settings.mode == "socket"


def test_secrets_do_not_show_in_repr() -> None:
    settings = load_settings(**GOOD)
    assert "xoxb-secret-value" not in repr(settings)
    assert settings.secret("SLACK_BOT_TOKEN") == "xoxb-secret-value"


def test_admin_ids_are_parsed() -> None:
    settings = load_settings(**GOOD, TANDEM_ADMINS=" U1 ,W2,,")
    assert settings.admin_ids == {"U1", "W2"}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///tandem.db", "sqlite+aiosqlite:///tandem.db"),
        ("postgresql://u:pw@h/db", "postgresql+asyncpg://u:pw@h/db"),
        ("postgres://u@h:5433/db", "postgresql+asyncpg://u@h:5433/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_database_url_gets_the_async_driver(url: str, expected: str) -> None:
    assert async_database_url(url) == expected


def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-file\nSLACK_SIGNING_SECRET=x\nPORT=4000\n")
    settings = load_settings()
    assert settings.PORT == 4000 and settings.secret("SLACK_BOT_TOKEN") == "xoxb-from-file"


def test_app_without_token_prints_one_line_and_fails(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    result = subprocess.run(
        [sys.executable, str(ROOT / "app.py")], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "SLACK_BOT_TOKEN" in lines[0]
    assert result.stdout == ""


def test_oauth_mode_needs_no_bot_token_and_refuses_socket_mode_in_one_line() -> None:
    """Issue 16: client id + secret (and no SLACK_BOT_TOKEN) select OAuth mode; Socket Mode with
    it is refused with one line; half the credentials names the missing one."""
    oauth = {"SLACK_BOT_TOKEN": None, "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "shh-secret",
             "SLACK_SIGNING_SECRET": "s"}
    settings = load_settings(**oauth)
    assert settings.oauth and settings.authorize_url == "https://slack.com/oauth/v2/authorize"
    assert not load_settings(**{**oauth, "SLACK_BOT_TOKEN": "xoxb-1"}).oauth  # the single token wins
    with pytest.raises(ConfigError) as refused:
        load_settings(**oauth, SLACK_APP_TOKEN="xapp-1")
    assert "\n" not in str(refused.value) and "Socket Mode" in str(refused.value)
    assert "shh-secret" not in str(refused.value)
    with pytest.raises(ConfigError, match="SLACK_CLIENT_SECRET is missing"):
        load_settings(**{**oauth, "SLACK_CLIENT_SECRET": None})
    api = load_settings(**oauth, SLACK_API_URL="http://127.0.0.1:9/api/")
    assert api.authorize_url == "http://127.0.0.1:9/oauth/v2/authorize"
