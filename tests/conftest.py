"""Shared fixtures: a migrated database (SQLite by default, PostgreSQL when
TEST_DATABASE_URL is set), a fake Slack on 127.0.0.1, and the real app
serving HTTP in-process, driven by correctly signed requests.

Tests do not share a rolled-back outer transaction: the e2e tests run the real
app, whose handlers and jobs open their own concurrent transactions, so every
test starts from empty tables instead (see `_empty_tables`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings, load_settings
from bot.db import make_engine, make_sessionmaker
from bot.deps import Deps
from bot.devtools.fake_slack import FakeSlack
from bot.devtools.slack_requests import SlackRequests
from bot.migrate import upgrade
from bot.models import Base
from bot.slack import SlackGateway, make_client
from handlers.server import build_bolt_app, build_web_app

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
TEAM_ID = "T0001"
ADMIN_ID = "UADMIN"
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)  # a Monday


def _test_database_url(tmp_dir: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_dir / 'tandem-test.db'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The test database, migrated to head once per test run."""
    url = _test_database_url(tmp_path_factory.mktemp("db"))

    async def migrate() -> None:
        engine = make_engine(url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(migrate())
    return url


@pytest.fixture
def on_postgres(database_url: str) -> bool:
    return database_url.startswith(("postgresql", "postgres:"))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    await _empty_tables(engine)
    yield engine
    await _empty_tables(engine)
    await engine.dispose()


async def _empty_tables(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            await conn.execute(delete(table))


@dataclass
class Clock:
    """A controllable clock for `Deps.clock`."""

    now: dt.datetime = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.add_user(ADMIN_ID, name="ada", real_name="Ada Admin", is_admin=True)
        yield fake


def make_settings(database_url: str, api_url: str, **extra: str) -> Settings:
    return load_settings(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=api_url,
        DATABASE_URL=database_url,
        **extra,
    )


def make_deps(engine: AsyncEngine, settings: Settings, clock: Clock) -> Deps:
    token = settings.secret("SLACK_BOT_TOKEN")
    gateway = SlackGateway(
        make_client(token, settings.SLACK_API_URL),
        make_client(token, settings.SLACK_API_URL, for_delivery=True),
    )
    return Deps(settings=settings, engine=engine, sessionmaker=make_sessionmaker(engine), slack=gateway, clock=clock)


@pytest.fixture
def deps(engine: AsyncEngine, database_url: str, fake_slack: FakeSlack, clock: Clock) -> Deps:
    return make_deps(engine, make_settings(database_url, fake_slack.url), clock)


@dataclass
class RunningApp:
    url: str
    deps: Deps
    slack: FakeSlack
    requests: SlackRequests
    clock: Clock


@pytest.fixture
async def app(deps: Deps, fake_slack: FakeSlack, clock: Clock) -> AsyncIterator[RunningApp]:
    """The real Bolt app behind a real aiohttp server on 127.0.0.1."""
    runner = web.AppRunner(build_web_app(build_bolt_app(deps), deps))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}"
    requests = SlackRequests(
        f"{url}/slack/events", SIGNING_SECRET, team_id=TEAM_ID, response_url_for=fake_slack.response_url
    )
    try:
        yield RunningApp(url=url, deps=deps, slack=fake_slack, requests=requests, clock=clock)
    finally:
        await runner.cleanup()


async def eventually(check, timeout: float = 5.0, interval: float = 0.05):  # type: ignore[no-untyped-def]
    """Wait until the async `check()` returns something truthy (work after the ack)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            assert result, "condition not met in time"
            return result
        await asyncio.sleep(interval)
