"""Replicas (issue 10, item 12): two `python app.py serve` processes on one PostgreSQL
database, several `python app.py run-due --now …` processes at once, and the project's
fake Slack answering 429s and 500s. Whatever the interleaving: every member in one
group, one introduction per group, no message twice and none lost; a replica SIGKILLed
mid-delivery loses nothing; one event delivered to both replicas at once takes effect
once; weeks of prompts and check-ins stepped by several processes at once, each sent once.

Time: the replicas keep the real clock (their own scheduler ticks every minute, at the
real time, on the same database, and takes part in delivery like a third drainer). Weeks
pass only through `run-due --now` at instants after the real one, so the replicas' ticks
find none of that work due. A `--now` ahead of the real clock is a jump of the clock, and
leases (five minutes) mean nothing across a jump: a drainer at `now + 6 min` would take
back rows a live replica is sending at that moment. So every jump happens only while no
live process is sending (the replicas' own deliveries are over, or their sender was
killed), and the fake Slack's clock (its message timestamps, which the outbox's history
lookup reads) jumps with it.

Why PostgreSQL only: SQLite has one writer and no second server process to share it with
(`SKIP LOCKED`, advisory locks and the shared pacing rows are what is tested here).
Slack's rate limits are not simulated (the replicas' shared pacing still spaces
conversations.open), to keep the file within about three minutes on two cores.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import socket
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from bot import outbox
from bot.deps import Deps
from bot.models import Member, OutboxMessage, Pairing, PairingMember, ProcessedEvent, Round
from bot.rounds import run_round
from bot.workspaces import ensure_workspace, program_of
from devtools.fake_slack import FakeSlack
from devtools.slack_requests import SlackRequests
from tests import factories
from tests.conftest import ADMIN_ID, BOT_TOKEN, DATA_KEY, SIGNING_SECRET, TEAM_ID, Clock, RunningApp, eventually
from tests.e2e.helpers import submit_profile

ROOT = Path(__file__).resolve().parents[2]
NEEDS_POSTGRES = ("replicas share one PostgreSQL database: set TEST_DATABASE_URL=postgresql://… "
                  "(SQLite has one writer and no server for two processes to share)")
# Under `dev.py test`'s two workers these tests run one after another on one worker
# (tests/conftest.py, KEEP_TOGETHER): one set of replicas and run-due processes at a time.
pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL", "").startswith(("postgresql", "postgres:")), reason=NEEDS_POSTGRES
    ),
    # A hang guard for set-up, test and teardown together (two replicas start, then stop on
    # SIGTERM, finishing a tick): ~30 s each quiet, but at load average 15–20 the killed-replica
    # test took 37 + 82 s and its teardown then outlived the suite's 120 s.
    pytest.mark.timeout(300),
]


# ---------------------------------------------------------------------------------------------- processes

class SlackClock:
    """The fake Slack's clock (Unix time): the real one, moved forward when `run-due --now` jumps."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def jump_to(self, when: dt.datetime) -> None:
        self.offset = max(self.offset, when.timestamp() - time.time())


