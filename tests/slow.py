"""A deliberately slow matching round, for tests that prove rounds run off the event loop.

`slow_matching(seconds)` is a `WorkerPool` initializer: in each worker process it makes every
match spin the CPU for `seconds` first, holding the GIL as scipy's solver does (a sleep would
let other threads run and prove nothing). Tests install the same wrapper in their own process
too, so a round that ran on the event loop again would stall the requests they time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot import rounds


def spinning(real: Callable[..., Any], seconds: float, started: str | None = None) -> Callable[..., Any]:
    def match_cohort(*args: Any, **kwargs: Any) -> Any:
        if started is not None:  # tell the test the matching has begun (a file: across processes)
            Path(started).touch()
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:  # busy: never yields the GIL for long
            pass
        return real(*args, **kwargs)

    return match_cohort


def slow_matching(seconds: float, started: str | None = None) -> None:
    """`started`: a file touched each time a match begins."""
    rounds.match_cohort = spinning(rounds.match_cohort, seconds, started)  # type: ignore[assignment]
