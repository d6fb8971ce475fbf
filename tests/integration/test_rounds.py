"""Matching rounds against the database: what is stored, queued and scheduled."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import func, select, update

from bot import intros, rounds
from bot.deps import Deps
from devtools.fake_slack import FakeSlack
from bot.models import Member, Membership, OutboxMessage, Pairing, PairingMember, Program, Round, Session
from bot.scheduler import run_due
from bot.workspaces import program_of
from tests import factories
from tests.conftest import T0, make_deps


async def _seed_reciprocal(deps: Deps, n_pairs: int = 3, *, odd: bool = False) -> None:
    """n perfect reciprocal pairs (A offers what B wants and back), in different departments."""
    async with deps.sessionmaker.begin() as session:
        ws = await factories.workspace(session)
        for i in range(n_pairs):
            await factories.member(session, ws, f"UA{i}", offers=[f"skill-a{i}"], wants=[f"skill-b{i}"], department="Sales")
            await factories.member(session, ws, f"UB{i}", offers=[f"skill-b{i}"], wants=[f"skill-a{i}"], department="Data")
        if odd:
            await factories.member(session, ws, "UODD", offers=["skill-a0"], wants=["skill-b0"], department="Legal")


async def _run_round(deps: Deps, now: dt.datetime = T0) -> Round | None:
    async with deps.sessionmaker.begin() as session:
        ws = await factories.workspace(session)
        program = await program_of(session, ws.id)
        return await rounds.run_round(session, program, now)


async def _groups(deps: Deps, round_id: int) -> list[set[str]]:
    async with deps.sessionmaker() as session:
        rows = await session.execute(
            select(Pairing.id, Member.slack_user_id).join(PairingMember, PairingMember.pairing_id == Pairing.id)
            .join(Member, Member.id == PairingMember.member_id).where(Pairing.round_id == round_id)
        )
        groups: dict[int, set[str]] = {}
        for pid, uid in rows:
            groups.setdefault(pid, set()).add(uid)
        return list(groups.values())


async def _end_all_pairings(deps: Deps) -> None:
    async with deps.sessionmaker.begin() as session:
        await session.execute(update(Pairing).values(state="ended", ended_at=T0))


async def test_round_finds_reciprocal_pairs_and_queues_one_intro_each(deps: Deps) -> None:
    await _seed_reciprocal(deps, 3)
    round_ = await _run_round(deps)
    assert round_ is not None
    assert sorted(map(sorted, await _groups(deps, round_.id))) == [[f"UA{i}", f"UB{i}"] for i in range(3)]
    async with deps.sessionmaker() as session:
        intros = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key.like("intro:%"))))
        pairings = list(await session.scalars(select(Pairing)))
        sessions = await session.scalar(select(func.count()).select_from(Session))
    assert len(intros) == 3 and all(len(m.users.split(",")) == 2 for m in intros)  # type: ignore[union-attr]
    assert all(p.two_way and p.cross_department for p in pairings)
    assert all(any("can teach" in r for r in p.reasons) for p in pairings)
    assert sessions == 3 * 6  # the program's default number of sessions each
    assert round_.figures["share_two_way"] == 1.0


async def test_members_in_an_active_pairing_are_not_repaired(deps: Deps) -> None:
    await _seed_reciprocal(deps, 2)
    await _run_round(deps)
    assert await _run_round(deps, T0 + dt.timedelta(days=14)) is None


async def test_no_repeat_pair_while_an_alternative_exists(deps: Deps) -> None:
    await _seed_reciprocal(deps, 2)
    first = await _run_round(deps)
    await _end_all_pairings(deps)
    second = await _run_round(deps, T0 + dt.timedelta(days=14))
    assert first is not None and second is not None
    before = {frozenset(g) for g in await _groups(deps, first.id)}
    after = {frozenset(g) for g in await _groups(deps, second.id)}
    assert len(after) == 2 and not (before & after)


async def test_a_recent_pair_is_reused_only_when_nobody_else_is_free(deps: Deps) -> None:
    await _seed_reciprocal(deps, 1)
    first = await _run_round(deps)
    await _end_all_pairings(deps)
    second = await _run_round(deps, T0 + dt.timedelta(days=14))
    assert first is not None and second is not None
    assert await _groups(deps, second.id) == [{"UA0", "UB0"}]
    assert second.figures["repeats"] == 1


async def test_odd_one_out_joins_a_trio(deps: Deps) -> None:
    await _seed_reciprocal(deps, 2, odd=True)
    round_ = await _run_round(deps)
    assert round_ is not None
    groups = await _groups(deps, round_.id)
    assert sorted(len(g) for g in groups) == [2, 3]
    assert any("UODD" in g for g in groups)


async def test_odd_one_out_waits_with_priority_and_is_told(deps: Deps) -> None:
    await _seed_reciprocal(deps, 2, odd=True)
    async with deps.sessionmaker.begin() as session:
        await session.execute(update(Program).values(odd_policy="wait"))
    round_ = await _run_round(deps)
    assert round_ is not None
    groups = await _groups(deps, round_.id)
    assert sorted(len(g) for g in groups) == [2, 2]
    async with deps.sessionmaker() as session:
        waiting = list(await session.scalars(select(Member).where(Member.priority.is_(True))))
        notes = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key.like("waiting:%"))))
    assert len(waiting) == 1 and len(notes) == 1
    assert notes[0].users == waiting[0].slack_user_id
    assert "first in line" in notes[0].payload["text"]


async def test_a_matched_waiter_loses_the_priority_and_nobody_else_changes(deps: Deps) -> None:
    """The next round clears the priority of those it matches who had it (member and
    membership rows), and only theirs: a priority in another program is kept."""
    await _seed_reciprocal(deps, 2, odd=True)
    async with deps.sessionmaker.begin() as session:
        await session.execute(update(Program).values(odd_policy="wait"))
    first = await _run_round(deps)
    assert first is not None
    async with deps.sessionmaker.begin() as session:
        [waiter] = list(await session.scalars(select(Member).where(Member.priority.is_(True))))
        await session.execute(update(Pairing).values(state="ended"))  # everyone free again
        waiter_id = waiter.id
    second = await _run_round(deps, T0 + dt.timedelta(days=200))
    assert second is not None
    assert any(waiter.slack_user_id in g for g in await _groups(deps, second.id))
    async with deps.sessionmaker() as session:
        members = {m.id: m.priority for m in await session.scalars(select(Member))}
        memberships = {m.member_id: m.priority for m in await session.scalars(select(Membership))}
    now_waiting = {mid for mid, p in members.items() if p}
    assert waiter_id not in now_waiting and memberships[waiter_id] is False
    assert len(now_waiting) == 1 and all(memberships[m] for m in now_waiting)  # this round's odd one out


async def test_dont_pair_me_with_is_never_broken(deps: Deps) -> None:
    async with deps.sessionmaker.begin() as session:
        ws = await factories.workspace(session)
        await factories.member(session, ws, "U1", offers=["SQL"], wants=["Go"], blocks=["U2"])
        await factories.member(session, ws, "U2", offers=["Go"], wants=["SQL"])
    round_ = await _run_round(deps)
    assert round_ is not None and await _groups(deps, round_.id) == []
    assert round_.figures["waiting"] == 2


async def test_paused_left_and_undeliverable_members_are_out(deps: Deps) -> None:
    async with deps.sessionmaker.begin() as session:
        ws = await factories.workspace(session)
        await factories.member(session, ws, "U1", offers=["SQL"], wants=["Go"])
        await factories.member(session, ws, "U2", offers=["Go"], wants=["SQL"], status="paused")
        await factories.member(session, ws, "U3", offers=["Go"], wants=["SQL"], status="left")
        await factories.member(session, ws, "U4", offers=["Go"], wants=["SQL"], status="deactivated")
        gone = await factories.member(session, ws, "U5", offers=["Go"], wants=["SQL"])
        gone.undeliverable_at = T0
    async with deps.sessionmaker() as session:
        program = await session.scalar(select(Program))
        cohort = await rounds.load_cohort(session, program, T0)  # type: ignore[arg-type]
    assert [cohort.slack_ids[p.member_id] for p in cohort.profiles] == ["U1"]


async def test_run_due_schedules_then_starts_the_round_once(deps: Deps, fake_slack: FakeSlack, engine) -> None:
    for uid in [f"UA{i}" for i in range(3)] + [f"UB{i}" for i in range(3)]:
        fake_slack.add_user(uid)
    await _seed_reciprocal(deps, 3)
    await run_due(deps, T0)  # first contact: the first round gets a due time
    async with deps.sessionmaker() as session:
        due = (await session.scalar(select(Program))).next_round_at  # type: ignore[union-attr]
    assert due is not None and due > T0
    assert await session_count(deps, Round) == 0
    from bot.db import make_engine

    second_engine = make_engine(deps.settings.DATABASE_URL)
    other = make_deps(second_engine, deps.settings, deps.clock)  # type: ignore[arg-type]
    try:
        results = await asyncio.gather(run_due(deps, due), run_due(other, due))
    finally:
        await other.slack.close()
        await second_engine.dispose()
    assert sum(r["start-due-rounds"] for r in results) == 1
    assert await session_count(deps, Round) == 1
    intros = [c for c in fake_slack.calls_to("chat.postMessage") if c.ok]
    assert len(intros) == 3


async def session_count(deps: Deps, model: type) -> int:
    async with deps.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_bulk_storage_keeps_each_pairing_with_its_own_members_reasons_and_sessions(deps: Deps) -> None:
    await _seed_reciprocal(deps, 40)
    round_ = await _run_round(deps)
    assert round_ is not None
    async with deps.sessionmaker() as session:
        pairings = list(await session.scalars(select(Pairing).where(Pairing.round_id == round_.id)))
        assert len(pairings) == 40
        for pairing in pairings:
            seats = dict((await session.execute(
                select(PairingMember.member_id, Member.slack_user_id).join(Member)
                .where(PairingMember.pairing_id == pairing.id)
            )).all())
            text = " ".join(pairing.reasons)
            assert all(f"<@{uid}>" in text for uid in seats.values())
            mentees = set(await session.scalars(
                select(Session.mentee_member_id).where(Session.pairing_id == pairing.id, Session.sequence > 1)
            ))
            assert mentees == set(seats)
            intro = await session.scalar(
                select(OutboxMessage).where(OutboxMessage.idempotency_key == f"intro:{pairing.id}")
            )
            assert intro is not None and set(intro.users.split(",")) == set(seats.values())  # type: ignore[union-attr]


# --- widening the network (issue 12 item 8) and honest introductions (item 12) ------------------------------

async def _empty_rounds(deps: Deps, numbers: range, at: dt.datetime) -> None:
    """Rounds other members took part in (this test's members were busy or away)."""
    async with deps.sessionmaker.begin() as session:
        program = await session.scalar(select(Program))
        for number in numbers:
            session.add(Round(program_id=program.id, number=number, started_at=at, method="exact", figures={}))  # type: ignore[union-attr]


async def _set_program(deps: Deps, **values) -> None:
    async with deps.sessionmaker.begin() as session:
        await session.execute(update(Program).values(**values))


async def test_a_pair_is_not_formed_again_after_their_pairing_ends_many_rounds_later(deps: Deps) -> None:
    await _seed_reciprocal(deps, 2)
    first = await _run_round(deps)
    assert first is not None
    await _end_all_pairings(deps)  # a pairing lasts about six rounds
    await _empty_rounds(deps, range(2, 7), T0 + dt.timedelta(days=70))
    seventh = await _run_round(deps, T0 + dt.timedelta(days=84))
    assert seventh is not None and seventh.number == 7
    before = {frozenset(g) for g in await _groups(deps, first.id)}
    after = {frozenset(g) for g in await _groups(deps, seventh.id)}
    assert len(after) == 2 and not (before & after)
    assert seventh.figures["repeats"] == 0


async def test_last_partners_and_recent_days_are_both_settings(deps: Deps) -> None:
    await _seed_reciprocal(deps, 2)
    await _set_program(deps, repeat_window_rounds=0, repeat_window_days=180)
    first = await _run_round(deps)
    assert first is not None
    before = {frozenset(g) for g in await _groups(deps, first.id)}
    await _end_all_pairings(deps)
    within = await _run_round(deps, T0 + dt.timedelta(days=90))  # 90 days later: still excluded
    assert within is not None and not ({frozenset(g) for g in await _groups(deps, within.id)} & before)
    await _end_all_pairings(deps)
    await _set_program(deps, repeat_window_days=30)
    later = await _run_round(deps, T0 + dt.timedelta(days=200))
    assert later is not None
    # 200 days after round 1, 110 after round 2: only round 2's pairs are recent now
    assert {frozenset(g) for g in await _groups(deps, later.id)} == before


async def test_repeats_figure_counts_every_pair_that_met_before(deps: Deps) -> None:
    await _seed_reciprocal(deps, 2)
    await _set_program(deps, repeat_window_rounds=0, repeat_window_days=0)
    await _run_round(deps)
    await _end_all_pairings(deps)
    second = await _run_round(deps, T0 + dt.timedelta(days=14))
    assert second is not None
    assert second.figures["repeats"] == 2  # nothing excluded them, but they did meet again


async def test_fit_check_no_blocks_the_pair_for_good_both_ways(deps: Deps) -> None:
    await _seed_reciprocal(deps, 2)
    await _set_program(deps, repeat_window_rounds=0, repeat_window_days=0)
    first = await _run_round(deps)
    assert first is not None
    async with deps.sessionmaker.begin() as session:
        ub0 = await session.scalar(select(Member.id).where(Member.slack_user_id == "UB0"))
        await session.execute(update(PairingMember).where(PairingMember.member_id == ub0).values(fit_ok=False))
    await _end_all_pairings(deps)
    for days in (14, 400):
        nxt = await _run_round(deps, T0 + dt.timedelta(days=days))
        assert nxt is not None
        assert {"UA0", "UB0"} not in await _groups(deps, nxt.id)
        await _end_all_pairings(deps)
    # Even when they are the only two people free, the pair is not formed again.
    async with deps.sessionmaker.begin() as session:
        await session.execute(update(Member).where(Member.slack_user_id.in_(["UA1", "UB1"])).values(status="paused"))
    last = await _run_round(deps, T0 + dt.timedelta(days=800))
    assert last is not None and await _groups(deps, last.id) == []


async def test_introduction_without_a_swap_says_so_and_names_offers_and_wants(deps: Deps) -> None:
    async with deps.sessionmaker.begin() as session:
        ws = await factories.workspace(session)
        await factories.member(session, ws, "U1", offers=["SQL"], wants=["Go"], department="Sales")
        await factories.member(session, ws, "U2", offers=["Design"], wants=["Public speaking"], department="Data")
    round_ = await _run_round(deps)
    assert round_ is not None
    async with deps.sessionmaker() as session:
        (intro,) = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key.like("intro:%"))))
        assert await intros.render(session, [intro]) == []  # as the outbox does when it claims the row
    text = str(intro.payload)
    assert "teach the other" not in text and "can teach" not in text
    assert "no direct skill swap" in text
    for skill in ("SQL", "Go", "Design", "Public speaking"):
        assert skill in text
