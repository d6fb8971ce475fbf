"""`python app.py demo`: a whole peer-mentoring program with no Slack, on the embedded database.

The REAL bot runs here — the same Bolt app and handlers, Block Kit builders,
`run_due`, outbox and database code as `python app.py serve` — with the fake
Slack Web API (`devtools/fake_slack.py`) behind its gateway and a fresh
SQLite file. Nothing in `bot/` or `handlers/` knows it is a demo.

A synthetic workforce (`demo_people.py`) joins through the real flow and lives
through the program in accelerated time (`demo_sim.py`). At the end the admin
runs `/tandem admin stats`: the figures are the real stats code's, and the chart
the bot uploads to the fake is saved as a PNG.

Speed: the fake Slack has no rate limits, and the demo's outbox (its `run_due` calls and the
handlers' `send_now`) delivers with a pacer without intervals (`Deps.pacer`);
the real bot keeps Slack's pace. See README, "Demo".
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import event, select

from bot.config import load_settings
from bot.db import make_engine, make_sessionmaker
from bot.deps import Deps
from devtools.demo_people import Person, generate_people
from devtools.demo_sim import (
    ADMIN_ID,
    ADMIN_NAME,
    ADMIN_TZ,
    CHANNEL_ID,
    CHANNEL_NAME,
    START,
    STEP,
    TEAM_ID,
    Clock,
    Demo,
    DemoOptions,
    Quiet,
)
from devtools.demo_slack import Posted, mrkdwn_to_rich, render_blocks, short_date
from devtools.fake_slack import FakeSlack
from devtools.slack_requests import SlackRequests
from bot.migrate import upgrade
from bot.models import (
    Feedback,
    Member,
    Pairing,
    PairingMember,
    Round,
    Session,
    Workspace,
)
from bot.ratelimit import SlackPacer
from bot.slack import make_gateway
from bot.stats import Figure, ProgramStats, Ratio, program_stats
from bot.workspaces import program_of
from handlers.server import build_bolt_app, build_web_app

ROUND_ROWS = 12
TRANSCRIPT_ENTRIES = 18
SESSION_KINDS = ("dilemma-prompt", "dilemma-reminder", "dilemma-missing", "feedback-ask", "experiment")
PAIRING_KINDS = ("fit", "retro", "pairing-closed", "stalled")


@dataclass
class DemoResult:
    options: DemoOptions
    database: Path
    chart: Path | None
    figures: dict[str, Any]
    stats_blocks: list[dict[str, Any]]
    names: dict[str, str]
    people: dict[str, Person]
    first_round: list[dict[str, Any]]
    transcript_title: str
    transcript: list[tuple[dt.datetime, str, Any]]  # (when, where, blocks or rich markup)
    activity: dict[str, int]
    messages_posted: int
    problems: list[str]
    seconds: float
    ticks: int
    database_kept: bool


class _ErrorLog(logging.Handler):
    """Collects ERROR lines (a listener that failed, a send that gave up): demo problems."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name}: {record.getMessage()}"[:300])


# --- running ---------------------------------------------------------------------------------------


async def run_demo(options: DemoOptions,
                   progress: Callable[[dt.datetime, Counter[str]], None] | None = None) -> DemoResult:
    """Run the whole program and gather what the report shows."""
    started = time.perf_counter()
    workdir = None if options.database is not None else Path(tempfile.mkdtemp(prefix="tandem-demo-"))
    database = options.database or workdir / "tandem-demo.db"  # type: ignore[operator]
    chart = options.chart or (workdir / "tandem-demo-chart.png" if workdir
                              else database.with_name(database.stem + "-chart.png"))
    errors = _ErrorLog()
    logging.getLogger().addHandler(errors)
    people = generate_people(options.members, options.seed, weeks=options.weeks)
    clock = Clock()
    try:
        async with FakeSlack(team_id=TEAM_ID, clock=lambda: clock().timestamp()) as fake:
            fake.add_user(ADMIN_ID, name="morgan.reyes", real_name=ADMIN_NAME, tz=ADMIN_TZ, is_admin=True,
                          team_id=TEAM_ID)
            for person in people:
                fake.add_user(person.user_id, name=person.handle, real_name=person.name, tz=person.tz,
                              team_id=TEAM_ID)
            fake.add_channel(CHANNEL_ID, CHANNEL_NAME)
            result = await _run_against(fake, options, people, clock, database, chart, progress)
    finally:
        logging.getLogger().removeHandler(errors)
        if workdir is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
    result.problems += errors.lines
    result.seconds = time.perf_counter() - started
    result.database_kept = workdir is None
    if result.chart is None and workdir is not None and not any(workdir.iterdir()):
        shutil.rmtree(workdir, ignore_errors=True)
    return result


