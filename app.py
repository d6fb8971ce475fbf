"""Tandem's command line: `serve` (default), `migrate`, `run-due [--now ISO-8601]`, `demo`, `check`,
`--version`.

See README.md ("Commands", "Operations") for what each does. A problem at start-up (settings,
database, Slack token) is one line on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import signal
import sys

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot import round_tasks
from bot.bootstrap import build_deps, close_deps
from bot.chart import render_chart
from bot.config import ConfigError, Settings, load_settings, require_data_key
from bot.db import make_engine
from bot.installations import restore
from bot.migrate import current_revision, upgrade
from bot.scheduler import run_due, start_scheduler, stop_scheduler
from bot.doctor import run_checks
from bot.startup import StartupError, check_app_token, check_database, check_token, describe_database
from bot.version import version
from devtools.demo_cli import add_arguments as demo_arguments
from handlers.server import build_bolt_app, build_web_app

log = logging.getLogger("tandem")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "demo":  # no Slack and no settings: the demo brings its own
        # Lazy on purpose: the demo (rich, the fake Slack, the whole simulated program) is an
        # optional development tool; `serve`, `migrate` and `run-due` never load it.
        from devtools.demo import main as demo_main

        return demo_main(args)
    if args.command == "check":  # reports bad settings itself, one line per item
        return asyncio.run(run_checks())
    try:
        settings = load_settings(
            require_slack=args.command in ("serve", "run-due", None),
            serving=args.command in ("serve", None),
        )
        if args.command in ("serve", "run-due", None):
            require_data_key(settings)
    except ConfigError as exc:
        print(f"tandem: {exc}", file=sys.stderr)
        return 2
    _configure_logging(settings.LOG_LEVEL)
    try:
        if args.command == "migrate":
            return asyncio.run(_migrate(settings))
        if args.command == "run-due":
            return asyncio.run(_run_due(settings, args.now))
        return asyncio.run(_serve(settings))
    except StartupError as exc:
        print(f"tandem: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python app.py", description="Tandem: peer mentoring in Slack.")
    parser.add_argument("--version", action="version", version=f"tandem {version()}")
    sub = parser.add_subparsers(dest="command", metavar="{serve,migrate,run-due,demo,check}")
    sub.add_parser("serve", help="start the bot (the default): Socket Mode with SLACK_APP_TOKEN, else HTTP")
    sub.add_parser("migrate", help="bring the database schema to the newest revision, then exit")
    run_due = sub.add_parser("run-due", help="do all scheduled work due now (or at --now) once, then exit")
    run_due.add_argument("--now", type=_aware_datetime, help="the instant to run at, ISO-8601 (UTC if no offset)")
    demo_arguments(sub.add_parser("demo", help="a whole peer-mentoring program with no Slack (see README, Demo)"))
    sub.add_parser("check", help="check settings, database, token, scopes and port; one line each, exit 0 if all hold")
    return parser


def _aware_datetime(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 date-time: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if level != "DEBUG":
        # Their INFO lines can carry request bodies; never log message text at INFO.
        for noisy in ("slack_bolt", "slack_sdk", "apscheduler", "aiohttp.access", "alembic"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


async def _migrate(settings: Settings) -> int:
    engine = make_engine(settings.DATABASE_URL)
    try:
        await check_database(engine, settings.DATABASE_URL)
        print(f"database: {describe_database(settings.DATABASE_URL)}", flush=True)
        before = await current_revision(engine)
        await upgrade(engine, keys_url=settings.TANDEM_KEY_STORE_URL)
        after = await current_revision(engine)
    finally:
        await engine.dispose()
    if before == after:
        print(f"revision: {after} (the newest; nothing to do)")
    else:
        print(f"revision: {after} (the newest; was {before or 'empty'})")
    return 0


async def _ready(deps) -> str | None:  # type: ignore[no-untyped-def]
    """Before serving or running due work: the database answers and Slack accepts the token
    (single-token mode; returns its team id). OAuth mode has no token of its own to check."""
    await check_database(deps.engine, deps.settings.DATABASE_URL)
    if deps.settings.oauth:
        log.info("OAuth mode: tokens come from installations (GET /slack/install)")
        return None
    if deps.settings.SLACK_CLIENT_ID:
        log.warning("SLACK_BOT_TOKEN is set, so SLACK_CLIENT_ID/SLACK_CLIENT_SECRET are ignored (single-token mode)")
    identity = await check_token(deps.slack.client)
    log.info("Slack accepted the bot token (@%s in %s)", identity.user, identity.team)
    if deps.settings.mode == "socket":
        await check_app_token(deps.slack.client, deps.settings.secret("SLACK_APP_TOKEN"))
    return identity.team_id or None


async def _resume(deps, team_id: str | None) -> None:  # type: ignore[no-untyped-def]
    """OAuth mode: tokens stored before they were sealed at rest are sealed now (idempotent).
    Single-token mode: a workspace stopped for a refused token resumes once Slack accepts one."""
    if deps.installations is not None:
        sealed = await deps.installations.seal_plaintext_tokens()
        if sealed:
            log.info("sealed the Slack tokens of %d stored installation rows (they were stored in the clear)", sealed)
    if team_id is None:
        return
    async with deps.sessionmaker.begin() as session:
        if await restore(session, team_id):
            log.warning("workspace %s: Slack accepts the bot token again; delivery resumes", team_id)


async def _run_due(settings: Settings, now: dt.datetime | None) -> int:
    deps = build_deps(settings)
    try:
        team_id = await _ready(deps)
        await upgrade(deps.engine, keys_url=settings.TANDEM_KEY_STORE_URL)
        await _resume(deps, team_id)
        done = await run_due(deps, now or deps.clock())
        print(" ".join(f"{name}={count}" for name, count in done.items()))
    finally:
        await close_deps(deps)
    return 0


async def _serve(settings: Settings) -> int:
    deps = build_deps(settings)
    try:
        team_id = await _ready(deps)
        await upgrade(deps.engine, keys_url=settings.TANDEM_KEY_STORE_URL)
        await _resume(deps, team_id)
    except BaseException:
        await close_deps(deps)
        raise
    bolt = build_bolt_app(deps)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    socket_handler = None
    runner = web.AppRunner(build_web_app(bolt, deps))
    await runner.setup()
    # The HTTP server also runs in Socket Mode, for /healthz.
    try:
        await web.TCPSite(runner, "0.0.0.0", settings.PORT).start()
    except OSError as exc:
        await runner.cleanup()
        await close_deps(deps)
        raise StartupError(f"cannot listen on port {settings.PORT} ({exc.strerror}): "
                           "stop what uses it, or set PORT to a free port") from None
    deps.workers.warm_up(round_tasks.due_round, render_chart)  # the first round or chart need not wait
    scheduler = start_scheduler(deps)
    if settings.mode == "socket":
        socket_handler = AsyncSocketModeHandler(bolt, settings.secret("SLACK_APP_TOKEN"))
        await socket_handler.connect_async()
        log.info("Tandem is running in Socket Mode (health on port %s)", settings.PORT)
    else:
        routes = "POST /slack/events, GET /slack/install" if settings.oauth else "POST /slack/events"
        log.info("Tandem is listening on port %s (%s)", settings.PORT, routes)

    await stop.wait()
    log.info("shutting down")
    await stop_scheduler(scheduler)
    if socket_handler is not None:
        await socket_handler.close_async()
    await runner.cleanup()
    await close_deps(deps)  # a round still running after the tick's grace is ended (rolled back)
    return 0


if __name__ == "__main__":
    sys.exit(main())
