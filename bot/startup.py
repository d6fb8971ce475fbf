"""What `serve`, `run-due`, `migrate` and `check` verify before doing any work.

Every problem an operator can meet on the first start (a database that does not exist or does
not answer, a SQLite folder that is missing, a token Slack rejects) becomes a `StartupError`
whose message is one line saying what is wrong and how to fix it; `app.py` prints it and exits
non-zero, with no traceback. Nothing here prints a password, a token or a secret.
"""

from __future__ import annotations

import socket
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

# auth.test errors that mean the token itself is no good (as opposed to Slack being unreachable).
TOKEN_ERRORS = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired",
                          "account_inactive", "not_allowed_token_type", "missing_scope"})
TOKEN_FIX = ("copy the Bot User OAuth Token (xoxb-…) from the Slack app's OAuth & Permissions page "
             "(reinstall the app if it was revoked)")


class StartupError(Exception):
    """Tandem cannot start; the message is one line with the fix."""


def describe_database(url: str) -> str:
    """The database URL as it is safe to print: the password masked."""
    return make_url(url).render_as_string(hide_password=True)


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL or an in-memory SQLite)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def check_sqlite_folder(url: str) -> None:
    """SQLite creates the file but not its folder: say so before it fails obscurely."""
    path = sqlite_file(url)
    if path is not None and not path.resolve().parent.is_dir():
        raise StartupError(
            f"DATABASE_URL points to {path}, but the folder {path.resolve().parent} does not exist: "
            "create it, or change DATABASE_URL"
        )


def database_error(exc: BaseException, url: str) -> str:
    """One line for an error met while connecting to the database at `url`."""
    parsed = make_url(url)
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    name = parsed.database or ""
    for cause in _chain(exc):
        sqlstate = getattr(cause, "sqlstate", None)
        if sqlstate == "3D000":
            return (f"the database {name!r} does not exist on the PostgreSQL server at {where}: "
                    f"create it (createdb {name}) or change DATABASE_URL")
        if sqlstate in ("28000", "28P01"):
            return (f"PostgreSQL at {where} refused the login of user {parsed.username!r} "
                    f"({_first_line(cause)}): fix the user or password in DATABASE_URL")
        if isinstance(cause, ConnectionRefusedError):
            return (f"cannot connect to PostgreSQL at {where}: connection refused; is the server running, "
                    "and are the host and port in DATABASE_URL right?")
        if isinstance(cause, socket.gaierror):
            return f"cannot find the database host {parsed.host!r}: check the host in DATABASE_URL"
        if isinstance(cause, (TimeoutError, OSError)) and not isinstance(cause, sqlite3.Error):
            return f"cannot connect to the database at {where} ({_first_line(cause)}): check DATABASE_URL"
        if isinstance(cause, sqlite3.OperationalError):
            return f"cannot open the SQLite database {parsed.database} ({_first_line(cause)}): check DATABASE_URL"
    return f"the database {describe_database(url)} failed: {type(exc).__name__}: {_first_line(exc)}"


async def check_database(engine: AsyncEngine, url: str) -> None:
    """Connect once; raise `StartupError` with one line when the database cannot be used."""
    check_sqlite_folder(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        raise StartupError(database_error(exc, url)) from None


@dataclass(frozen=True)
class Identity:
    """What `auth.test` says about the bot token."""

    team: str
    user: str
    scopes: frozenset[str] | None  # from the `x-oauth-scopes` header; None when Slack sent none
    team_id: str = ""


async def check_token(client: Any) -> Identity:
    """Call `auth.test` once; raise `StartupError` naming SLACK_BOT_TOKEN when Slack rejects it."""
    try:
        resp = await client.auth_test()
    except SlackApiError as exc:
        error = str(exc.response.get("error", "unknown_error")) if exc.response is not None else "unknown_error"
        if error in TOKEN_ERRORS:
            raise StartupError(f"SLACK_BOT_TOKEN was rejected by Slack ({error}): {TOKEN_FIX}") from None
        raise StartupError(f"Slack's auth.test failed ({error}): check SLACK_BOT_TOKEN and SLACK_API_URL") from None
    except Exception as exc:
        raise StartupError(
            f"cannot reach Slack at {client.base_url} ({type(exc).__name__}: {_first_line(exc)}): "
            "check the network and SLACK_API_URL"
        ) from None
    header = _header(resp.headers, "x-oauth-scopes")
    scopes = frozenset(s.strip() for s in header.split(",") if s.strip()) if header is not None else None
    return Identity(team=str(resp.get("team", "")), user=str(resp.get("user", "")), scopes=scopes,
                    team_id=str(resp.get("team_id", "")))


APP_TOKEN_FIX = ("create an app-level token with connections:write under Basic Information → App-Level Tokens, "
                 "and turn Socket Mode on")


async def check_app_token(client: Any, app_token: str) -> None:
    """Socket Mode: ask Slack once for a connection URL; raise `StartupError` naming SLACK_APP_TOKEN."""
    try:
        await client.apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        error = str(exc.response.get("error", "unknown_error")) if exc.response is not None else "unknown_error"
        raise StartupError(f"SLACK_APP_TOKEN was rejected by Slack ({error}): {APP_TOKEN_FIX}") from None
    except Exception as exc:
        raise StartupError(f"cannot reach Slack at {client.base_url} ({type(exc).__name__}): "
                           "check the network and SLACK_API_URL") from None


def _header(headers: Any, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return ",".join(value) if isinstance(value, list) else str(value)
    return None


def _chain(exc: BaseException):  # type: ignore[no-untyped-def]
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        cause = todo.pop(0)
        if cause is None or id(cause) in seen:
            continue
        seen.add(id(cause))
        yield cause
        todo += [getattr(cause, "orig", None), cause.__cause__, cause.__context__]


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else type(exc).__name__
