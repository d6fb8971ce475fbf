"""Build the `Deps` once, from settings (cosmicpython's bootstrap)."""

from __future__ import annotations

from bot.config import Settings
from bot.db import make_engine, make_sessionmaker
from bot.deps import Deps, utc_now
from bot.installations import TandemInstallationStore
from bot.slack import make_gateway


def build_deps(settings: Settings) -> Deps:
    """Inside the running event loop (the Slack gateway opens its HTTP session there); the
    caller ends with `close_deps`."""
    engine = make_engine(settings.DATABASE_URL)
    gateway = make_gateway(settings.secret("SLACK_BOT_TOKEN"), settings.SLACK_API_URL)
    sessionmaker = make_sessionmaker(engine, settings.secret("TANDEM_DATA_KEY") or None, settings.TANDEM_KEY_STORE_URL)
    store = None
    if settings.oauth:
        assert settings.SLACK_CLIENT_ID is not None
        store = TandemInstallationStore(
            client_id=settings.SLACK_CLIENT_ID, client_secret=settings.secret("SLACK_CLIENT_SECRET"), engine=engine,
            sessionmaker=sessionmaker, slack=gateway, clock=utc_now,
        )
    return Deps(settings=settings, engine=engine, sessionmaker=sessionmaker, slack=gateway, installations=store)


async def close_deps(deps: Deps) -> None:
    """The end of a process's lifecycle: the worker processes (a round still running after
    their grace is ended and rolled back), the Slack HTTP session, then the database pool."""
    try:
        await deps.workers.close()
        await deps.slack.close()
    finally:
        await deps.engine.dispose()
