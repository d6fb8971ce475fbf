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
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from aiohttp import web
from sqlalchemy import delete
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from xdist.scheduler import LoadScopeScheduling

from bot.config import Settings, load_settings
from bot.db import make_engine, make_sessionmaker
from bot.deps import Deps
from devtools.fake_slack import FakeSlack
from devtools.slack_requests import SlackRequests
from bot.migrate import upgrade
from bot.models import Base
from bot.slack import make_gateway
from handlers.server import build_bolt_app, build_web_app

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
TEAM_ID = "T0001"
ADMIN_ID = "UADMIN"
DATA_KEY = "dGFuZGVtLXRlc3QtZGF0YS1rZXktMzItYnl0ZXMhISE="  # 32 bytes, base64: tests only
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)  # a Monday


# ---------------------------------------------------------------- two workers (`python3 dev.py test`)

KEEP_TOGETHER = frozenset({
    "tests/e2e/test_demo.py",  # a module fixture runs three demos: once, on one worker
    "tests/e2e/test_replicas.py",  # one set of replica processes at a time
})


class _Scheduler(LoadScopeScheduling):
    """pytest-xdist's `--dist load`, test by test, except that each file in KEEP_TOGETHER goes
    to one worker whole (and, being the largest units, first). xdist's own `loadgroup` would
    do this from `xdist_group` marks, but it renames node ids in a way pytest 9 ignores."""

    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        return path if path in KEEP_TOGETHER else nodeid


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> LoadScopeScheduling:
    return _Scheduler(config, log)  # type: ignore[arg-type]


# ---------------------------------------------------------------- the database

def _test_database_url(tmp_dir: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_dir / 'tandem-test.db'}"


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgresql", "postgres:"))


async def _recreate_postgres_database(url: str, name: str, *, drop_only: bool = False) -> None:
    """DROP (and CREATE) database `name` on `url`'s server, through its `postgres` database."""
    parsed = make_url(url)
    admin = await asyncpg.connect(host=parsed.host or "127.0.0.1", port=parsed.port or 5432,
                                  user=parsed.username, password=parsed.password, database="postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test database, migrated to head once per test run (once per worker under xdist).

    SQLite: a file in the run's (the worker's) temporary folder. PostgreSQL: TEST_DATABASE_URL
    itself in a serial run; under pytest-xdist (`python3 dev.py test` runs two workers) each
    worker gets its own database beside it, `<name>_gw0`, `<name>_gw1`…, created empty at the
    start and dropped at the end, so that workers never see each other's rows, locks or
    migrations."""
    url = _test_database_url(tmp_path_factory.mktemp("db"))
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    per_worker = f"{make_url(url).database}_{worker}" if worker and _is_postgres(url) else None
    if per_worker:
        asyncio.run(_recreate_postgres_database(url, per_worker))
        url = make_url(url).set(database=per_worker).render_as_string(hide_password=False)

    async def migrate() -> None:
        engine = make_engine(url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(migrate())
    yield url
    if per_worker:
        asyncio.run(_recreate_postgres_database(url, per_worker, drop_only=True))


@pytest.fixture
def on_postgres(database_url: str) -> bool:
    return _is_postgres(database_url)


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
        TANDEM_DATA_KEY=DATA_KEY,
        **extra,
    )


def make_deps(engine: AsyncEngine, settings: Settings, clock: Clock) -> Deps:
    """Inside the test's event loop; the test closes `deps.slack` (the `deps` fixture does)."""
    gateway = make_gateway(settings.secret("SLACK_BOT_TOKEN"), settings.SLACK_API_URL)
    return Deps(settings=settings, engine=engine, sessionmaker=make_sessionmaker(engine, settings.secret("TANDEM_DATA_KEY") or DATA_KEY),
                slack=gateway, clock=clock)


@pytest.fixture
async def deps(engine: AsyncEngine, database_url: str, fake_slack: FakeSlack, clock: Clock) -> AsyncIterator[Deps]:
    made = make_deps(engine, make_settings(database_url, fake_slack.url), clock)
    try:
        yield made
    finally:
        await made.slack.close()  # before the fake Slack stops: no connection outlives the test


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
