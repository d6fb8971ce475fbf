"""The demo's simulation: a clock stepped hour by hour, and people who answer what Slack shows them.

`Demo` drives the real bot (a Bolt app serving HTTP on 127.0.0.1, with the fake
Slack behind its gateway) exactly as Slack and people would: signed slash
commands, block_actions, block_suggestions, view_submissions and events. It
reads what the bot sent to the fake (`demo_slack.Screen`) and plans each
person's answer at a plausible working hour. Every decision is drawn from a
generator seeded by the decision itself (`demo_people.decision_rng`), and
actions run in waves with the bot's work finished in between (`Quiet`), so
the same seed gives the same run. See `devtools/demo.py` for the command.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import heapq
import itertools
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot import ids
from bot.deps import Deps
from devtools.demo_people import (
    DILEMMAS,
    EXPERIMENTS,
    GOALS,
    PRIVATE_NOTES,
    RETRO_LEARNED,
    SHARED_INTENTS,
    TAKEAWAYS,
    Person,
    awake,
    decision_rng,
)
from devtools.demo_slack import (
    Modal,
    Posted,
    Screen,
    Seen,
    buttons_of,
    fill_modal,
    initial_of,
)
from devtools.fake_slack import FakeSlack
from devtools.slack_requests import SlackRequests
from bot.scheduler import run_due

START = dt.datetime(2026, 3, 4, 9, 0, tzinfo=dt.timezone.utc)  # a Wednesday: people join, rounds start Monday
STEP = dt.timedelta(hours=3)  # how often run_due runs in demo time (the real bot: every minute)
TEAM_ID = "T0DEMO"
CHANNEL_ID, CHANNEL_NAME = "C0MENTORING", "mentoring"
ADMIN_ID, ADMIN_NAME, ADMIN_TZ = "U0ADMIN", "Morgan Reyes", "Europe/London"
# The admin makes the program weekly with four sessions a pairing, so a pairing runs about
# four weeks and the default demo (12 weeks) shows pairings completing and their
# retrospectives, not only beginnings.
ADMIN_SETTINGS: dict[str, str] = {ids.SETTINGS_CADENCE[0]: "weekly", ids.SETTINGS_SESSIONS[0]: "4"}
MAX_LANES = 24  # pairs acting at once
QUIET_TIMEOUT = 120.0

@dataclass(frozen=True)
class DemoOptions:
    members: int = 40
    weeks: int = 12
    seed: int = 1
    database: Path | None = None  # kept; None: a temporary file, deleted at the end
    chart: Path | None = None


@dataclass(order=True)
class Planned:
    """Something a person will do at `at` (ties broken by a stable key, never by arrival)."""

    at: dt.datetime
    sort_key: str
    lane: str = field(compare=False)
    run: Callable[[], Awaitable[None]] = field(compare=False)


@dataclass
class Clock:
    """The demo's clock: `Deps.clock` and the fake Slack's message timestamps read it."""

    now: dt.datetime = START

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass(frozen=True)
class Act:
    """A person's action, for the transcript."""

    at: dt.datetime
    user_id: str
    text: str  # rich markup


# An aiohttp server's task for one TCP connection: it lives as long as the client keeps the
# connection alive (the bot's one HTTP session for Slack does), idle between requests. Each
# request on it runs in a task of its own, which Quiet does wait for.
_CONNECTION_TASK = "RequestHandler.start"


class Quiet:
    """Waits until every task started since `install` has finished: the work a Bolt
    listener does after its ack, the outbox's sends, the requests the servers handle (not
    the kept-alive connections they arrive on)."""

    def __init__(self) -> None:
        self.live: set[asyncio.Task[Any]] = set()
        self.stuck: set[asyncio.Task[Any]] = set()

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        previous = loop.get_task_factory()

        def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
            task = previous(loop, coro, **kwargs) if previous else asyncio.Task(coro, loop=loop, **kwargs)
            if getattr(coro, "__qualname__", "") != _CONNECTION_TASK:
                self.live.add(task)
                task.add_done_callback(self.live.discard)
            return task  # type: ignore[return-value]

        loop.set_task_factory(factory)  # type: ignore[arg-type]

    async def wait(self) -> list[str]:
        """Returns the names of tasks still running after QUIET_TIMEOUT (a problem)."""
        me = asyncio.current_task()
        deadline = time.monotonic() + QUIET_TIMEOUT
        for _ in range(1_000_000):
            others = [t for t in self.live if t is not me and t not in self.stuck and not t.done()]
            if not others:
                await asyncio.sleep(0)  # a finished request may start a task in the next loop pass
                if not any(t is not me and t not in self.stuck and not t.done() for t in self.live):
                    return []
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                self.stuck.update(others)
                return [t.get_name() + ": " + repr(t.get_coro())[:80] for t in others]
            await asyncio.wait(others, timeout=left)
        return []


