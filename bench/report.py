"""What every benchmark prints, so a figure in README can be re-run and compared.

Each benchmark prints, before its table: the command that produced it, the
machine (cores, Python, platform), the database (engine and version) and the
load average when it started and ended (a loaded machine gives slow, noisy
figures: re-run on a quiet one). Each timed figure is the median of `--runs`
runs, shown as `median (min–max)`.

    from bench import report
    report.add_runs_argument(parser)            # --runs N (default 3)
    print(report.header(database_url))          # command, machine, database, load
    runs = [measure() for _ in range(args.runs)]
    print(report.spread([r["seconds"] for r in runs]))
    print(report.footer())                      # the load average at the end
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shlex
import sqlite3
import statistics
import sys
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text

from bot.db import make_engine

DEFAULT_RUNS = 3


def add_runs_argument(parser: argparse.ArgumentParser, default: int = DEFAULT_RUNS) -> None:
    parser.add_argument("--runs", type=int, default=default,
                        help=f"runs of each measurement; figures are medians with min–max (default {default})")


def command() -> str:
    """The command as typed, from the repository folder (`.venv/bin/python bench/x.py …`)."""
    script = os.path.relpath(sys.argv[0]) if sys.argv and sys.argv[0] else "bench/?.py"
    return " ".join([".venv/bin/python", shlex.quote(script), *map(shlex.quote, sys.argv[1:])])


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:  # not on every platform
        return "unknown"
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def database(url: str | None) -> str:
    """The database a benchmark runs on: engine and version (PostgreSQL asks the server).
    From inside an event loop, await `describe_database` instead."""
    return asyncio.run(describe_database(url))


async def describe_database(url: str | None) -> str:
    if url is None or url.startswith("sqlite"):
        return f"SQLite {sqlite3.sqlite_version}" + (" (a temporary file)" if url is None else "")
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return f"PostgreSQL {await connection.scalar(text('show server_version'))}"
    except Exception as exc:  # noqa: BLE001 - the benchmark itself will say what is wrong
        return f"PostgreSQL (version unknown: {type(exc).__name__})"
    finally:
        await engine.dispose()


def machine() -> str:
    return (f"{os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.system()} {platform.machine()}")


def header(database_url: str | None = None, *, runs: int | None = None, db: str | None = None) -> str:
    """Command, machine, database and load average, as Markdown-friendly lines."""
    lines = [f"command: `{command()}`", f"machine: {machine()}",
             f"database: {db if db is not None else database(database_url)}",
             f"load average at start (1, 5, 15 min): {load_average()}"]
    if runs is not None:
        lines.append(f"figures: median (min–max) of {runs} run{'s' if runs != 1 else ''}")
    return "\n".join(lines)


def footer() -> str:
    return f"load average at end (1, 5, 15 min): {load_average()}"


def spread(values: Sequence[float], fmt: str = ".2f", unit: str = "") -> str:
    """`median (min–max)`, or the one value when there is one."""
    if not values:
        return "–"
    median = statistics.median(values)
    low, high = f"{min(values):{fmt}}", f"{max(values):{fmt}}"
    if low == high:
        return f"{median:{fmt}}{unit}"
    return f"{median:{fmt}}{unit} ({low}–{high})"


def medians(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Each numeric key's median over the runs; other values from the first run."""
    out: dict[str, Any] = {}
    for key, first in runs[0].items():
        values = [r[key] for r in runs]
        numeric = isinstance(first, (int, float)) and not isinstance(first, bool)
        out[key] = statistics.median(values) if numeric and len(set(values)) > 1 else first
    return out
