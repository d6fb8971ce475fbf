"""The `demo` subcommand's arguments, kept apart from the demo so that `python app.py`
does not import the demo's machinery just to parse its command line."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

MAX_MEMBERS, MAX_WEEKS = 5000, 52


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--members", type=_bounded("members", 2, MAX_MEMBERS), default=40,
                        help="people in the synthetic workspace (default 40)")
    parser.add_argument("--weeks", type=_bounded("weeks", 1, MAX_WEEKS), default=12,
                        help="weeks of program time to play (default 12)")
    parser.add_argument("--seed", type=int, default=1, help="same seed, same run (default 1)")
    parser.add_argument("--database", type=Path, metavar="PATH",
                        help="a new SQLite file to keep (default: a temporary file, deleted at the end)")
    parser.add_argument("--chart", type=Path, metavar="PATH",
                        help="where to save the chart PNG (default: beside the database)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON (nothing else on stdout)")


def _bounded(name: str, low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{name} must be from {low} to {high}")
        return value
    return parse