@dataclass
class Replica:
    name: str
    proc: asyncio.subprocess.Process
    app: RunningApp  # requests go to this replica; `deps` reads the shared database
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no lease given back, connections cut."""
        if self.proc.returncode is None:
            os.kill(self.proc.pid, signal.SIGKILL)

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        else:
            await self.proc.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(database_url: str, api_url: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": api_url, "DATABASE_URL": database_url, "TANDEM_DATA_KEY": DATA_KEY,
           # the admin named, so that `/tandem admin match` needs no users.info within the ack
           # (on a loaded machine that look-up can outlast ADMIN_CHECK_SECONDS and be refused)
           "TANDEM_ADMINS": ADMIN_ID, **extra}
    env.pop("SLACK_APP_TOKEN", None)
    return env


async def _start_replica(name: str, deps: Deps, fake: FakeSlack, database_url: str, tmp_path: Path) -> Replica:
    port = _free_port()
    log_path = tmp_path / f"replica-{name}.log"
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "app.py", "serve", cwd=ROOT, stdout=log, stderr=log,
            env=_env(database_url, fake.url, PORT=str(port), LOG_LEVEL="INFO"),
        )
    url = f"http://127.0.0.1:{port}"
    requests = SlackRequests(f"{url}/slack/events", SIGNING_SECRET, team_id=TEAM_ID,
                             response_url_for=fake.response_url)
    replica = Replica(name, proc, RunningApp(url=url, deps=deps, slack=fake, requests=requests, clock=Clock()),
                      log_path)
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            if proc.returncode is not None:
                raise AssertionError(f"replica {name} exited at start:\n{replica.log()[-3000:]}")
            try:
                async with http.get(f"{url}/healthz") as resp:
                    if resp.status == 200:
                        return replica
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    replica.kill()
    raise AssertionError(f"replica {name} never answered /healthz:\n{replica.log()[-3000:]}")


def assert_clean(*replicas: Replica) -> None:
    for replica in replicas:
        log = replica.log()
        assert "Traceback" not in log and " ERROR " not in log, f"replica {replica.name}:\n{log[-4000:]}"


@dataclass
class RunDue:
    """`python app.py run-due --now …` processes started together."""

    procs: list[asyncio.subprocess.Process]
    outputs: list[tuple[bytes, bytes]] = field(default_factory=list)

    @classmethod
    async def start(cls, database_url: str, api_url: str, now: dt.datetime, processes: int) -> RunDue:
        env = _env(database_url, api_url, LOG_LEVEL="WARNING")
        procs = await asyncio.gather(*(
            asyncio.create_subprocess_exec(sys.executable, "app.py", "run-due", "--now", now.isoformat(), cwd=ROOT,
                                           env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            for _ in range(processes)
        ))
        return cls(list(procs))

    async def finish(self, *, killed: bool = False) -> list[dict[str, int]]:
        """Wait for every process; each exits 0 (or, `killed`, by SIGKILL) and logs no error."""
        self.outputs = list(await asyncio.gather(*(p.communicate() for p in self.procs)))
        done = []
        for proc, (out, err) in zip(self.procs, self.outputs):
            log = err.decode(errors="replace")
            if killed and proc.returncode == -signal.SIGKILL:
                continue
            assert proc.returncode == 0 and "Traceback" not in log and " ERROR " not in log, log[-4000:]
            done.append({k: int(v) for k, v in (part.split("=") for part in out.decode().split())})
        return done


async def run_due(database_url: str, api_url: str, now: dt.datetime, processes: int = 2) -> list[dict[str, int]]:
    return await (await RunDue.start(database_url, api_url, now, processes)).finish()


def real_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# ---------------------------------------------------------------------------------------------- fixtures

@pytest.fixture
def slack_clock() -> SlackClock:
    return SlackClock()


@pytest.fixture
async def fake_slack(slack_clock: SlackClock) -> AsyncIterator[FakeSlack]:
    """The conftest's fake Slack, with a clock that can jump with `run-due --now`."""
    async with FakeSlack(clock=slack_clock) as fake:
        fake.add_user(ADMIN_ID, name="ada", real_name="Ada Admin", is_admin=True)
        yield fake