async def _run_against(fake: FakeSlack, options: DemoOptions, people: list[Person], clock: Clock, database: Path,
                       chart: Path, progress: Callable[[dt.datetime, Counter[str]], None] | None) -> DemoResult:
    secret = secrets.token_hex(16)  # signs the demo's requests; never leaves this process
    token = "xoxb-tandem-demo"
    settings = load_settings(
        require_slack=False, SLACK_BOT_TOKEN=token, SLACK_SIGNING_SECRET=secret, SLACK_APP_TOKEN=None,
        SLACK_API_URL=fake.url, DATABASE_URL=f"sqlite:///{database}", TANDEM_ADMINS="", LOG_LEVEL="WARNING",
    )
    # One connection: SQLite has a single writer anyway, and handlers queueing in the pool
    # beats connections sleeping in SQLite's busy handler (the bot's code is the same).
    engine = make_engine(settings.DATABASE_URL, pool_size=1, max_overflow=0)
    event.listen(engine.sync_engine, "connect", _throwaway_sqlite)
    runner: web.AppRunner | None = None
    gateway = make_gateway(token, fake.url)  # one HTTP session, closed before the fake Slack stops
    try:
        await upgrade(engine)
        # No pacing: the fake Slack has no rate limits, and the demo's clock runs weeks in minutes.
        deps = Deps(settings=settings, engine=engine, sessionmaker=make_sessionmaker(engine), slack=gateway,
                    clock=clock, pacer=SlackPacer(intervals={}))
        runner = web.AppRunner(build_web_app(build_bolt_app(deps), deps), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        requests = SlackRequests(f"http://127.0.0.1:{port}/slack/events", secret, team_id=TEAM_ID,
                                 response_url_for=fake.response_url, bot_user_id=fake.bot_user_id)
        quiet = Quiet()
        quiet.install(asyncio.get_running_loop())
        demo = Demo(options, people, fake, deps, requests, clock, quiet, progress or (lambda _now, _counts: None))
        ticks = await demo.run()
        await demo.finish()
        saved = _save_chart(fake, chart)
        return await _collect(demo, deps, database, saved, ticks)
    finally:
        if runner is not None:
            await runner.cleanup()
        await gateway.close()
        await engine.dispose()


def _throwaway_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """The demo's own database file: write-ahead log, no fsync on each commit (it is rebuilt
    from nothing on every run, so durability against a power cut does not matter)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _save_chart(fake: FakeSlack, path: Path) -> Path | None:
    """The PNG the bot uploaded for the admin (files.getUploadURLExternal + completeUploadExternal)."""
    charts = [f for f in fake.uploaded_files if f.filename.endswith(".png")]
    if not charts:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(charts[-1].content)
    return path


async def _collect(demo: Demo, deps: Deps, database: Path, chart: Path | None, ticks: int) -> DemoResult:
    async with deps.sessionmaker() as session:
        workspace = await session.scalar(select(Workspace).where(Workspace.team_id == TEAM_ID))
        assert workspace is not None, "the admin's announcement creates the workspace"
        program = await program_of(session, workspace.id)
        stats = await program_stats(session, program, demo.clock.now)
        first_round = await _first_round(session, program.id)
        title, transcript = await _transcript(session, demo, first_round)
    stats_blocks = next((a.get("blocks") or [] for a in reversed(demo.admin_answers)
                         if "figures" in json.dumps(a.get("blocks") or [])[:200]), [])
    return DemoResult(
        options=demo.options, database=database, chart=chart, figures=figures_json(stats),
        stats_blocks=stats_blocks, names=demo.names, people=demo.people, first_round=first_round,
        transcript_title=title, transcript=transcript, activity=dict(sorted(demo.counts.items())),
        messages_posted=sum(1 for c in demo.fake.calls if c.method == "chat.postMessage" and c.ok),
        problems=list(demo.problems), seconds=0.0, ticks=ticks, database_kept=True,
    )


def figures_json(stats: ProgramStats) -> dict[str, Any]:
    """The program figures as plain JSON: a figure is {value, base}, a share {part, whole, base};
    a withheld one (fewer people than the minimum group size) has null in place of its numbers."""
    def figure(f: Figure) -> dict[str, Any]:
        return {"value": f.value, "base": f.base}

    def ratio(r: Ratio) -> dict[str, Any]:
        return {"part": r.part, "whole": r.whole, "base": r.base}

    return {
        "min_group_size": stats.min_group_size,
        "opted_in": figure(stats.opted_in), "paused": figure(stats.paused), "left": figure(stats.left),
        "with_active_peer": ratio(stats.with_active_peer), "pairings": figure(stats.pairings),
        "sessions_held_of_due": ratio(stats.meetings), "average_rating": figure(stats.average_rating),
        "ratings": stats.ratings, "two_way": ratio(stats.two_way), "cross_department": ratio(stats.cross_department),
        "goals_done_of_set": ratio(stats.goals), "turn_balance": ratio(stats.turn_balance),
        "skill_gaps": None if stats.skill_gaps is None else [
            {"skill": g.name, "wanted": g.wanted, "offered": g.offered} for g in stats.skill_gaps],
        "rounds": [{"number": r.number, "started_at": r.started_at.isoformat(), "participants": r.participants,
                    "sessions_due": r.sessions_due, "sessions_met": r.sessions_met} for r in stats.rounds],
    }


async def _first_round(session: Any, program_id: int) -> list[dict[str, Any]]:
    """The first round's pairs: people (in the pairing's order), reasons, score."""
    round_id = await session.scalar(select(Round.id).where(Round.program_id == program_id).order_by(Round.number))
    if round_id is None:
        return []
    rows = (await session.execute(
        select(Pairing.id, Pairing.reasons, Pairing.score, Pairing.conversation_id, Member.slack_user_id)
        .join(PairingMember, PairingMember.pairing_id == Pairing.id)
        .join(Member, Member.id == PairingMember.member_id)
        .where(Pairing.round_id == round_id)
        .order_by(Pairing.id, PairingMember.position)
    )).all()
    pairs: dict[int, dict[str, Any]] = {}
    for pairing_id, reasons, score, conversation, user_id in rows:
        pair = pairs.setdefault(pairing_id, {"pairing_id": pairing_id, "reasons": list(reasons or []),
                                             "score": score, "conversation": conversation, "users": []})
        pair["users"].append(user_id)
    return list(pairs.values())


async def _transcript(session: Any, demo: Demo, first_round: list[dict[str, Any]]) -> tuple[str, list[tuple[dt.datetime, str, Any]]]:
    """One pair's journey: the first pair of the first round whose second (or later) session
    had a dilemma, was held and got feedback; what Slack showed them, and what they did."""
    if not first_round:
        return "", []
    ids_ = [p["pairing_id"] for p in first_round]
    good: dict[int, int] = {}  # pairing id -> the first session with a dilemma, held, with feedback
    for pairing_id, sequence in (await session.execute(
        select(Session.pairing_id, Session.sequence).join(Feedback, Feedback.session_id == Session.id)
        .where(Session.pairing_id.in_(ids_), Session.sequence >= 2, Session.state == "met",
               Session.dilemma_at.is_not(None))
        .order_by(Session.sequence)
    )).all():
        good.setdefault(pairing_id, sequence)
    candidates = [p for p in first_round if p["pairing_id"] in good]  # a pair's, the shortest story first
    pair = (min(candidates, key=lambda p: (len(p["users"]) != 2, good[p["pairing_id"]])) if candidates
            else first_round[0])
    target = good.get(pair["pairing_id"], 2)
    sessions = dict((await session.execute(
        select(Session.id, Session.sequence).where(Session.pairing_id == pair["pairing_id"])
    )).all())
    users = pair["users"]
    # The pair's conversation, and the one its introduction went to (a trio's can differ).
    channels = {pair["conversation"]} | {p.channel for p in demo.posted if p.key == f"intro:{pair['pairing_id']}"}
    names = [demo.names.get(u, u) for u in users]
    title = " & ".join(names) + "  (" + " · ".join(
        demo.people[u].department or "no department" for u in users if u in demo.people) + ")"

    def belongs(posted: Posted) -> bool:
        if posted.channel in channels:
            return True
        if len(posted.audience) != 1 or posted.audience[0] not in users:
            return False
        kind, _, rest = posted.key.partition(":")
        ref = rest.split(":", 1)[0]
        return ((kind in SESSION_KINDS and ref.isdecimal() and int(ref) in sessions)
                or (kind in PAIRING_KINDS and ref == str(pair["pairing_id"])))

    entries: list[tuple[dt.datetime, int, str, Any]] = []
    twins: dict[tuple[dt.datetime, str], int] = {}  # the same private DM to each member: shown once
    for posted in demo.posted:
        if not belongs(posted):
            continue
        when = dt.datetime.fromtimestamp(float(posted.ts), dt.timezone.utc).replace(second=0, microsecond=0)
        if posted.channel in channels:
            entries.append((when, 0, "group DM: " + ", ".join(n.split(" ")[0] for n in names) + " & Tandem",
                            posted.blocks or posted.text))
            continue
        kind = posted.key.split(":", 1)[0]
        reader = demo.names[posted.audience[0]]
        if (when, kind) in twins and kind in PAIRING_KINDS:
            i = twins[(when, kind)]
            entries[i] = (when, 0, entries[i][2].replace(" (each)", "") + f" and {reader} (each)", entries[i][3])
            continue
        twins[(when, kind)] = len(entries)
        entries.append((when, 0, f"DM to {reader}", posted.blocks or posted.text))
    for act in demo.acts:
        if act.user_id in users:
            entries.append((act.at, 1, demo.names[act.user_id], act.text))
    entries.sort(key=lambda e: (e[0], e[1]))
    # Up to the first private feedback on a session with a dilemma (the whole turn-taking cycle).
    end = next((i for i, e in enumerate(entries) if e[1] == 1 and f"feedback on session {target}:" in e[3]),
               len(entries) - 1)
    shown = entries[:end + 1]
    if len(shown) > TRANSCRIPT_ENTRIES:  # the introduction, then the session with the dilemma
        head = 3
        skipped = len(shown) - TRANSCRIPT_ENTRIES
        gap = (shown[head][0], 2, "", f"[dim]⋯ {skipped} more messages and clicks ⋯[/dim]")
        shown = shown[:head] + [gap] + shown[head + skipped + 1:]
    return title, [(when, where, content) for when, _, where, content in shown]


# --- the report --------------------------------------------------------------------------------------


def print_report(result: DemoResult, console: Console) -> None:
    opts = result.options
    end = START + dt.timedelta(weeks=opts.weeks)
    console.print()
    console.print(f"[bold]Tandem demo[/bold] · {opts.members} people · {opts.weeks} weeks "
                  f"({START:%a} {START.day} {START:%b %Y} → {end:%a} {end.day} {end:%b %Y}) · seed {opts.seed}")
    console.print("[dim]The real bot (handlers, Block Kit, run_due, outbox, SQLite) against a fake Slack Web API; "
                  "every person below is simulated.[/dim]")
    _print_transcript(result, console)
    _print_round(result, console)
    _print_figures(result, console)
    _print_activity(result, console)
    console.print()
    if result.chart is not None:
        console.print(f"[bold]Chart[/bold] (the PNG the bot sent the admin): {escape(str(result.chart))}")
    kept = "kept" if result.database_kept else "temporary, deleted; keep it with --database PATH"
    console.print(f"[bold]Database[/bold]: {escape(str(result.database))} ({kept})")
    console.print("[bold]Next[/bold]: run it in your workspace — README.md, “Creating the Slack app”, "
                  "then [bold]python app.py[/bold].")
    if result.problems:
        console.print(f"\n[yellow]{len(result.problems)} problem(s):[/yellow]")
        for line in result.problems[:20]:
            console.print(f"  [yellow]{escape(line)}[/yellow]")


def _print_transcript(result: DemoResult, console: Console) -> None:
    if not result.transcript:
        return
    console.print()
    console.rule(f"[bold]One pair's journey[/bold]: {escape(result.transcript_title)}", align="left")
    for when, where, content in result.transcript:
        if not where:  # a gap
            console.print(content)
            continue
        console.print(f"[dim]{short_date(when)}[/dim]  [bold magenta]{escape(where)}[/bold magenta]")
        if isinstance(content, list):
            lines = render_blocks(content, result.names, max_lines=7, channels={CHANNEL_ID: CHANNEL_NAME})
        else:
            lines = [content]
        for line in lines:
            console.print(Padding(line, (0, 0, 0, 4)))


def _print_round(result: DemoResult, console: Console) -> None:
    if not result.first_round:
        return
    console.print()
    pairs = result.first_round
    console.rule(f"[bold]Round 1[/bold]: {len(pairs)} pairs, each with its reasons", align="left")
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False, expand=False)
    table.add_column("pair", no_wrap=False, ratio=1)
    table.add_column("why they were matched", ratio=3)
    for pair in pairs[:ROUND_ROWS]:
        who = "\n".join(f"{escape(result.names.get(u, u))} [dim]({escape(_dept(result, u))})[/dim]"
                        for u in pair["users"])
        why = "\n".join("• " + mrkdwn_to_rich(r, result.names) for r in pair["reasons"])
        table.add_row(who, why)
    console.print(table)
    if len(pairs) > ROUND_ROWS:
        console.print(f"[dim]… and {len(pairs) - ROUND_ROWS} more pairs.[/dim]")


def _dept(result: DemoResult, user_id: str) -> str:
    person = result.people.get(user_id)
    return (person.department or "no department") if person else ""


def _print_figures(result: DemoResult, console: Console) -> None:
    console.print()
    console.rule("[bold]Program figures[/bold], as [bold]/tandem admin stats[/bold] shows them", align="left")
    for line in render_blocks(result.stats_blocks, result.names, max_lines=60):
        console.print(Padding(line, (0, 0, 0, 2)))


def _print_activity(result: DemoResult, console: Console) -> None:
    console.print()
    console.rule("[bold]What the simulated people did[/bold]", align="left")
    counts = result.activity
    ratings = {k: v for k, v in counts.items() if k.startswith("ratings: ")}
    rows = [(k, v) for k, v in counts.items() if k not in ratings]
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(justify="right", style="bold")
    table.add_column()
    for name, value in rows:
        table.add_row(str(value), escape(name))
    if ratings:
        spread = "  ".join(f"{k.removeprefix('ratings: ')}★ {v}" for k, v in sorted(ratings.items()))
        table.add_row("", f"ratings given: {spread}")
    table.add_row(str(result.messages_posted), "messages the bot posted (chat.postMessage)")
    console.print(table)


def result_json(result: DemoResult) -> dict[str, Any]:
    end = START + dt.timedelta(weeks=result.options.weeks)
    return {
        "demo": {"members": result.options.members, "weeks": result.options.weeks, "seed": result.options.seed,
                 "from": START.isoformat(), "to": end.isoformat(),
                 "database": str(result.database) if result.database_kept else None,
                 "chart": str(result.chart) if result.chart else None},
        "figures": result.figures,
        "activity": result.activity,
        "messages_posted": result.messages_posted,
        "problems": result.problems,
    }


# --- the command ----------------------------------------------------------------------------------------


def main(args: argparse.Namespace) -> int:
    """`python app.py demo [--members N] [--weeks W] [--seed S] [--database PATH] [--chart PATH] [--json]`."""
    if args.database is not None and args.database.exists():
        print(f"tandem demo: {args.database} already exists; the demo needs a new file", file=sys.stderr)
        return 2
    options = DemoOptions(members=args.members, weeks=args.weeks, seed=args.seed, database=args.database,
                          chart=args.chart)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    err = Console(stderr=True)
    total = options.weeks * 7 * 24 // int(STEP.total_seconds() // 3600) + 1
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[status]}"),
                  TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("Tandem demo", total=total, status="")

        def tick(now: dt.datetime, counts: Counter[str]) -> None:
            week = (now - START) // dt.timedelta(weeks=1) + 1
            status = (f"week {min(week, options.weeks)}/{options.weeks} · {counts['profiles submitted']} joined · "
                      f"{counts['introductions']} pairs · {counts['feedback given']} feedbacks")
            progress.update(task, advance=1, status=status)

        result = asyncio.run(run_demo(options, tick))
    if args.json:
        print(json.dumps(result_json(result), indent=2, ensure_ascii=False))
    else:
        print_report(result, Console(highlight=False))
    err.print(f"[dim]Played {options.weeks} weeks ({result.ticks} steps of run_due) in {result.seconds:.1f} s.[/dim]")
    return 1 if result.problems else 0
