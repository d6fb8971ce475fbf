"""CPU-heavy work off the serving event loop: matching rounds, previews and charts run in
a worker process.

A thread would not do: scipy's assignment solver and matplotlib hold the GIL, so a 10k-member
round in a thread still stalls every acknowledgement for seconds. `WorkerPool` is a
`concurrent.futures.ProcessPoolExecutor` (at most `WORKERS` processes, started on first use and
kept for the next) that the loop awaits with `run_in_executor`, so the loop keeps answering
Slack meanwhile.

- **Start method: spawn, always.** Forking a process that runs an asyncio loop, aiohttp
  sessions, aiosqlite's threads and a pool of database connections copies all of them in an
  undefined state; a spawned worker starts from a clean interpreter and imports what it runs.
  Tasks are therefore module-level functions (pickled by name), and so are their arguments and
  results (plain values: ids, `now`, figures, a `RoundPlan`, PNG bytes).
- **Database work owns its transaction in the worker.** `run_db(settings, task, *args)` runs
  `task(sessionmaker, *args)` in the worker with an engine it opens from the same
  `DATABASE_URL` (SQLite file or PostgreSQL; no pooled connection outlives the task), so the
  claim that makes a round happen once (`bot.rounds.start_due_round`) is taken and committed
  there, exactly as before. The caller must hold no transaction while it waits: on SQLite that
  would be the write lock the worker needs (`BEGIN IMMEDIATE`; the worker waits for it
  `busy_timeout`, 30 s, like any second process).
- **In-memory SQLite runs in the process.** A `sqlite://` or `:memory:` database exists only
  inside the connection that made it, so no other process can see it: there the task runs on
  the loop with the caller's sessionmaker (and blocks it for the round's duration). It suits
  experiments only; `serve` uses a file or PostgreSQL.
- **Shutdown never hangs.** `close(timeout)` lets a running task finish for `timeout` seconds,
  then terminates the worker: its transaction is rolled back by the database (a round's claim
  with it, so the round runs at the next tick), nothing half-stored. Workers ignore SIGINT, so a
  Ctrl-C reaches the server, which shuts down in order; a worker whose server was killed
  outright ends itself within half a second.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.pool import NullPool

from bot.config import Settings
from bot.db import make_engine, make_sessionmaker

log = logging.getLogger(__name__)

T = TypeVar("T")
WORKERS = 2  # a round and a chart at once; more would only compete for the same cores
PARENT_CHECK_SECONDS = 0.5
DbTask = Callable[..., Awaitable[Any]]
"""`async def task(sessionmaker, *args) -> picklable`: a module-level function that opens
its own transaction(s) with the sessionmaker it is given."""


class WorkerDied(RuntimeError):
    """The worker process ended before answering (killed, out of memory, shut down)."""


def shares_processes(database_url: str) -> bool:
    """Whether another process can open this database (not an in-memory SQLite)."""
    url = make_url(database_url)
    return not (url.drivername.startswith("sqlite") and url.database in (None, "", ":memory:"))


class WorkerPool:
    """Worker processes for CPU-heavy work, created on first use.

    `initializer(*initargs)` runs once in each new worker (tests use it to make the matching
    deliberately slow there)."""

    def __init__(self, workers: int = WORKERS, *, initializer: Callable[..., None] | None = None,
                 initargs: tuple[Any, ...] = ()) -> None:
        self._workers = workers
        self._initializer, self._initargs = initializer, initargs
        self._executor: ProcessPoolExecutor | None = None
        self._closed = False
        self._busy = 0  # tasks submitted and not yet answered

    def _pool(self) -> ProcessPoolExecutor:
        if self._closed:
            raise WorkerDied("the worker pool is shut down")
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self._workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_started, initargs=(self._initializer, self._initargs),
            )
        return self._executor

    async def compute(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in a worker process (pure CPU work: no database)."""
        pool = self._pool()
        self._busy += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
        except BrokenProcessPool:
            self._forget(pool)
            raise WorkerDied("the worker process ended before answering") from None
        finally:
            self._busy -= 1

    async def run_db(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession],
                     task: DbTask, *args: Any) -> Any:
        """`task(sessionmaker, *args)` in a worker, on its own engine for `settings.DATABASE_URL`;
        in this process, with `sessionmaker`, when the database is in-memory SQLite."""
        if not shares_processes(settings.DATABASE_URL):
            return await task(sessionmaker, *args)
        return await self.compute(
            _run_db_task, settings.DATABASE_URL, settings.secret("TANDEM_DATA_KEY") or None, task, args
        )

    def warm_up(self, *tasks: Callable[..., Any]) -> None:
        """Start the workers now, in the background, and have them import the modules of
        `tasks` (scipy, matplotlib: seconds), so the first round or chart does not wait."""
        pool = self._pool()
        for _ in range(self._workers):
            pool.submit(_nothing, *tasks)

    def _forget(self, pool: ProcessPoolExecutor) -> None:
        if self._executor is pool:
            self._executor = None
        pool.shutdown(wait=False, cancel_futures=True)

    async def close(self, timeout: float = 10.0) -> None:
        """Stop taking work; let a task being awaited finish for `timeout` seconds, then end the
        workers (idle ones at once)."""
        self._closed = True
        pool, self._executor = self._executor, None
        if pool is None:
            return
        processes = list(getattr(pool, "_processes", {}).values())  # the executor's own handles
        pool.shutdown(wait=False, cancel_futures=True)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        # Only a task someone awaits is worth waiting for; an idle or warming worker holds nothing.
        while self._busy and any(p.is_alive() for p in processes) and loop.time() < deadline:
            await asyncio.sleep(0.05)
        if self._busy and any(p.is_alive() for p in processes):
            log.warning("a worker process was still busy at shutdown: ending it (its transaction rolls back)")
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            await loop.run_in_executor(None, process.join, 5)
            if process.is_alive():
                process.kill()


_SHARED: WorkerPool | None = None


def shared_pool() -> WorkerPool:
    """This process's pool (`Deps`' default): one set of workers however many `Deps` are built."""
    global _SHARED
    if _SHARED is None or _SHARED._closed:
        _SHARED = WorkerPool()
    return _SHARED


# --- in the worker process ------------------------------------------------------------------------


def _worker_started(initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server shuts down in order, then ends us
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), name="parent-watch", daemon=True).start()
    if initializer is not None:
        initializer(*initargs)


def _exit_with_parent(parent: int) -> None:
    """A server killed outright (SIGKILL, OOM) cannot end its workers: each ends itself when its
    parent is gone (an orphan would keep running and hold the server's stdout and stderr). Its
    transaction, if any, is rolled back by the database."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def _nothing(*_tasks: Callable[..., Any]) -> None:
    return None  # unpickling the tasks imported their modules


def _run_db_task(database_url: str, data_key: str | None, task: DbTask, args: tuple[Any, ...]) -> Any:
    return asyncio.run(_with_engine(database_url, data_key, task, args))


async def _with_engine(database_url: str, data_key: str | None, task: DbTask, args: tuple[Any, ...]) -> Any:
    # No pool: each task connects afresh, so no connection (nor a cached statement) outlives it.
    engine = make_engine(database_url, poolclass=NullPool)
    try:
        return await task(make_sessionmaker(engine, data_key), *args)
    finally:
        await engine.dispose()