@pytest.fixture
async def replicas(deps: Deps, fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> AsyncIterator[list[Replica]]:
    """Two `python app.py serve` replicas on the test database (both migrate at start)."""
    started = await asyncio.gather(
        *(_start_replica(name, deps, fake_slack, database_url, tmp_path) for name in ("a", "b")),
        return_exceptions=True,
    )
    alive = [r for r in started if isinstance(r, Replica)]
    try:
        for result in started:
            if isinstance(result, BaseException):
                raise result
        yield alive
    finally:
        await asyncio.gather(*(r.stop() for r in alive))


# ---------------------------------------------------------------------------------------------- checks

def posted_keys(fake: FakeSlack) -> Counter[str]:
    """Outbox keys of every message Slack holds (its metadata), counted."""
    return Counter(c.params["metadata"]["event_payload"]["key"] for c in fake.calls_to("chat.postMessage")
                   if c.ok and (c.params.get("metadata") or {}).get("event_payload"))


async def outbox_rows(deps: Deps) -> list[OutboxMessage]:
    async with deps.sessionmaker() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def assert_each_message_once(deps: Deps, fake: FakeSlack) -> Counter[str]:
    """Nothing twice (no outbox key in two posts), nothing lost (every row sent, and Slack
    holds each), nothing unknown (every post is a row's)."""
    keys = posted_keys(fake)
    assert not {k: n for k, n in keys.items() if n > 1}, "posted twice"
    rows = await outbox_rows(deps)
    assert [(r.idempotency_key, r.state, r.error) for r in rows if r.state != "sent"] == []
    assert sorted(keys) == sorted(r.idempotency_key for r in rows)
    return keys


async def wait_until_settled(deps: Deps, timeout: float = 30) -> None:
    """No outbox row is being sent (every sender alive is done with what it claimed)."""
    async def settled() -> bool:
        return all(r.state != "sending" for r in await outbox_rows(deps))

    await eventually(settled, timeout=timeout, interval=0.2)


async def deliver_the_rest(deps: Deps, database_url: str, api_url: str, *, start: dt.datetime,
                           every: dt.timedelta, processes: int = 2, tries: int = 6) -> None:
    """Retries (backed off after the 500s) through `run-due` processes until all is sent."""
    when = start
    for _ in range(tries):
        await wait_until_settled(deps)
        if all(r.state == "sent" for r in await outbox_rows(deps)):
            return
        when = max(when + every, real_now())
        await run_due(database_url, api_url, when, processes)
    assert [(r.idempotency_key, r.state, r.error) for r in await outbox_rows(deps) if r.state != "sent"] == []


async def seed_members(deps: Deps, fake: FakeSlack, count: int, now: dt.datetime, prefix: str = "U") -> list[str]:
    """Active members who can be paired two by two (each offers what the next one wants)."""
    people = [f"{prefix}{i:02d}" for i in range(count)]
    async with deps.sessionmaker.begin() as session:
        ws = await ensure_workspace(session, TEAM_ID, now)
        for i, user_id in enumerate(people):
            fake.add_user(user_id, real_name=f"Person {user_id}", tz="Europe/Berlin" if i % 2 else "America/New_York")
            pair = i // 2
            mine, theirs = (f"Skill A{pair}", f"Skill B{pair}") if i % 2 == 0 else (f"Skill B{pair}", f"Skill A{pair}")
            member = await factories.member(session, ws, user_id, offers=[mine], wants=[theirs],
                                            department="Sales" if i % 2 else "Data", now=now)
            member.tz = "Europe/Berlin" if i % 2 else "America/New_York"
            member.tz_offset = 3600 if i % 2 else -5 * 3600
    return people


async def groups_of(deps: Deps) -> dict[int, set[str]]:
    """Active pairings and their members' Slack ids."""
    async with deps.sessionmaker() as session:
        rows = (await session.execute(
            select(Pairing.id, Member.slack_user_id).join(PairingMember, PairingMember.pairing_id == Pairing.id)
            .join(Member, Member.id == PairingMember.member_id).where(Pairing.state == "active")
        )).all()
    groups: dict[int, set[str]] = {}
    for pairing_id, user_id in rows:
        groups.setdefault(pairing_id, set()).add(user_id)
    return groups


async def assert_one_intro_per_group(deps: Deps, fake: FakeSlack, people: list[str]) -> dict[int, set[str]]:
    """Every member in exactly one group; each group introduced once, in its own group DM."""
    groups = await groups_of(deps)
    seats = Counter(user for members in groups.values() for user in members)
    assert sorted(seats) == sorted(people) and set(seats.values()) == {1}, seats
    intros = [c for c in fake.calls_to("chat.postMessage")
              if c.ok and (c.params.get("metadata") or {}).get("event_payload", {}).get("key", "").startswith("intro:")]
    by_pairing = Counter(int(c.params["metadata"]["event_payload"]["key"].split(":")[1]) for c in intros)
    assert by_pairing == Counter(dict.fromkeys(groups, 1))
    async with deps.sessionmaker() as session:
        conversations = dict((await session.execute(select(Pairing.id, Pairing.conversation_id))).all())
    for call in intros:
        pairing_id = int(call.params["metadata"]["event_payload"]["key"].split(":")[1])
        channel = call.response["channel"]
        assert conversations[pairing_id] == channel
        conversation = fake.channel(channel)
        assert conversation is not None and set(conversation.members) == groups[pairing_id]
        assert len([m for m in fake.messages(channel) if "intro:" in json.dumps(m.get("metadata"))]) == 1
    return groups


# ---------------------------------------------------------------------------------------------- (a)

JOINERS = 10


async def test_members_join_through_both_replicas_and_one_round_introduces_each_group_once(
    replicas: list[Replica], deps: Deps, fake_slack: FakeSlack, database_url: str
) -> None:
    a, b = replicas
    people = [f"UJ{i:02d}" for i in range(JOINERS)]
    for i, user_id in enumerate(people):
        fake_slack.add_user(user_id, real_name=f"Joiner {i}", tz="Europe/Berlin" if i % 2 else "America/New_York")
    # Faults while people join and while the round is delivered; the interactive client retries
    # some, the outbox the rest.
    fake_slack.fail_next("chat.postMessage", status=500, count=3)
    fake_slack.fail_next("conversations.open", status=429, retry_after=1, count=2)
    fake_slack.fail_next("views.publish", status=500, count=2)

    async def join(i: int, user_id: str) -> None:
        replica = replicas[i % 2]
        offers, wants = ("Python", "Go") if i % 2 == 0 else ("Go", "Python")
        status, body = await submit_profile(replica.app, user_id, new_offers=offers, new_wants=wants,
                                            department="Data" if i % 2 == 0 else "Sales")
        assert status == 200 and not body, body

    await asyncio.gather(*(join(i, u) for i, u in enumerate(people)))

    async def everyone_joined() -> bool:
        async with deps.sessionmaker() as session:
            active = await session.scalar(
                select(func.count()).select_from(Member).where(Member.slack_user_id.in_(people), Member.status == "active"))
        return active == JOINERS

    await eventually(everyone_joined, timeout=30, interval=0.2)

    fake_slack.fail_next("chat.postMessage", status=500, count=3)
    fake_slack.fail_next("conversations.open", status=429, retry_after=1, count=2)
    started = real_now()
    # The round starts on replica a; three run-due processes (at the real time) drain beside
    # a's own delivery and both replicas' ticks.
    drainers = await RunDue.start(database_url, fake_slack.url, started, processes=3)
    status, text, _ = await a.app.requests.slash_command(ADMIN_ID, "admin match")
    assert status == 200 and "Starting a matching round" in text
    await fake_slack.wait_for("response_url", predicate=lambda c: "Round started" in str(c.params), timeout=30)
    await drainers.finish()
    await deliver_the_rest(deps, database_url, fake_slack.url, start=real_now(), every=dt.timedelta(seconds=30))

    groups = await assert_one_intro_per_group(deps, fake_slack, people)
    assert len(groups) == JOINERS // 2
    keys = await assert_each_message_once(deps, fake_slack)
    assert sum(k.startswith("profile-saved:") for k in keys) == JOINERS
    async with deps.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Round)) == 1
    assert_clean(a, b)


