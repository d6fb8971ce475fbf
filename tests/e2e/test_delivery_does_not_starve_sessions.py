"""A long delivery does not starve sessions: in the serving process delivery is its own job,
so ticks keep their minute while a large round's introductions go out, and a prompt that falls
due meanwhile is sent in its minute, ahead of the rest of the introductions."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import time

from sqlalchemy import func, select

from bot import outbox
from bot.models import OutboxMessage, Session
from bot.scheduler import start_scheduler, stop_scheduler
from bot.sessions import due_sessions, pair_prompt_at, pairing_days, pairing_zones
from bot.workspaces import ensure_workspace, program_of
from tests.conftest import T0, TEAM_ID, RunningApp
from tests.e2e.helpers import seed_pairing

INTROS = 900  # at about 80 a second, eleven seconds: five or six "minutes" on the scaled clock
MINUTE = 2.0  # real seconds per domain minute in this test (a loaded machine needs the room)


class ScaledClock:
    """Domain time running 60 / MINUTE times faster than the wall clock, from `start`."""

    def __init__(self, start: dt.datetime) -> None:
        self.start, self.origin = start, time.monotonic()

    def __call__(self) -> dt.datetime:
        return self.start + dt.timedelta(minutes=(time.monotonic() - self.origin) / MINUTE)


async def test_a_prompt_falling_due_during_a_long_delivery_is_sent_in_its_minute(app: RunningApp) -> None:
    pairing_id, conversation = await seed_pairing(app, [("UANA", "UTC"), ("UBEN", "UTC")])
    async with app.deps.sessionmaker.begin() as session:
        program = await program_of(session, (await ensure_workspace(session, TEAM_ID, T0)).id)
        [first] = await due_sessions(session, program.id, Session.pairing_id == pairing_id, Session.sequence == 1)
        prompt_due = pair_prompt_at(first, program.session_lead_hours, pairing_zones(first.pairing),
                                    pairing_days(first.pairing))
        ws_id = program.workspace_id
        for i in range(INTROS):  # a large round's introductions, queued before the prompt is due
            app.slack.add_channel(f"CINTRO{i}", f"intro-{i}", bot_is_member=True)
            await outbox.enqueue(session, workspace_id=ws_id, key=f"intro:{100000 + i}", now=T0,
                                 channel=f"CINTRO{i}", payload={"text": f"intro {i}"})
    app.slack.delay("chat.postMessage", 0.1, count=INTROS + 10)  # Slack's pace, scaled down

    clock = ScaledClock(prompt_due - dt.timedelta(minutes=2))
    posted: list[tuple[str, dt.datetime]] = []
    app.slack.after("chat.postMessage", lambda params, _answer: posted.append((params.get("text", ""), clock())))
    deps = dataclasses.replace(app.deps, clock=clock)
    scheduler = start_scheduler(deps, seconds=MINUTE)
    try:
        deadline = time.monotonic() + 60
        while not any(c == conversation for c in _channels(app)) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
    finally:
        await stop_scheduler(scheduler, timeout=10)

    prompts = [(i, at) for i, (text, at) in enumerate(posted) if not text.startswith("intro ")]
    assert prompts, "the prompt was never sent"
    index, sent_at = prompts[0]
    assert sent_at - prompt_due <= dt.timedelta(minutes=2), f"prompt sent {sent_at - prompt_due} late"
    assert INTROS - index > 100, "the delivery was over before the prompt fell due: the test proves nothing"
    async with app.deps.sessionmaker() as session:
        waiting = await session.scalar(select(func.count()).select_from(OutboxMessage)
                                       .where(OutboxMessage.state != "sent"))
    assert waiting, "every introduction went out within the prompt's minute: no backlog was tested"


def _channels(app: RunningApp) -> list[str]:
    return [c.params.get("channel") for c in app.slack.calls_to("chat.postMessage") if c.ok]
