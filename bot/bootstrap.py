"""Build the `Deps` once, from settings (cosmicpython's bootstrap)."""

from __future__ import annotations

from bot.config import Settings
from bot.db import make_engine, make_sessionmaker
from bot.deps import Deps
from bot.slack import SlackGateway, make_client


def build_deps(settings: Settings) -> Deps:
    engine = make_engine(settings.DATABASE_URL)
    token = settings.secret("SLACK_BOT_TOKEN")
    gateway = SlackGateway(
        make_client(token, settings.SLACK_API_URL),
        make_client(token, settings.SLACK_API_URL, for_delivery=True),
    )
    return Deps(settings=settings, engine=engine, sessionmaker=make_sessionmaker(engine), slack=gateway)