# ---------------------------------------------------------------------------------------------- (b)

PAIRS_KILLED = 8  # within one claim (outbox.CLAIM_BATCH): the killed replica holds every intro


async def test_a_replica_killed_mid_delivery_loses_nothing_and_sends_nothing_twice(
    replicas: list[Replica], deps: Deps, fake_slack: FakeSlack, database_url: str, slack_clock: SlackClock
) -> None:
    a, b = replicas
    people = await seed_members(deps, fake_slack, 2 * PAIRS_KILLED, real_now())
    posted: list[str] = []

    def crash_after_third_intro(params: dict, answer: dict) -> None:
        # Slack has posted it; replica a dies before it hears so, never marking it sent.
        posted.append(params["metadata"]["event_payload"]["key"])
        if len(posted) == 3:
            a.kill()

    fake_slack.after("chat.postMessage", crash_after_third_intro)
    fake_slack.delay("chat.postMessage", 0.2, count=2 * PAIRS_KILLED)  # several posts in flight at the kill
    status, _, _ = await a.app.requests.slash_command(ADMIN_ID, "admin match")
    assert status == 200
    assert await asyncio.wait_for(a.proc.wait(), 30) == -signal.SIGKILL
    fake_slack.after("chat.postMessage", None)
    await asyncio.sleep(1.0)  # posts already on their way land (Slack finishes them)

    rows = await outbox_rows(deps)
    held = {r.idempotency_key for r in rows if r.state == "sending"}
    assert len(rows) == PAIRS_KILLED and held, [(r.idempotency_key, r.state) for r in rows]
    assert held & set(posted_keys(fake_slack)), "no post reached Slack unrecorded: the kill came too late"

    # Replica b lives on (its ticks see the dead replica's leases as held); run-due processes
    # after the lease finish, under 500s, looking each held row up in its conversation first.
    fake_slack.fail_next("chat.postMessage", status=500, count=2)
    after_lease = real_now() + dt.timedelta(minutes=6)
    slack_clock.jump_to(after_lease)
    await run_due(database_url, fake_slack.url, after_lease, processes=2)
    await deliver_the_rest(deps, database_url, fake_slack.url, start=after_lease, every=dt.timedelta(minutes=1))

    await assert_one_intro_per_group(deps, fake_slack, people)
    await assert_each_message_once(deps, fake_slack)
    assert_clean(b)


