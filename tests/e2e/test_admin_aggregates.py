"""Issue 11 item 4: admins see aggregates, never a person (small groups, an admin who is a member)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot import ids
from bot.models import Feedback, Member, Pairing, PairingMember, Program, Round, Session
from bot.stats import OTHER_SKILLS, program_stats
from bot.workspaces import ensure_workspace, program_of
from tests import factories
from tests.conftest import ADMIN_ID, T0, TEAM_ID, RunningApp
from tests.e2e.test_admin import _open_settings
from tests.unit.test_stats_blocks import modal_state

DAY = dt.timedelta(days=1)


async def test_minimum_group_size_cannot_be_set_below_three(app: RunningApp) -> None:
    view = await _open_settings(app)
    status, _, body = await app.requests.view_submission(
        ADMIN_ID, ids.SETTINGS_VIEW, modal_state(view, **{ids.SETTINGS_MIN_GROUP[0]: "2"}))
    assert status == 200 and body["response_action"] == "errors"
    assert ids.SETTINGS_MIN_GROUP[0] in body["errors"]
    async with app.deps.sessionmaker() as session:
        program = await session.scalar(select(Program))
        assert program.min_group_size == 5  # the default, unchanged
    with pytest.raises(IntegrityError):
        async with app.deps.sessionmaker.begin() as session:
            await session.execute(update(Program).values(min_group_size=2))


async def _pairing(session, program: Program, round_: Round, members: list[Member], *, due: dt.datetime,  # type: ignore[no-untyped-def]
                   ratings: dict[int, tuple[int, dt.datetime]]) -> None:
    pairing = Pairing(program_id=program.id, round_id=round_.id, score=1.0, reasons=[], two_way=True,
                      cross_department=False, state="active", started_at=round_.started_at,
                      members=[PairingMember(member_id=m.id, position=i) for i, m in enumerate(members)])
    session.add(pairing)
    await session.flush()
    sess = Session(pairing_id=pairing.id, sequence=1, due_at=due, state="met", format="turns")
    session.add(sess)
    await session.flush()
    for member_id, (rating, at) in ratings.items():
        session.add(Feedback(session_id=sess.id, member_id=member_id, rating=rating, created_at=at))


async def test_csv_never_shows_a_pairs_ratings_to_an_admin_who_is_a_member(app: RunningApp) -> None:
    async with app.deps.sessionmaker.begin() as session:
        ws = await factories.workspace(session)
        program = await program_of(session, ws.id)
        admin = await factories.member(session, ws, ADMIN_ID, offers=["Go"], wants=["SQL"])
        bob = await factories.member(session, ws, "UBOB", offers=["SQL"], wants=["Go"])
        round_ = Round(program_id=program.id, number=1, started_at=T0 - 20 * DAY, method="test", figures={})
        session.add(round_)
        await session.flush()
        await _pairing(session, program, round_, [admin, bob], due=T0 - 10 * DAY,
                       ratings={admin.id: (5, T0 - 9 * DAY), bob.id: (2, T0 - 9 * DAY)})
    status, _, _ = await app.requests.slash_command(ADMIN_ID, "admin export")
    assert status == 200
    await app.slack.wait_for("files.completeUploadExternal", timeout=10)
    (row,) = list(csv.DictReader(io.StringIO(app.slack.uploaded_files[0].content.decode())))
    assert row["state"] == "met" and row["member_1"] == ADMIN_ID
    assert (row["rating_mean"], row["ratings"]) == ("", "")  # a mean of two would give Bob's rating away


async def _seed_people(session, n: int, k: int = 3):  # type: ignore[no-untyped-def]
    ws = await ensure_workspace(session, TEAM_ID, T0)
    program = await program_of(session, ws.id)
    program.min_group_size = k
    people = [await factories.member(session, ws, f"UP{i}", offers=[], wants=[]) for i in range(n)]
    return ws, program, people


async def _stats(app: RunningApp, now: dt.datetime):  # type: ignore[no-untyped-def]
    async with app.deps.sessionmaker() as session:
        program = await session.scalar(select(Program))
        return await program_stats(session, program, now)


async def test_the_average_rating_cannot_be_differenced_to_one_person(app: RunningApp) -> None:
    async with app.deps.sessionmaker.begin() as session:
        _ws, program, p = await _seed_people(session, 6)
        r1 = Round(program_id=program.id, number=1, started_at=T0 - 40 * DAY, method="test", figures={})
        r2 = Round(program_id=program.id, number=2, started_at=T0 - 20 * DAY, method="test", figures={})
        session.add_all([r1, r2])
        await session.flush()
        # Round 1: three people rate (4, 4, 1).
        await _pairing(session, program, r1, [p[0], p[1]], due=T0 - 35 * DAY,
                       ratings={p[0].id: (4, T0 - 34 * DAY), p[1].id: (4, T0 - 34 * DAY)})
        await _pairing(session, program, r1, [p[2], p[3]], due=T0 - 35 * DAY,
                       ratings={p[2].id: (1, T0 - 34 * DAY)})
    first = await _stats(app, T0 - 25 * DAY)
    assert first.average_rating.value == pytest.approx(3.0) and first.ratings == 3
    # Round 2: one person (the partner of an admin who is a member) rates 5.
    async with app.deps.sessionmaker.begin() as session:
        program = await session.scalar(select(Program))
        r2 = await session.scalar(select(Round).where(Round.number == 2))
        await _pairing(session, program, r2, [p[4], p[5]], due=T0 - 15 * DAY,
                       ratings={p[5].id: (5, T0 - 14 * DAY)})
    later = await _stats(app, T0)
    assert (later.average_rating.value, later.ratings) == (first.average_rating.value, first.ratings)
    # Once k new people have rated, the figure moves on.
    async with app.deps.sessionmaker.begin() as session:
        program = await session.scalar(select(Program))
        r2 = await session.scalar(select(Round).where(Round.number == 2))
        await _pairing(session, program, r2, [p[0], p[4]], due=T0 - 12 * DAY,
                       ratings={p[0].id: (2, T0 - 11 * DAY), p[4].id: (3, T0 - 11 * DAY)})
    moved = await _stats(app, T0)
    assert moved.ratings == 6 and moved.average_rating.value == pytest.approx((4 + 4 + 1 + 5 + 2 + 3) / 6)


async def test_skill_rows_need_k_people_and_the_rest_are_other_skills(app: RunningApp) -> None:
    async with app.deps.sessionmaker.begin() as session:
        ws = await ensure_workspace(session, TEAM_ID, T0)
        program = await program_of(session, ws.id)
        program.min_group_size = 3
        specs = {"UA": (["Go"], ["Rust"]), "UB": ([], ["Rust", "Go"]), "UC": ([], ["Go"]),
                 "UD": ([], ["Elm"]), "UE": ([], ["Haskell"])}
        for uid, (offers, wants) in specs.items():
            await factories.member(session, ws, uid, offers=offers, wants=wants)
    stats = await _stats(app, T0)
    rows = {g.name: (g.wanted, g.offered) for g in stats.skill_gaps or []}
    # Go: 3 people (UA offers, UB and UC want). Rust (2), Elm (1), Haskell (1): under k alone.
    assert rows == {"Go": (2, 1), OTHER_SKILLS: (4, 0)}
