"""Several programs in one workspace (issue 15), through signed requests: two programs in two
channels with different cadences; joining one, both; pausing one; rounds pairing within each;
program admins refused on the other program; figures and export per program; the heads-up
before a round, with a skip."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
from typing import Any

from sqlalchemy import select

from bot import ids
from bot.models import Member, Membership, OutboxMessage, Pairing, PairingMember, Program
from bot.stats import program_stats
from tests.conftest import ADMIN_ID, RunningApp
from bot.scheduler import run_due
from tests.e2e.helpers import ephemeral_answers, profile_values, step
from tests.unit.test_stats_blocks import modal_state

ENG, MGR, GENERAL = "C0ENG", "C0MGR", "C0001"
PROGRAM_ADMIN = "UPADMIN"  # no workspace rights: administers the managers' program only


async def _programs(app: RunningApp) -> dict[str, Program]:
    async with app.deps.sessionmaker() as session:
        return {p.channel_id or "": p for p in await session.scalars(select(Program).order_by(Program.id))}


async def _announce(app: RunningApp, channel: str, name: str) -> str:
    before = len(app.slack.calls_to("response_url"))
    status, _, _ = await app.requests.slash_command(ADMIN_ID, f"admin announce <#{channel}|{name}>")
    assert status == 200 and app.requests.last_elapsed < 3
    replies = await app.slack.wait_for("response_url", before + 1)
    return json.dumps(replies[-1].params)


async def _two_programs(app: RunningApp) -> tuple[Program, Program]:
    app.slack.add_channel(ENG, "eng-peers")
    app.slack.add_channel(MGR, "new-managers")
    first = await _announce(app, ENG, "eng-peers")
    assert "Posted the announcement" in first and "its own program" not in first  # the first program took it
    second = await _announce(app, MGR, "new-managers")
    assert "now has its own program" in second
    programs = await _programs(app)
    assert set(programs) == {ENG, MGR}
    assert programs[MGR].name == "new-managers" and programs[ENG].name == "Peer mentoring"
    return programs[ENG], programs[MGR]


async def _settings_view(app: RunningApp, user_id: str, channel: str) -> dict[str, Any]:
    before = len([c for c in app.slack.calls_to("views.update") if c.ok])
    status, _, body = await app.requests.slash_command(user_id, "admin", channel_id=channel)
    assert status == 200 and not body, body
    updated = await app.slack.wait_for("views.update", before + 1, predicate=lambda c: c.ok)
    view = updated[-1].params["view"]
    assert view["callback_id"] == ids.SETTINGS_VIEW
    return view


async def _save_settings(app: RunningApp, view: dict[str, Any], user_id: str = ADMIN_ID, *,
                         admins: list[str] | None = None, **changes: str) -> tuple[int, Any]:
    values = modal_state(view, **changes)
    values[ids.SETTINGS_ADMINS[0]] = {ids.SETTINGS_ADMINS[1]: {"type": "multi_users_select",
                                                               "selected_users": admins or []}}
    status, _, body = await app.requests.view_submission(user_id, ids.SETTINGS_VIEW, values,
                                                         private_metadata=view["private_metadata"])
    return status, body


async def _join(app: RunningApp, user_id: str, metadata: str, *, ticked: list[int] | None = None,
                offers: str = "Python", wants: str = "Go", department: str = "") -> tuple[int, Any]:
    values = profile_values(new_offers=offers, new_wants=wants, department=department or user_id)
    if ticked is not None:
        values[ids.PROFILE_PROGRAMS[0]] = {ids.PROFILE_PROGRAMS[1]: {
            "type": "checkboxes", "selected_options": [{"value": str(i), "text": {"type": "plain_text", "text": "p"}}
                                                       for i in ticked]}}
    status, _, body = await app.requests.view_submission(user_id, ids.PROFILE_VIEW, values, private_metadata=metadata)
    return status, body


async def _open_join(app: RunningApp, user_id: str, channel: str) -> dict[str, Any]:
    """`/tandem join` typed in `channel`: the profile modal once it is filled in."""
    before = len(app.slack.calls_to("views.update"))
    status, _, _ = await app.requests.slash_command(user_id, "join", channel_id=channel)
    assert status == 200
    updated = await app.slack.wait_for("views.update", before + 1)
    modal = app.slack.view(updated[-1].params["view_id"])
    assert modal is not None and modal["callback_id"] == ids.PROFILE_VIEW
    return modal


async def _memberships(app: RunningApp, user_id: str) -> dict[int, str]:
    async with app.deps.sessionmaker() as session:
        rows = await session.execute(
            select(Membership.program_id, Membership.status).join(Member, Member.id == Membership.member_id)
            .where(Member.slack_user_id == user_id)
        )
        return {program_id: status for program_id, status in rows}


async def _wait_member(app: RunningApp, user_id: str, program_id: int, status: str = "active") -> None:
    """The profile is stored after the ack: wait until the membership shows."""
    for _ in range(200):
        if (await _memberships(app, user_id)).get(program_id) == status:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{user_id} not {status} in program {program_id}: {await _memberships(app, user_id)}")


async def _pairings(app: RunningApp, program_id: int) -> list[set[str]]:
    async with app.deps.sessionmaker() as session:
        rows = await session.execute(
            select(Pairing.id, Member.slack_user_id).join(PairingMember, PairingMember.pairing_id == Pairing.id)
            .join(Member, Member.id == PairingMember.member_id)
            .where(Pairing.program_id == program_id, Pairing.state == "active")
        )
        groups: dict[int, set[str]] = {}
        for pairing_id, user_id in rows:
            groups.setdefault(pairing_id, set()).add(user_id)
        return sorted(groups.values(), key=sorted)


async def _wait_pairings(app: RunningApp, program_id: int, expected: list[set[str]]) -> None:
    """A round runs after the command's ack: wait until its pairings are stored."""
    for _ in range(200):
        if await _pairings(app, program_id) == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"program {program_id}: {await _pairings(app, program_id)} != {expected}")


