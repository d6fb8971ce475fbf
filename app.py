"""Tandem's command line: `serve` (default), `migrate`, `run-due [--now ISO-8601]`, `demo`.

See ../shared/INTERFACE.md for the contract and README.md for operations.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import signal
import sys

from bot.config import ConfigError, Settings, load_settings

log = logging.getLogger("tandem")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "demo":  # no Slack and no settings: the demo brings its own
        from bot.devtools.demo import main as demo_main

        return demo_main(args)
    try:
        settings = load_settings(
            require_slack=args.command in ("serve", "run-due", None),
            serving=args.command in ("serve", None),
        )
    except ConfigError as exc:
        print(f"tandem: {exc}", file=sys.stderr)
        return 2
    _configure_logging(settings.LOG_LEVEL)
    if args.command == "migrate":
        return asyncio.run(_migrate(settings))
    if args.command == "run-due":
        return asyncio.run(_run_due(settings, args.now))
    return asyncio.run(_serve(settings))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python app.py", description="Tandem: peer mentoring in Slack.")
    sub = parser.add_subparsers(dest="command", metavar="{serve,migrate,run-due,demo}")
    sub.add_parser("serve", help="start the bot (the default): Socket Mode with SLACK_APP_TOKEN, else HTTP")
    sub.add_parser("migrate", help="bring the database schema to the newest revision, then exit")
    run_due = sub.add_parser("run-due", help="do all scheduled work due now (or at --now) once, then exit")
    run_due.add_argument("--now", type=_aware_datetime, help="the instant to run at, ISO-8601 (UTC if no offset)")
    from bot.devtools.demo_cli import add_arguments as demo_arguments

    demo_arguments(sub.add_parser("demo", help="a whole peer-mentoring program with no Slack (see README, Demo)"))
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
    from bot.db import make_engine
    from bot.migrate import upgrade

    engine = make_engine(settings.DATABASE_URL)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    log.info("database is at the newest revision")
    return 0


async def _run_due(settings: Settings, now: dt.datetime | None) -> int:
    from bot.bootstrap import build_deps
    from bot.migrate import upgrade
    from bot.scheduler import run_due

    deps = build_deps(settings)
    try:
        await upgrade(deps.engine)
        done = await run_due(deps, now or deps.clock())
        print(" ".join(f"{name}={count}" for name, count in done.items()))
    finally:
        await deps.engine.dispose()
    return 0


async def _serve(settings: Settings) -> int:
    from aiohttp import web
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    from bot.bootstrap import build_deps
    from bot.migrate import upgrade
    from bot.scheduler import start_scheduler
    from handlers.server import build_bolt_app, build_web_app

    deps = build_deps(settings)
    await upgrade(deps.engine)
    bolt = build_bolt_app(deps)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    scheduler = start_scheduler(deps)
    socket_handler = None
    runner = web.AppRunner(build_web_app(bolt, deps))
    await runner.setup()
    # The HTTP server also runs in Socket Mode, for /healthz.
    await web.TCPSite(runner, "0.0.0.0", settings.PORT).start()
    if settings.mode == "socket":
        socket_handler = AsyncSocketModeHandler(bolt, settings.secret("SLACK_APP_TOKEN"))
        await socket_handler.connect_async()
        log.info("Tandem is running in Socket Mode (health on port %s)", settings.PORT)
    else:
        log.info("Tandem is listening on port %s (POST /slack/events)", settings.PORT)

    await stop.wait()
    log.info("shutting down")
    scheduler.shutdown(wait=False)
    if socket_handler is not None:
        await socket_handler.close_async()
    await runner.cleanup()
    await deps.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