class Demo:
    """Drives the real bot through a fake Slack: people, the clock and their reactions."""

    def __init__(self, options: DemoOptions, people: list[Person], fake: FakeSlack, deps: Deps,
                 requests: SlackRequests, clock: Clock, quiet: Quiet,
                 progress: Callable[[dt.datetime, Counter[str]], None]) -> None:
        self.options, self.seed = options, options.seed
        self.people = {p.user_id: p for p in people}
        self.fake, self.deps, self.requests, self.clock, self.quiet = fake, deps, requests, clock, quiet
        self.progress = progress
        everyone = (ADMIN_ID, *self.people)
        self.screen = Screen(fake, public_audience={CHANNEL_ID: everyone})
        self.queue: list[Planned] = []
        self.lane_of: dict[str, str] = {}
        self.pair_members: dict[str, tuple[str, ...]] = {}  # pairing id -> user ids
        self.pair_channel: dict[str, str] = {}  # pairing id -> conversation
        self.joined: set[str] = set()
        self.goal_setters: set[tuple[str, str]] = set()  # (pairing id, user)
        self.dilemma_intent: dict[str, str] = {}
        self.counts: Counter[str] = Counter()
        self.feedback_done: set[tuple[str, str]] = set()  # (session id, user id): answered once is enough
        self.timings: Counter[str] = Counter()  # seconds: run_due, people (requests and the bot's answers)
        self.requests_sent = 0
        self.acts: list[Act] = []
        self.posted: list[Posted] = []
        self.admin_answers: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self._response_keys = itertools.count(1)
        self.names = {p.user_id: p.name for p in people} | {ADMIN_ID: ADMIN_NAME, fake.bot_user_id: "Tandem"}

    # --- the run ---------------------------------------------------------------------------------

    async def run(self) -> int:
        """Set the program up, then step the clock hour by hour to the end; returns the ticks."""
        await self.setup()
        end = START + dt.timedelta(weeks=self.options.weeks)
        ticks = 0
        now = START
        while now <= end:
            self.clock.now = now
            started = time.perf_counter()
            await run_due(self.deps, now)  # delivers with deps.pacer (none: the fake has no limits)
            self.timings["run_due"] += time.perf_counter() - started
            started = time.perf_counter()
            await self.settle(now)
            self.timings["people"] += time.perf_counter() - started
            ticks += 1
            self.progress(now, self.counts)
            now += STEP
        self.clock.now = end
        return ticks

    async def setup(self) -> None:
        """The admin announces the program and makes it weekly; joiners are scheduled."""
        self.clock.now = START
        await self.admin_command(f"admin announce <#{CHANNEL_ID}|{CHANNEL_NAME}>")
        await self.settle(START)
        await self.admin_command("admin")  # the settings modal; answered in settle()
        await self.settle(START)
        for person in self.people.values():
            at = awake(START + dt.timedelta(hours=person.join_after_hours), person.zone,
                       decision_rng(self.seed, "join-time", person.user_id))
            if person.joins_by == "command":
                self.plan(at, f"join-command:{person.user_id}", person.user_id, self._join_by_command(person))
            elif person.joins_by == "channel":
                self.plan(at, f"join-channel:{person.user_id}", "joins", self._join_channel(person))
            if person.pause_after_hours is not None:
                at = awake(START + dt.timedelta(hours=person.pause_after_hours), person.zone,
                           decision_rng(self.seed, "pause-time", person.user_id))
                self.plan(at, f"pause:{person.user_id}", person.user_id, self._pause(person))
            if person.leave_after_hours is not None:
                at = awake(START + dt.timedelta(hours=person.leave_after_hours), person.zone,
                           decision_rng(self.seed, "leave-time", person.user_id))
                self.plan(at, f"leave:{person.user_id}", person.user_id, self._leave(person))

    async def finish(self) -> None:
        """The admin asks for the figures: `/tandem admin stats` (the chart is uploaded to the fake)."""
        await self.admin_command("admin stats")
        await self.settle(self.clock.now)

    async def settle(self, now: dt.datetime) -> None:
        """Let people react to everything Slack shows them at `now`, until nothing more is due.

        Actions run in waves: each lane (one pair, or one person) does one thing per wave
        and the bot finishes all its work (`Quiet`) before the next wave, so what happens
        never depends on which request the event loop served first. Joining is one lane,
        so members are created in a stable order."""
        while True:
            problems = await self.quiet.wait()
            self.problems += [f"still running after {QUIET_TIMEOUT:.0f}s: {p}" for p in problems]
            self.observe(self.screen.look(), now)
            due: dict[str, list[Planned]] = defaultdict(list)
            while self.queue and self.queue[0].at <= now:
                item = heapq.heappop(self.queue)
                due[item.lane].append(item)
            if not due:
                return
            lanes = [due[lane] for lane in sorted(due)]
            for wave in itertools.count():
                batch = [lane[wave] for lane in lanes if wave < len(lane)]
                if not batch:
                    break
                if wave:
                    await self.quiet.wait()
                await self._run_batch(batch)

    async def _run_batch(self, batch: list[Planned]) -> None:
        self.timings["waves"] += 1
        gate = asyncio.Semaphore(MAX_LANES)

        async def one(item: Planned) -> None:
            async with gate:
                try:
                    await item.run()
                except Exception as exc:  # noqa: BLE001 - reported as a problem; the run goes on
                    self.problems.append(f"{item.sort_key}: {type(exc).__name__}: {exc}")

        await asyncio.gather(*(one(item) for item in batch))

    def plan(self, at: dt.datetime, key: str, lane: str, run: Callable[[], Awaitable[None]]) -> None:
        heapq.heappush(self.queue, Planned(at, key, self.lane_of.get(lane, lane), run))

    def later(self, user_id: str, now: dt.datetime, key: str, low: float, high: float) -> dt.datetime:
        """When `user_id` gets to something seen at `now`: some hours later, at work."""
        rng = decision_rng(self.seed, "delay", key, user_id)
        zone = self.people[user_id].zone if user_id in self.people else ZoneInfo(ADMIN_TZ)
        return awake(now + dt.timedelta(hours=rng.uniform(low, high)), zone, rng)

    def act(self, user_id: str, text: str) -> None:
        self.acts.append(Act(self.clock.now, user_id, text))

    # --- Slack requests, as Slack would send them --------------------------------------------------

    def _trigger(self, user_id: str) -> str:
        trigger = self.requests.new_trigger_id()
        self.screen.trigger_owner[trigger] = user_id
        return trigger

    def _response_url(self, user_id: str) -> str:
        key = f"demo-{next(self._response_keys)}"
        self.screen.response_owner[key] = user_id
        return self.fake.response_url(key)

    def _check(self, status: int, what: str) -> None:
        self.requests_sent += 1
        if status != 200:
            self.problems.append(f"{what}: HTTP {status}")

    async def command(self, user_id: str, text: str) -> dict[str, Any]:
        status, _, body = await self.requests.slash_command(
            user_id, text, channel_id=CHANNEL_ID, channel_name=CHANNEL_NAME, trigger_id=self._trigger(user_id),
            response_url=self._response_url(user_id))
        self._check(status, f"/tandem {text}")
        return body if isinstance(body, dict) else {}

    async def admin_command(self, text: str) -> None:
        await self.command(ADMIN_ID, text)

    async def click(self, user_id: str, posted: Posted, action_id: str) -> None:
        button = posted.button(action_id)
        if button is None:
            self.problems.append(f"no {action_id} button in {posted.key}")
            return
        status, _, _ = await self.requests.block_action(
            user_id, action_id, button.value, block_id=button.block_id, channel_id=posted.channel,
            trigger_id=self._trigger(user_id), response_url=self._response_url(user_id), message=posted.message)
        self._check(status, f"{action_id} by {user_id}")

    async def submit(self, modal: Modal, answers: dict[str, Any]) -> dict[str, Any]:
        view = modal.view
        status, _, body = await self.requests.view_submission(
            modal.user_id, modal.callback_id, fill_modal(view, answers),
            private_metadata=view.get("private_metadata") or "", view_id=view["id"], blocks=view["blocks"],
            external_id=view.get("external_id") or "")
        self._check(status, f"{modal.callback_id} by {modal.user_id}")
        body = body if isinstance(body, dict) else {}
        if body.get("response_action") == "errors":
            self.problems.append(f"{modal.callback_id} by {modal.user_id} was refused: {body.get('errors')}")
        return body

    # --- looking at the screen -----------------------------------------------------------------------

    def observe(self, seen: Seen, now: dt.datetime) -> None:
        for call in seen.failed:
            self.problems.append(f"Slack said {call.response.get('error')!r} to {call.method}")
        for user_id, body in seen.answers:
            if user_id == ADMIN_ID:
                self.admin_answers.append(body)
        for posted in seen.posted:
            self.posted.append(posted)
            self.on_message(posted, now)
        for modal in seen.modals:
            self.on_modal(modal, now)

    def on_message(self, posted: Posted, now: dt.datetime) -> None:
        kind = posted.key.split(":", 1)[0]
        handlers = {
            ids.JOIN: self._seen_join, ids.OPEN_DILEMMA: self._seen_dilemma_prompt,
            ids.CHECKIN_MET: self._seen_checkin, ids.OPEN_FEEDBACK: self._seen_feedback_ask,
            ids.FIT_YES: self._seen_fit_check, ids.STALLED_CONTINUE: self._seen_stalled,
            ids.OPEN_RETRO: self._seen_retro,
        }
        if kind == "intro":
            self._seen_intro(posted, now)
        elif kind == "kickoff-prompt":
            self._seen_kickoff(posted, now)
        for button in posted.buttons:
            if button.action_id in handlers:
                handlers[button.action_id](posted, now)
                return

    def on_modal(self, modal: Modal, now: dt.datetime) -> None:
        answer = {
            ids.PROFILE_VIEW: self._answer_profile, ids.GOALS_VIEW: self._answer_goals,
            ids.DILEMMA_VIEW: self._answer_dilemma, ids.FEEDBACK_VIEW: self._answer_feedback,
            ids.RESCHEDULE_VIEW: self._answer_time, ids.RETRO_VIEW: self._answer_retro,
            ids.SETTINGS_VIEW: self._answer_settings,
        }.get(modal.callback_id)
        if modal.callback_id == ids.INFO_VIEW:
            self.counts["out-of-date buttons answered kindly"] += 1
        if answer is not None:
            lane = "joins" if modal.callback_id == ids.PROFILE_VIEW else modal.user_id
            self.plan(now, f"modal:{modal.callback_id}:{modal.user_id}:{modal.view.get('private_metadata')}", lane,
                      lambda: answer(modal))

    # --- joining ---------------------------------------------------------------------------------------

    def _seen_join(self, posted: Posted, now: dt.datetime) -> None:
        if posted.channel == CHANNEL_ID:  # the announcement: everyone who joins by its button
            for person in self.people.values():
                if person.joins_by == "announcement":
                    at = awake(START + dt.timedelta(hours=person.join_after_hours), person.zone,
                               decision_rng(self.seed, "join-time", person.user_id))
                    self.plan(max(at, now), f"join:{person.user_id}", person.user_id, self._click_join(person, posted))
            return
        for user_id in posted.audience:  # an invitation by DM
            if user_id in self.people and decision_rng(self.seed, "accept", user_id).random() < 0.9:
                self.plan(self.later(user_id, now, posted.key, 0.5, 8), f"join:{user_id}", user_id,
                          self._click_join(self.people[user_id], posted))

    def _click_join(self, person: Person, posted: Posted) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            self.counts["clicked Join (announcement)" if posted.channel == CHANNEL_ID
                        else "clicked Join (invitation)"] += 1
            await self.click(person.user_id, posted, ids.JOIN)
        return run

    def _join_by_command(self, person: Person) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            self.counts["typed /tandem join"] += 1
            await self.command(person.user_id, "join")
        return run

    def _join_channel(self, person: Person) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            self.counts["joined #mentoring later"] += 1
            status, _, _ = await self.requests.event({
                "type": "member_joined_channel", "user": person.user_id, "channel": CHANNEL_ID,
                "channel_type": "C", "team": TEAM_ID, "inviter": ADMIN_ID,
            })
            self._check(status, "member_joined_channel")
        return run

    async def _answer_profile(self, modal: Modal) -> None:
        person = self.people[modal.user_id]
        answers: dict[str, Any] = {
            ids.EXPERIENCE[0]: str(person.experience), ids.DEPARTMENT[0]: person.department,
            ids.CAREER_GOALS[0]: person.career_goals, ids.SESSION_FORMAT[0]: person.session_format,
            ids.DONT_PAIR[0]: list(person.blocked),
        }
        if person.typeahead:
            answers[ids.OFFERS[0]] = [await self._typeahead(person, ids.OFFERS, s, modal) for s in person.offers]
            answers[ids.WANTS[0]] = [await self._typeahead(person, ids.WANTS, s, modal) for s in person.wants]
            self.counts["picked skills with the type-ahead"] += 1
        else:
            answers[ids.NEW_OFFERS[0]] = ", ".join(person.offers)
            answers[ids.NEW_WANTS[0]] = ", ".join(person.wants)
        body = await self.submit(modal, answers)
        if body.get("response_action") != "errors":
            self.joined.add(person.user_id)
            self.counts["profiles submitted"] += 1

    async def _typeahead(self, person: Person, field: tuple[str, str], skill: str, modal: Modal) -> dict[str, Any]:
        """Type the first letters of a skill into the select, then pick it (or “➕ Add” it)."""
        for typed in (skill[:4], skill):
            status, _, body = await self.requests.block_suggestion(person.user_id, field[1], typed,
                                                                   block_id=field[0], view=modal.view)
            self._check(status, "block_suggestion")
            options = (body or {}).get("options") or []
            exact = [o for o in options if o["text"]["text"].casefold() == skill.casefold()]
            added = [o for o in options if o["value"].startswith("new:")]
            if exact or (typed == skill and (added or options)):
                return (exact or added or options)[0]
        raise RuntimeError(f"the type-ahead offered nothing for {skill!r}")

    # --- a pairing ---------------------------------------------------------------------------------------

    def _members(self, posted: Posted) -> list[str]:
        return sorted(u for u in posted.audience if u in self.people)

    def _seen_intro(self, posted: Posted, now: dt.datetime) -> None:
        button = posted.button(ids.OPEN_GOALS)
        members = self._members(posted)
        if button is None or not members:
            return
        pairing = button.value
        self.pair_members[pairing], self.pair_channel[pairing] = tuple(members), posted.channel
        for user_id in members:
            self.lane_of[user_id] = posted.channel
        self.counts["introductions"] += 1
        for user_id in members:
            rng = decision_rng(self.seed, "goals", pairing, user_id)
            if rng.random() < 0.25 + 0.45 * self.people[user_id].diligence:
                self.plan(self.later(user_id, now, posted.key, 1, 40), f"goals:{pairing}:{user_id}", user_id,
                          self._click_goals(user_id, pairing, posted))
        rng = decision_rng(self.seed, "pick-time", pairing)
        if rng.random() < 0.08:
            user_id = rng.choice(members)
            self.plan(self.later(user_id, now, posted.key, 1, 24), f"time:{pairing}", user_id,
                      self._clicker(user_id, posted, ids.PICK_SESSION_TIME, "asked to pick a session time"))

    def _seen_kickoff(self, posted: Posted, now: dt.datetime) -> None:
        button = posted.button(ids.OPEN_GOALS)
        if button is None:
            return
        for user_id in self._members(posted):
            if (button.value, user_id) in self.goal_setters:
                continue
            if decision_rng(self.seed, "goals-late", button.value, user_id).random() < 0.3:
                self.plan(self.later(user_id, now, posted.key, 0, 12), f"goals:{button.value}:{user_id}",
                          user_id, self._click_goals(user_id, button.value, posted))

    def _click_goals(self, user_id: str, pairing: str, posted: Posted) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            if (pairing, user_id) in self.goal_setters:
                return
            self.goal_setters.add((pairing, user_id))
            await self.click(user_id, posted, ids.OPEN_GOALS)
        return run

    def _clicker(self, user_id: str, posted: Posted, action_id: str, counted: str,
                 log_text: str | None = None) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            self.counts[counted] += 1
            if log_text:
                self.act(user_id, log_text)
            await self.click(user_id, posted, action_id)
        return run

    async def _answer_goals(self, modal: Modal) -> None:
        person = self.people[modal.user_id]
        rng = decision_rng(self.seed, "goal-text", modal.user_id, modal.view.get("private_metadata"))
        answers: dict[str, Any] = {}
        for n in range(1, rng.randint(1, 2) + 1):
            what, measure, why = GOALS[(rng.randrange(len(GOALS)))]
            skill = person.wants[(n - 1) % len(person.wants)]
            by = (self.clock.now + dt.timedelta(weeks=rng.randint(5, 10))).date().isoformat()
            answers |= {f"goal{n}_what": what.format(skill=skill), f"goal{n}_measure": measure,
                        f"goal{n}_by": by, f"goal{n}_why": why}
        if rng.random() < 0.5:
            answers[ids.SHARED_INTENT[0]] = rng.choice(SHARED_INTENTS)
        await self.submit(modal, answers)
        self.counts["goal sets written"] += 1

    async def _answer_time(self, modal: Modal) -> None:
        initial = initial_of(modal.view, ids.SESSION_TIME[0])
        picked = int(initial) + (24 * 3600 if initial is not None else 0)
        await self.submit(modal, {ids.SESSION_TIME[0]: picked})
        self.counts["session times picked"] += 1

    # --- sessions -------------------------------------------------------------------------------------------

    def _seen_dilemma_prompt(self, posted: Posted, now: dt.datetime) -> None:
        button = posted.button(ids.OPEN_DILEMMA)
        mentee = next(iter(posted.audience), None)
        if button is None or mentee not in self.people:
            return
        session = button.value
        reminder = posted.key.startswith("dilemma-reminder")
        if not reminder:
            rng = decision_rng(self.seed, "dilemma", session)
            diligence = self.people[mentee].diligence
            roll = rng.random()
            self.dilemma_intent[session] = ("soon" if roll < 0.85 * diligence
                                            else "reminded" if roll < 0.97 * diligence else "never")
            self.counts["dilemma prompts"] += 1
        else:
            self.counts["dilemma reminders"] += 1
        if self.dilemma_intent.get(session) == ("reminded" if reminder else "soon"):
            low, high = (0, 5) if reminder else (0.5, 20)
            self.plan(self.later(mentee, now, posted.key, low, high), f"dilemma:{session}", mentee,
                      self._clicker(mentee, posted, ids.OPEN_DILEMMA, "dilemma buttons clicked"))

    async def _answer_dilemma(self, modal: Modal) -> None:
        person = self.people[modal.user_id]
        rng = decision_rng(self.seed, "dilemma-text", modal.view.get("private_metadata"))
        situation, tried, want = rng.choice(DILEMMAS)
        skill = rng.choice(person.wants)
        await self.submit(modal, {ids.DILEMMA_SITUATION[0]: situation.format(skill=skill),
                                  ids.DILEMMA_TRIED[0]: tried or None, ids.DILEMMA_WANT[0]: want})
        self.counts["dilemmas written"] += 1

    def _checkin_plan(self, value: str, members: list[str]) -> tuple[str, str, str]:
        """(outcome, when, who) for one check-in: met/skipped/rescheduled/silent, first/reminder."""
        rng = decision_rng(self.seed, "checkin", value)
        engagement = sum(self.people[u].diligence for u in members) / len(members)
        roll = rng.random()
        met = 0.42 + 0.48 * engagement
        outcome = ("met" if roll < met else "skipped" if roll < met + 0.07
                   else "rescheduled" if roll < met + 0.1 else "silent")
        return outcome, "first" if rng.random() < 0.8 else "reminder", rng.choice(members)

    def _seen_checkin(self, posted: Posted, now: dt.datetime) -> None:
        button = posted.button(ids.CHECKIN_MET)
        members = self._members(posted)
        if button is None or not members:
            return
        reminder = posted.key.startswith("checkin-reminder")
        outcome, when, who = self._checkin_plan(button.value, members)
        if outcome == "silent" or when != ("reminder" if reminder else "first"):
            if not reminder:
                self.counts["check-ins"] += 1
            return
        if not reminder:
            self.counts["check-ins"] += 1
        action = {"met": ids.CHECKIN_MET, "skipped": ids.CHECKIN_SKIPPED, "rescheduled": ids.CHECKIN_RESCHEDULED}
        label = {"met": "We met", "skipped": "Skipped", "rescheduled": "Rescheduled"}[outcome]
        self.plan(self.later(who, now, posted.key, 0, 10), f"checkin:{button.value}", who,
                  self._clicker(who, posted, action[outcome], f"check-ins answered: {label}",
                                f"clicks [reverse] {label} [/reverse]"))

    def _seen_feedback_ask(self, posted: Posted, now: dt.datetime) -> None:
        button = posted.button(ids.OPEN_FEEDBACK)
        user_id = next(iter(posted.audience), None)
        if button is None or user_id not in self.people or (button.value, user_id) in self.feedback_done:
            return
        if decision_rng(self.seed, "feedback-ask", button.value, user_id).random() < 0.45 + 0.5 * self.people[user_id].diligence:
            self.plan(self.later(user_id, now, posted.key, 0, 24), f"feedback:{button.value}:{user_id}", user_id,
                      self._clicker(user_id, posted, ids.OPEN_FEEDBACK, "feedback buttons clicked"))

    async def _answer_feedback(self, modal: Modal) -> None:
        person = self.people[modal.user_id]
        session = str(modal.view.get("private_metadata"))
        if (session, modal.user_id) in self.feedback_done:
            return
        self.feedback_done.add((session, modal.user_id))
        rng = decision_rng(self.seed, "feedback", session, modal.user_id)
        pair_mood = decision_rng(self.seed, "pair-mood", self.lane_of.get(modal.user_id, "")).gauss(0, 0.45)
        rating = max(1, min(5, round(rng.gauss(3.9 + person.warmth + pair_mood, 0.7))))
        takeaway = rng.choice(TAKEAWAYS)
        answers: dict[str, Any] = {
            ids.FEEDBACK_RATING[0]: str(rating), ids.FEEDBACK_TAKEAWAY[0]: takeaway,
            ids.FEEDBACK_EXPERIMENT[0]: (rng.choice(EXPERIMENTS).format(skill=rng.choice(person.wants))
                                         if rng.random() < 0.4 else None),
            ids.FEEDBACK_PRIVATE_NOTE[0]: rng.choice(PRIVATE_NOTES) if rng.random() < 0.25 else None,
        }
        sequence = int(modal.view["title"]["text"].rsplit(" ", 1)[-1]) if modal.view.get("title") else 2
        for block in modal.view.get("blocks") or []:
            if str(block.get("block_id", "")).startswith(ids.FEEDBACK_GOAL_PREFIX):
                roll = rng.random()
                answers[block["block_id"]] = ("done" if roll < 0.12 * sequence else
                                              "in_progress" if roll < 0.8 else None)
        await self.submit(modal, answers)
        self.counts["feedback given"] += 1
        self.counts[f"ratings: {rating}"] += 1
        stars = "★" * rating + "☆" * (5 - rating)
        self.act(modal.user_id, f"gives private feedback on session {sequence}: {stars} {rating}/5 · "
                                f"[italic]“{takeaway}”[/italic]")

    # --- fit, stalled pairings, the end of a pairing ------------------------------------------------------

    def _seen_fit_check(self, posted: Posted, now: dt.datetime) -> None:
        button = posted.button(ids.FIT_YES)
        user_id = next(iter(posted.audience), None)
        if button is None or user_id not in self.people:
            return
        roll = decision_rng(self.seed, "fit", button.value, user_id).random()
        if roll < 0.035:
            self.plan(self.later(user_id, now, posted.key, 0, 24), f"fit:{button.value}:{user_id}", user_id,
                      self._clicker(user_id, posted, ids.FIT_NO, "fit checks: not quite"))
        elif roll < 0.035 + 0.85 * self.people[user_id].diligence:
            self.plan(self.later(user_id, now, posted.key, 0, 24), f"fit:{button.value}:{user_id}", user_id,
                      self._clicker(user_id, posted, ids.FIT_YES, "fit checks: feels right",
                                    "clicks [reverse] Feels right [/reverse] (private)"))

    def _seen_stalled(self, posted: Posted, now: dt.datetime) -> None:
        button = posted.button(ids.STALLED_CONTINUE)
        user_id = next(iter(posted.audience), None)
        if button is None or user_id not in self.people:
            return
        pairing = button.value
        self.counts["stalled-pairing messages"] += 1
        rng = decision_rng(self.seed, "stalled", pairing)
        choice = rng.choices(("continue", "repair", "stop", "none"), (0.35, 0.3, 0.1, 0.25))[0]
        responder = rng.choice(sorted(self.pair_members.get(pairing, (user_id,))))
        if choice == "none" or responder != user_id:
            return
        action = {"continue": ids.STALLED_CONTINUE, "repair": ids.STALLED_REPAIR, "stop": ids.STALLED_STOP}[choice]
        self.plan(self.later(user_id, now, posted.key, 0, 30), f"stalled:{pairing}", user_id,
                  self._clicker(user_id, posted, action, f"stalled pairings: {choice}"))

    def _seen_retro(self, posted: Posted, now: dt.datetime) -> None:
        button = posted.button(ids.OPEN_RETRO)
        user_id = next(iter(posted.audience), None)
        if button is None or user_id not in self.people:
            return
        self.counts["pairings completed (per person)"] += 1
        if decision_rng(self.seed, "retro", button.value, user_id).random() < 0.6:
            self.plan(self.later(user_id, now, posted.key, 0, 48), f"retro:{button.value}:{user_id}", user_id,
                      self._clicker(user_id, posted, ids.OPEN_RETRO, "retrospective buttons clicked"))

    async def _answer_retro(self, modal: Modal) -> None:
        rng = decision_rng(self.seed, "retro-text", modal.view.get("private_metadata"), modal.user_id)
        await self.submit(modal, {ids.RETRO_LEARNED[0]: rng.choice(RETRO_LEARNED),
                                  ids.RETRO_AGAIN[0]: "yes" if rng.random() < 0.8 else "no"})
        self.counts["retrospectives written"] += 1

    # --- pausing and leaving ---------------------------------------------------------------------------

    def _pause(self, person: Person) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            if person.user_id in self.joined:
                self.counts["paused (/tandem pause)"] += 1
                self.act(person.user_id, f"types [bold]/tandem pause {person.pause_weeks}[/bold]")
                await self.command(person.user_id, f"pause {person.pause_weeks}")
        return run

    def _leave(self, person: Person) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            if person.user_id not in self.joined:
                return
            body = await self.command(person.user_id, "leave")  # the ack asks for a confirmation
            confirm = Posted(channel=CHANNEL_ID, ts=f"{self.clock.now.timestamp():.6f}", text=str(body.get("text") or ""),
                             blocks=body.get("blocks") or [], key=f"leave:{person.user_id}", audience=(person.user_id,),
                             buttons=tuple(b for b in buttons_of(body.get("blocks") or [])
                                           if b.action_id == ids.LEAVE_CONFIRM))
            self.counts["left (/tandem leave)"] += 1
            self.act(person.user_id, "types [bold]/tandem leave[/bold] and confirms")
            await self.click(person.user_id, confirm, ids.LEAVE_CONFIRM)
            self.joined.discard(person.user_id)
        return run

    async def _answer_settings(self, modal: Modal) -> None:
        await self.submit(modal, dict(ADMIN_SETTINGS))
        self.counts["program settings saved"] += 1