async def _wait_ephemeral(app: RunningApp, words: str) -> str:
    found = await app.slack.wait_for("response_url", predicate=lambda c: words in json.dumps(c.params), timeout=10)
    return json.dumps(found[-1].params)


# --- the tests ---------------------------------------------------------------------------------------------


async def test_two_programs_in_two_channels_each_with_its_members_rounds_admins_and_figures(app: RunningApp) -> None:
    eng, mgr = await _two_programs(app)
    for user in ("U1", "U2", "U4", "U5", PROGRAM_ADMIN):
        app.slack.add_user(user)

    # Different cadences, each set in its own channel's settings; the managers get a program admin.
    view = await _settings_view(app, ADMIN_ID, MGR)
    assert view["private_metadata"] == str(mgr.id)
    status, body = await _save_settings(app, view, admins=[PROGRAM_ADMIN], **{
        ids.SETTINGS_CADENCE[0]: "weekly", ids.SETTINGS_NAME[0]: "New managers", ids.SETTINGS_LEAD_HOURS[0]: "24"})
    assert status == 200 and not body, body
    programs = await _programs(app)
    assert programs[MGR].cadence == "weekly" and programs[MGR].name == "New managers"
    assert programs[MGR].admin_user_ids == [PROGRAM_ADMIN]
    assert programs[ENG].cadence == "biweekly" and programs[ENG].admin_user_ids == []

    # The Join button on the managers' announcement opens the profile for that program.
    before = len(app.slack.calls_to("views.update"))
    join_value = [e["value"] for m in app.slack.messages(MGR) for b in m["blocks"] for e in b.get("elements", [])
                  if e.get("action_id") == ids.JOIN]
    assert join_value
    await app.requests.block_action("U1", ids.JOIN, join_value[0], channel_id=MGR)
    updated = await app.slack.wait_for("views.update", before + 1)
    modal = app.slack.view(updated[-1].params["view_id"])
    assert modal["callback_id"] == ids.PROFILE_VIEW and modal["private_metadata"] == f"p:{mgr.id}"
    assert ids.PROFILE_PROGRAMS[0] not in json.dumps(modal["blocks"])
    assert (await _join(app, "U1", modal["private_metadata"], department="Sales"))[0] == 200
    await _wait_member(app, "U1", mgr.id)
    assert await _memberships(app, "U1") == {mgr.id: "active"}  # one program only

    # `/tandem join` outside the programs' channels lists both to tick; none ticked is refused.
    modal = await _open_join(app, "U2", GENERAL)
    assert ids.PROFILE_PROGRAMS[0] in json.dumps(modal["blocks"]) and modal["private_metadata"] == "pick"
    status, body = await _join(app, "U2", "pick", ticked=[])
    assert body["response_action"] == "errors" and ids.PROFILE_PROGRAMS[0] in body["errors"]
    assert await _memberships(app, "U2") == {}
    assert (await _join(app, "U2", "pick", ticked=[eng.id, mgr.id], department="Support"))[0] == 200
    await _wait_member(app, "U2", eng.id)
    assert await _memberships(app, "U2") == {eng.id: "active", mgr.id: "active"}
    # `/tandem join` typed in a program's channel joins that program.
    for user, dept in (("U4", "Ops"), ("U5", "Legal")):
        modal = await _open_join(app, user, ENG)
        assert modal["private_metadata"] == f"p:{eng.id}"
        assert (await _join(app, user, modal["private_metadata"], department=dept))[0] == 200
        await _wait_member(app, user, eng.id)

    # Pause outside a program's channel asks which (buttons), and pauses only the one picked.
    status, _, body = await app.requests.slash_command("U2", "pause 2", channel_id=GENERAL)
    assert status == 200 and ids.PICK_PROGRAM in json.dumps(body)
    assert await _memberships(app, "U2") == {eng.id: "active", mgr.id: "active"}  # nothing silently
    await app.requests.block_action("U2", ids.PICK_PROGRAM, f"{eng.id}|pause 2", channel_id=GENERAL)
    await _wait_member(app, "U2", eng.id, "paused")
    assert (await _memberships(app, "U2"))[mgr.id] == "active"
    # ... and typed in a channel it means that channel's program at once.
    status, _, body = await app.requests.slash_command("U1", "pause", channel_id=ENG)
    await _wait_ephemeral(app, "haven't joined")  # U1 is not in the engineers' program

    # Rounds pair within each program: engineers U4+U5 (U2 paused there), managers U1+U2.
    await app.requests.slash_command(ADMIN_ID, "admin match", channel_id=ENG)
    await _wait_pairings(app, eng.id, [{"U4", "U5"}])
    await app.requests.slash_command(ADMIN_ID, "admin match", channel_id=MGR)
    await _wait_pairings(app, mgr.id, [{"U1", "U2"}])
    await asyncio.sleep(0.3)
    assert await _pairings(app, eng.id) == [{"U4", "U5"}]  # the second round made nothing in the first

    # A program admin runs their program and nothing of the other.
    status, _, body = await app.requests.slash_command(PROGRAM_ADMIN, "admin stats", channel_id=ENG)
    assert status == 200 and "admins" in json.dumps(body).lower() and "which program" not in json.dumps(body)
    status, _, body = await app.requests.slash_command(PROGRAM_ADMIN, "admin match", channel_id=ENG)
    assert "admins" in json.dumps(body).lower()
    assert len(await _pairings(app, eng.id)) == 1  # no new round there
    # Elsewhere, with several programs, even a program admin of just one is asked (one button).
    status, _, body = await app.requests.slash_command(PROGRAM_ADMIN, "admin", channel_id=GENERAL)
    asked = json.dumps(body)
    assert status == 200 and ids.PICK_PROGRAM in asked, body
    assert f"{mgr.id}|admin" in asked and f"{eng.id}|admin" not in asked
    own = await _settings_view(app, PROGRAM_ADMIN, MGR)
    assert own["private_metadata"] == str(mgr.id)
    forged = dict(own, private_metadata=str(eng.id))
    status, body = await _save_settings(app, forged, PROGRAM_ADMIN, **{ids.SETTINGS_CADENCE[0]: "monthly"})
    assert body["response_action"] == "errors"
    assert (await _programs(app))[ENG].cadence == "biweekly"  # unchanged

    # Figures per program; the export of one program holds its sessions only.
    async with app.deps.sessionmaker() as session:
        eng_stats = await program_stats(session, await session.get(Program, eng.id), app.clock.now)
        mgr_stats = await program_stats(session, await session.get(Program, mgr.id), app.clock.now)
    assert eng_stats.opted_in.base == 3 and mgr_stats.opted_in.base == 2  # people who ever joined each
    assert eng_stats.pairings.base == 2 and mgr_stats.pairings.base == 2  # two people in one pairing each
    assert len(eng_stats.rounds) == 1 and len(mgr_stats.rounds) == 1
    await app.requests.slash_command(PROGRAM_ADMIN, "admin export", channel_id=MGR)
    await app.slack.wait_for("files.completeUploadExternal", timeout=10)
    (upload,) = app.slack.uploaded_files
    rows = list(csv.DictReader(io.StringIO(upload.content.decode("utf-8"))))
    assert rows and all("U4" not in json.dumps(r) and "U5" not in json.dumps(r) for r in rows)
    assert any("U1" in json.dumps(r) for r in rows)

    # App Home: each program the person is in, with partner; admins see each program they run.
    # (Each waits for a publish after its own event: an earlier one, e.g. on joining, is no answer.)
    for user in ("U2", ADMIN_ID, PROGRAM_ADMIN):
        def for_user(c, u=user):
            return c.params.get("user_id") == u
        published = len([c for c in app.slack.calls_to("views.publish") if c.ok and for_user(c)])
        await app.requests.event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"})
        await app.slack.wait_for("views.publish", published + 1, predicate=for_user)
    home = json.dumps(app.slack.home_of("U2"))
    assert "Your programs" in home and "New managers" in home and "Peer mentoring" in home
    assert "*paused* until" in home and "<@U1>" in home  # paused with the engineers, paired with U1 in the other
    assert f"4:{mgr.id}" in home and f"\"value\": \"{eng.id}\"" in home  # buttons carry their program
    admin_home = json.dumps(app.slack.home_of(ADMIN_ID))
    assert "New managers (admins only)" in admin_home and "Peer mentoring (admins only)" in admin_home
    program_admin_home = json.dumps(app.slack.home_of(PROGRAM_ADMIN))
    assert "New managers (admins only)" in program_admin_home and "Peer mentoring (admins" not in program_admin_home

    # Workspace admins typing `admin stats` elsewhere pick a program, or all of them.
    status, _, body = await app.requests.slash_command(ADMIN_ID, "admin stats", channel_id=GENERAL)
    assert "All programs" in json.dumps(body)
    await app.requests.block_action(ADMIN_ID, ids.PICK_PROGRAM, "all|admin stats", channel_id=GENERAL)
    rollup = await _wait_ephemeral(app, "All programs*")
    assert "New managers" in rollup and "Peer mentoring" in rollup
    # ... which a program admin cannot forge.
    await app.requests.block_action(PROGRAM_ADMIN, ids.PICK_PROGRAM, "all|admin stats", channel_id=GENERAL)
    await _wait_ephemeral(app, "Sorry")


