"""`python app.py check`: one line per thing Tandem needs, ✓ or ✗ with the fix.

Items, in order: settings; database reachable; database at the newest migration; bot token
accepted by Slack; the token's scopes against `manifest.yml`; Socket Mode or HTTP (in Socket
Mode the app-level token is tried too); the signing secret; whether the configured port is
free for `/slack/events` (or already served by a running Tandem). The exit status is 0 only when
every item holds. Nothing printed contains a password, a token or a secret.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import errno
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import aiohttp
import yaml
from sqlalchemy import select

from bot.config import ConfigError, Settings, load_settings
from bot.crypto import Keyring, MissingKey
from bot.db import make_engine, make_key_store, ping
from bot.migrate import current_revision, head_revision
from bot.models import SLACK_BOTS
from bot.slack import make_client
from bot.startup import StartupError, check_app_token, check_database, check_token, describe_database

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"


@dataclass(frozen=True)
class Item:
    ok: bool
    name: str
    text: str

    def line(self) -> str:
        return f"{'✓' if self.ok else '✗'} {self.name}: {self.text}"


def manifest_scopes(path: Path = MANIFEST) -> frozenset[str]:
    return frozenset(yaml.safe_load(path.read_text())["oauth_config"]["scopes"]["bot"])


async def run_checks(emit: Callable[[str], None] = print) -> int:
    """Print one line per item; 0 when all hold, else 1."""
    items: list[Item] = []

    def add(item: Item) -> None:
        items.append(item)
        emit(item.line())

    settings = _settings(add)
    if settings is None:
        return 1
    await _database(settings, add)
    await _slack(settings, add)
    add(_signing_secret(settings))
    add(await _port(settings.PORT, "/healthz" if settings.mode == "socket" else "/slack/events and /healthz"))
    return 0 if all(item.ok for item in items) else 1


def _settings(add: Callable[[Item], None]) -> Settings | None:
    try:
        settings = load_settings(require_slack=True, serving=True)
    except ConfigError as exc:
        try:  # report the rest as far as it can be checked
            settings = load_settings(require_slack=False, serving=False)
        except ConfigError:
            add(Item(False, "settings", f"{exc}; nothing else can be checked until this is fixed"))
            return None
        add(Item(False, "settings", str(exc)))
        return settings
    add(Item(True, "settings", "every variable is set and well-formed"))
    return settings


async def _database(settings: Settings, add: Callable[[Item], None]) -> None:
    url = settings.DATABASE_URL
    engine = make_engine(url)
    try:
        try:
            await check_database(engine, url)
        except StartupError as exc:
            add(Item(False, "database", str(exc)))
            add(Item(False, "migrations", "not checked: the database cannot be reached"))
            return
        add(Item(True, "database", f"{describe_database(url)} answers"))
        current, head = await current_revision(engine), head_revision()
        store = make_key_store(engine.url.render_as_string(hide_password=False), settings.TANDEM_KEY_STORE_URL)
        store_answers = await ping(store.engine)
    finally:
        await engine.dispose()
    where = describe_database(store.engine.url.render_as_string(hide_password=False))
    if current == head and not store_answers:
        add(Item(False, "migrations", f"at the newest revision ({head}), but the key store {where} does not "
                                      "answer: check TANDEM_KEY_STORE_URL, or run `python3 dev.py run migrate`"))
    elif current == head:
        add(Item(True, "migrations", f"at the newest revision ({head}); key store {where} answers"))
    else:
        add(Item(False, "migrations", f"at revision {current or 'none (empty database)'}, newest is {head}: "
                                      "run `python3 dev.py run migrate` (serve also migrates when it starts)"))


async def _slack(settings: Settings, add: Callable[[Item], None]) -> None:
    if settings.oauth:
        add(Item(True, "Slack token", "OAuth mode: each workspace's token comes from its installation "
                                      "(GET /slack/install); SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set"))
        add(Item(True, "scopes", "OAuth mode: the install asks for the bot scopes of manifest.yml"))
        add(await _installations(settings))
    elif settings.SLACK_BOT_TOKEN is None:
        add(Item(False, "Slack token", "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) "
                                       "from the app's OAuth & Permissions page"))
        add(Item(False, "scopes", "not checked: no token"))
    else:
        client = make_client(settings.secret("SLACK_BOT_TOKEN"), settings.SLACK_API_URL)
        try:
            identity = await check_token(client)
        except StartupError as exc:
            add(Item(False, "Slack token", str(exc)))
            add(Item(False, "scopes", "not checked: the token was not accepted"))
        else:
            add(Item(True, "Slack token", f"accepted: @{identity.user} in {identity.team}"))
            add(_scopes(identity.scopes))
    await _mode(settings, add)


CHECKED_INSTALLATIONS = 20  # auth.test for at most this many installations, newest first


async def _installations(settings: Settings) -> Item:
    """OAuth mode: the installations stored so far, each newest bot token tried with auth.test
    (an expired rotating token is not tried: serve refreshes it before its next call)."""
    engine = make_engine(settings.DATABASE_URL)
    try:
        rows = (await _read(engine, select(SLACK_BOTS.c.enterprise_id, SLACK_BOTS.c.team_id, SLACK_BOTS.c.bot_token,
                                           SLACK_BOTS.c.bot_token_expires_at, SLACK_BOTS.c.installed_at)
                            .order_by(SLACK_BOTS.c.installed_at.desc(), SLACK_BOTS.c.id.desc())))
    except Exception:  # not migrated, or no database: the database items already said so
        return Item(False, "installations", "not checked: the installation tables cannot be read")
    finally:
        await engine.dispose()
    newest: dict[tuple[str | None, str | None], Any] = {}
    for row in rows:
        newest.setdefault((row.enterprise_id, row.team_id), row)
    if not newest:
        return Item(True, "installations", "none yet: open https://<your address>/slack/install to add a workspace")
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    keyring = Keyring.of(settings.DATABASE_URL, settings.secret("TANDEM_DATA_KEY") or None)
    rejected: list[str] = []
    for (enterprise_id, team_id), row in list(newest.items())[:CHECKED_INSTALLATIONS]:
        if row.bot_token_expires_at is not None and row.bot_token_expires_at.replace(tzinfo=None) <= now:
            continue
        try:
            token = keyring.open_token(row.bot_token) or ""
        except MissingKey:
            return Item(False, "installations", "the stored tokens cannot be opened with this TANDEM_DATA_KEY: "
                                                "set the key they were sealed with")
        try:
            await check_token(make_client(token, settings.SLACK_API_URL))
        except StartupError:
            rejected.append(team_id or f"org {enterprise_id}")
    count = f"{len(newest)} installation{'s' if len(newest) != 1 else ''}"
    if rejected:
        return Item(False, "installations", f"{count}; Slack rejected the token of {', '.join(rejected)}: "
                                            "reinstall the app there (GET /slack/install)")
    return Item(True, "installations", f"{count}; each token Slack was asked about is accepted")


async def _read(engine: Any, statement: Any) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(statement)).all())


def _scopes(granted: frozenset[str] | None) -> Item:
    wanted = manifest_scopes()
    if granted is None:
        return Item(False, "scopes", "Slack did not say which scopes the token has (no x-oauth-scopes header)")
    missing = sorted(wanted - granted)
    if missing:
        return Item(False, "scopes", f"missing {', '.join(missing)}: add them under OAuth & Permissions "
                                     "(or update the app from manifest.yml) and reinstall the app")
    extra = sorted(granted - wanted)
    note = f" (also granted, not needed: {', '.join(extra)})" if extra else ""
    return Item(True, "scopes", f"all {len(wanted)} scopes in manifest.yml are granted{note}")


async def _mode(settings: Settings, add: Callable[[Item], None]) -> None:
    if settings.mode == "http":
        add(Item(True, "mode", "HTTP: Slack sends requests to https://<your address>/slack/events "
                               "(set SLACK_APP_TOKEN for Socket Mode instead)"))
        return
    app_token = settings.secret("SLACK_APP_TOKEN")
    client = make_client(app_token, settings.SLACK_API_URL)
    try:
        await check_app_token(client, app_token)
    except StartupError as exc:
        add(Item(False, "mode", f"Socket Mode, but {exc}"))
    else:
        add(Item(True, "mode", "Socket Mode: SLACK_APP_TOKEN is accepted (no public address needed)"))


def _signing_secret(settings: Settings) -> Item:
    if settings.SLACK_SIGNING_SECRET is not None:
        return Item(True, "signing secret", "SLACK_SIGNING_SECRET is set")
    if settings.mode == "socket":
        return Item(True, "signing secret", "not needed in Socket Mode")
    return Item(False, "signing secret", "SLACK_SIGNING_SECRET is missing: copy the Signing Secret from the "
                                         "app's Basic Information page (HTTP mode verifies every request with it)")


async def _port(port: int, routes: str) -> Item:
    """Free to bind (serve will listen there), or held by a Tandem that answers /healthz."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                return Item(False, "port", f"cannot listen on port {port} ({exc.strerror}): set PORT to another port")
        else:
            return Item(True, "port", f"{port} is free: serve will answer {routes} there")
    if await _tandem_answers(port):
        return Item(True, "port", f"{port} is served by a running Tandem (/healthz answers)")
    return Item(False, "port", f"{port} is in use by another program: stop it, or set PORT to a free port")


async def _tandem_answers(port: int) -> bool:
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                body = await resp.json(content_type=None)
                return resp.status == 200 and isinstance(body, dict) and body.get("status") == "ok"
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
        return False