# ---------------------------------------------------------------------------------------------- (c)

async def test_one_event_delivered_to_both_replicas_at_once_takes_effect_once(
    replicas: list[Replica], deps: Deps, fake_slack: FakeSlack
) -> None:
    a, b = replicas
    now = real_now()
    stayer, leaver = await seed_members(deps, fake_slack, 2, now, prefix="UE")
    async with deps.sessionmaker.begin() as session:
        ws = await ensure_workspace(session, TEAM_ID, now)
        assert await run_round(session, await program_of(session, ws.id), now) is not None
    await outbox.drain(deps, real_now())  # their introduction (the replicas tick a minute apart)
    [pairing_id] = await groups_of(deps)
    async with deps.sessionmaker() as session:
        stayer_id = await session.scalar(select(Member.id).where(Member.slack_user_id == stayer))

    def homes_of(user_id: str) -> int:
        return len([c for c in fake_slack.calls_to("views.publish") if c.ok and c.params.get("user_id") == user_id])

    homes = homes_of(stayer)
    deactivation = {"type": "user_change", "user": fake_slack.set_user(leaver, deleted=True).to_api()}
    home_opened = {"type": "app_home_opened", "user": stayer, "tab": "home", "channel": "D0STAYER"}
    # Slack retries an event it thinks was missed; here both copies arrive at once, one on each replica.
    answers = await asyncio.gather(*(
        request for event_id, event in (("EvREPLICA1", deactivation), ("EvREPLICA2", home_opened))
        for request in (a.app.requests.event(event, event_id=event_id),
                        b.app.requests.event(event, event_id=event_id, retry_num=1))
    ))
    assert [status for status, _, _ in answers] == [200] * 4
    # the deactivation refreshes the partner's home, and so does the home opened: once each
    await fake_slack.wait_for("views.publish", homes + 2, predicate=lambda c: c.params.get("user_id") == stayer,
                              timeout=30)
    await wait_until_settled(deps)
    await asyncio.sleep(1.0)  # a second handler, had one run, would have published by now

    for event_id in ("EvREPLICA1", "EvREPLICA2"):
        dropped = [r.name for r in replicas if f"dropping repeated event {event_id}" in r.log()]
        assert len(dropped) == 1, (event_id, [r.log()[-2000:] for r in replicas])
    assert homes_of(stayer) == homes + 2
    async with deps.sessionmaker() as session:
        assert set(await session.scalars(select(ProcessedEvent.event_id))) == {"EvREPLICA1", "EvREPLICA2"}
        statuses = dict((await session.execute(select(Member.slack_user_id, Member.status))).all())
    assert statuses[leaver] not in ("active", "paused") and statuses[stayer] == "active"
    keys = await assert_each_message_once(deps, fake_slack)
    assert f"pairing-ended:{pairing_id}:{stayer_id}" in keys
    assert_clean(a, b)