async def test_a_single_program_still_answers_everywhere_without_asking(app: RunningApp) -> None:
    app.slack.add_user("U1")
    modal = await _open_join(app, "U1", GENERAL)
    assert ids.PROFILE_PROGRAMS[0] not in json.dumps(modal["blocks"])
    assert (await _join(app, "U1", modal["private_metadata"]))[0] == 200
    programs = list((await _programs(app)).values())
    await _wait_member(app, "U1", programs[0].id)
    status, _, body = await app.requests.slash_command("U1", "pause", channel_id="C0ELSE")
    assert ids.PICK_PROGRAM not in json.dumps(body)
    await _wait_member(app, "U1", programs[0].id, "paused")
    assert all(ids.PICK_PROGRAM not in a for a in ephemeral_answers(app))


async def test_heads_up_before_a_round_and_a_skip_for_that_round_only(app: RunningApp) -> None:
    for user, dept in (("U1", "Sales"), ("U2", "Ops"), ("U3", "Legal")):
        app.slack.add_user(user, tz="Europe/London")
        modal = await _open_join(app, user, GENERAL)
        assert (await _join(app, user, modal["private_metadata"], department=dept))[0] == 200
    program = list((await _programs(app)).values())[0]
    await _wait_member(app, "U3", program.id)
    async with app.deps.sessionmaker() as session:
        due = (await session.get(Program, program.id)).next_round_at
    assert due is not None
    # Within the day before the round each would-be member gets one heads-up, in their working
    # hours (the round is on a Monday morning: Sunday's is held until Monday 09:00 London).
    await step(app, due - dt.timedelta(hours=20), hours=2)
    assert not [c for c in app.slack.calls_to("chat.postMessage") if ids.HEADSUP_SKIP in json.dumps(c.params)]
    await step(app, due - dt.timedelta(minutes=30), hours=0.5)
    heads = [c for c in app.slack.calls_to("chat.postMessage") if c.ok and ids.HEADSUP_SKIP in json.dumps(c.params)]
    assert len(heads) == 3
    async with app.deps.sessionmaker() as session:
        sent = list(await session.scalars(select(OutboxMessage.sent_at).where(
            OutboxMessage.idempotency_key.like("headsup:%"))))
    assert len(sent) == 3 and all(t is not None and t.weekday() < 5 and 9 <= t.hour < 18 for t in sent)  # London = UTC
    await run_due(app.deps, app.clock.now)
    assert len([c for c in app.slack.calls_to("chat.postMessage")
                if c.ok and ids.HEADSUP_SKIP in json.dumps(c.params)]) == 3  # once per member per round
    skip = next(e["value"] for b in heads[0].params["blocks"] for e in b.get("elements", [])
                if e.get("action_id") == ids.HEADSUP_SKIP)
    dms = {await app.deps.slack.open_conversation([u]): u for u in ("U1", "U2", "U3")}
    target = dms[heads[0].params["channel"]]
    await app.requests.block_action(target, ids.HEADSUP_SKIP, skip, channel_id=heads[0].params["channel"])
    await _wait_ephemeral(app, "sit out")
    await step(app, due + dt.timedelta(hours=1), hours=2)
    paired = {u for group in await _pairings(app, program.id) for u in group}
    assert target not in paired and len(paired) == 2  # the others were paired; the skipper sat out


async def test_a_member_of_one_of_several_programs_is_asked_outside_their_channels(app: RunningApp) -> None:
    """INTERFACE.md: typed elsewhere while several programs exist, pause asks which — even when
    the person is in only one of them — and nothing changes until they pick."""
    eng, _ = await _two_programs(app)
    app.slack.add_user("U1")
    modal = await _open_join(app, "U1", ENG)
    assert (await _join(app, "U1", modal["private_metadata"]))[0] == 200
    await _wait_member(app, "U1", eng.id)
    status, _, body = await app.requests.slash_command("U1", "pause", channel_id=GENERAL)
    asked = json.dumps(body)
    assert status == 200 and ids.PICK_PROGRAM in asked and f"{eng.id}|pause" in asked, body
    await asyncio.sleep(0.3)
    await _wait_member(app, "U1", eng.id)  # still active: nothing happened by itself
