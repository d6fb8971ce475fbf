"""Prompts reach people at sensible local hours, and every prompt is sent once."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

from bot import ids
from bot.localtime import in_working_hours, zone_of
from bot.scheduler import run_due
from tests.conftest import RunningApp
from tests.e2e.helpers import assert_each_prompt_once, buttons, dm, seed_pairing, sessions_of

WEST, EAST = "Etc/GMT+8", "Asia/Tokyo"  # UTC−8 and UTC+9


async def test_prompts_arrive_in_working_hours_for_people_in_utc_minus_8_and_utc_plus_9(app: RunningApp) -> None:
    pairing_id, conv = await seed_pairing(app, [("UWEST", WEST), ("UEAST", EAST)], sessions=3)
    dm_west, dm_east = await dm(app, "UWEST"), await dm(app, "UEAST")
    zones = {"UWEST": zone_of(WEST), "UEAST": zone_of(EAST)}
    planned = await sessions_of(app, pairing_id)
    for s in planned:  # a meeting inside both working days
        assert all(in_working_hours(s.due_at, z) for z in zones.values()), s.due_at

    sent_at: list[tuple[dt.datetime, str, str]] = []  # (when, channel, text)
    seen = 0
    end = planned[-1].due_at + dt.timedelta(hours=40)
    while app.clock.now < end:  # tick hourly, as the scheduler would
        app.clock.advance(hours=1)
        await run_due(app.deps, app.clock.now)
        calls = [c for c in app.slack.calls_to("chat.postMessage") if c.ok]
        sent_at += [(app.clock.now, c.response["channel"], json.dumps(c.params)) for c in calls[seen:]]
        seen = len(calls)

    prompts = [(when, ch) for when, ch, text in sent_at if ids.OPEN_DILEMMA in text]
    assert [ch for _, ch in prompts] == [dm_west, dm_west, dm_east, dm_east]  # prompt + reminder, then the other
    for when, channel in prompts:
        user = "UWEST" if channel == dm_west else "UEAST"
        assert in_working_hours(when, zones[user]), (user, when.astimezone(zones[user]))
    pair_posts = [when for when, ch, _ in sent_at if ch == conv]
    assert pair_posts and all(in_working_hours(w, z) for w in pair_posts for z in zones.values()), [(w, t[:300]) for w, ch, t in sent_at if ch == conv and not all(in_working_hours(w, z) for z in zones.values())]
    assert buttons(app, dm_west, ids.FIT_YES) and buttons(app, dm_east, ids.FIT_YES)
    assert_each_prompt_once(app)


async def test_two_schedulers_at_once_send_each_prompt_once(app: RunningApp) -> None:
    pairing_id, conv = await seed_pairing(app, [("UANA", "UTC"), ("UBEN", "UTC")])
    planned = await sessions_of(app, pairing_id)
    moments = [planned[0].due_at - dt.timedelta(hours=30), planned[0].due_at + dt.timedelta(hours=6),
               planned[1].due_at - dt.timedelta(hours=40), planned[1].due_at - dt.timedelta(hours=22),
               planned[1].due_at - dt.timedelta(hours=2), planned[1].due_at + dt.timedelta(hours=6)]
    for moment in moments:
        app.clock.now = moment
        await asyncio.gather(run_due(app.deps, moment), run_due(app.deps, moment), run_due(app.deps, moment))
    assert_each_prompt_once(app)
    in_pair = [json.dumps(m) for m in app.slack.messages(conv)]
    assert sum("kick-off" in m for m in in_pair) == 1
    assert sum(ids.CHECKIN_MET in m for m in in_pair) == 3  # session 1, its one reminder, session 2
    assert sum("No dilemma was written" in m for m in in_pair) == 1
    assert len(buttons(app, await dm(app, "UANA"), ids.OPEN_DILEMMA)) == 2  # prompt and one reminder