# ---------------------------------------------------------------------------------------------- (d)

WEEKS_MEMBERS = 8
DAYS = 10  # weekly sessions: the kick-off and the next, with their prompts, reminders and check-ins
STEP = dt.timedelta(hours=27)  # across the day: each step three hours later in it than the last


# A hang guard, not a speed target: ~1–2 minutes on a quiet 2-core machine, 4–5 at load average 20.
@pytest.mark.timeout(600)
async def test_weeks_of_prompts_and_checkins_stepped_by_several_processes_each_sent_once(
    replicas: list[Replica], deps: Deps, fake_slack: FakeSlack, database_url: str, slack_clock: SlackClock
) -> None:
    a, b = replicas
    people = await seed_members(deps, fake_slack, WEEKS_MEMBERS, real_now(), prefix="UW")
    async with deps.sessionmaker.begin() as session:
        program = await program_of(session, (await ensure_workspace(session, TEAM_ID, real_now())).id)
        program.cadence, program.sessions_per_pairing = "weekly", 3
    status, _, _ = await b.app.requests.slash_command(ADMIN_ID, "admin match")
    assert status == 200
    await fake_slack.wait_for("response_url", predicate=lambda c: "Round started" in str(c.params), timeout=30)
    await deliver_the_rest(deps, database_url, fake_slack.url, start=real_now(), every=dt.timedelta(seconds=30))
    groups = await assert_one_intro_per_group(deps, fake_slack, people)
    start = real_now()

    killed_at: int | None = None
    steps = int(dt.timedelta(days=DAYS) / STEP) + 1
    for step in range(1, steps + 1):
        when = start + step * STEP
        slack_clock.jump_to(when)
        faulty = step % 3 == 0
        if faulty:
            fake_slack.fail_next("chat.postMessage", status=500, count=2)
            fake_slack.fail_next("conversations.open", status=429, retry_after=1, count=2)
        if killed_at is None and step >= 2:
            # One process alone, SIGKILLed once Slack has posted its first message of the step;
            # the next tick after the lease finds that message in the conversation and moves on.
            run = await RunDue.start(database_url, fake_slack.url, when, processes=1)
            fake_slack.after("chat.postMessage", lambda params, answer: _kill_all(run))
            await run.finish(killed=True)
            fake_slack.after("chat.postMessage", None)
            if run.procs[0].returncode == -signal.SIGKILL:
                killed_at = step
                await run_due(database_url, fake_slack.url, when + outbox.LEASE + dt.timedelta(minutes=1))
        else:
            await run_due(database_url, fake_slack.url, when, processes=3 if step % 4 == 0 else 2)
        if faulty:  # the next minutes' ticks retry what failed (a message a day old is dropped)
            fake_slack.clear_faults()
            await run_due(database_url, fake_slack.url, when + dt.timedelta(minutes=2), processes=1)
    end = when + dt.timedelta(hours=1)
    slack_clock.jump_to(end)
    await deliver_the_rest(deps, database_url, fake_slack.url, start=end, every=dt.timedelta(minutes=10))

    assert killed_at is not None
    keys = await assert_each_message_once(deps, fake_slack)
    kinds = Counter(key.split(":")[0] for key in keys)
    assert kinds["kickoff-prompt"] == len(groups) and kinds["checkin"] >= len(groups), kinds
    assert kinds["dilemma-prompt"] + kinds["brainstorm-prompt"] >= len(groups), kinds
    assert_clean(a, b)


def _kill_all(run: RunDue) -> None:
    for proc in run.procs:
        if proc.returncode is None:
            os.kill(proc.pid, signal.SIGKILL)
