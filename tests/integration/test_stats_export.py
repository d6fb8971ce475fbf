"""The sessions CSV: parsed back and matched row by row to the database, with no private text."""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.deps import Deps
from bot.export import COLUMNS, sessions_csv
from bot.models import Feedback, Member, Pairing, Program, Session
from bot.workspaces import ensure_workspace, program_of
from tests.conftest import T0, TEAM_ID
from tests.integration.test_stats import PAIRINGS, PRIVATE_TEXTS, seed_history


async def export_rows(deps: Deps) -> tuple[bytes, list[dict[str, str]]]:
    async with deps.sessionmaker() as db:
        ws = await ensure_workspace(db, TEAM_ID, T0)
        content = await sessions_csv(db, await program_of(db, ws.id))
    return content, list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


async def assert_matches_database(deps: Deps, rows: list[dict[str, str]]) -> None:
    """Every session of the database appears once, with the same facts."""
    async with deps.sessionmaker() as db:
        sessions = list(await db.scalars(
            select(Session).options(selectinload(Session.pairing).selectinload(Pairing.members),
                                    selectinload(Session.pairing).selectinload(Pairing.round))
        ))
        slack_ids = {m.id: m.slack_user_id for m in await db.scalars(select(Member))}
        ratings: dict[int, list[int]] = {}
        raters: dict[int, set[int]] = {}
        for fb in await db.scalars(select(Feedback)):
            if fb.rating is not None:
                ratings.setdefault(fb.session_id, []).append(fb.rating)
                raters.setdefault(fb.session_id, set()).add(fb.member_id)
        k = await db.scalar(select(Program.min_group_size))
    assert len(rows) == len(sessions)
    by_key = {(int(r["pairing_id"]), int(r["session"])): r for r in rows}
    for s in sessions:
        row = by_key[(s.pairing_id, s.sequence)]
        seats = [slack_ids[pm.member_id] for pm in sorted(s.pairing.members, key=lambda pm: pm.position)]
        assert [row["member_1"], row["member_2"], row["member_3"]] == (seats + ["", ""])[:3]
        assert int(row["round"]) == s.pairing.round.number
        assert row["pairing_state"] == s.pairing.state
        assert row["state"] == s.state and row["format"] == s.format
        assert dt.datetime.fromisoformat(row["due_at"]) == s.due_at.replace(second=0, microsecond=0)
        assert row["mentee"] == (slack_ids[s.mentee_member_id] if s.mentee_member_id else "")
        if s.mentee_member_id:
            assert row["dilemma_submitted"] == ("yes" if s.dilemma_at else "no")
        given = ratings.get(s.id, [])
        # A session has at most three raters: below k (>= 3) its ratings are withheld.
        shown = given and len(raters.get(s.id, set())) >= k
        assert row["ratings"] == (str(len(given)) if shown else "")
        assert row["rating_mean"] == (f"{sum(given) / len(given):.2f}" if shown else "")


async def test_csv_has_one_row_per_session_matching_the_database(deps: Deps) -> None:
    await seed_history(deps, min_group_size=1)
    content, rows = await export_rows(deps)
    assert content.decode().splitlines()[0].split(",") == list(COLUMNS)
    assert len(rows) == sum(len(p.sessions) for p in PAIRINGS)
    await assert_matches_database(deps, rows)


async def test_csv_holds_no_private_text(deps: Deps) -> None:
    await seed_history(deps, min_group_size=1)
    content, _ = await export_rows(deps)
    text = content.decode()
    for secret in PRIVATE_TEXTS:
        assert secret not in text


async def test_csv_of_an_empty_program_is_just_the_header(deps: Deps) -> None:
    content, rows = await export_rows(deps)
    assert rows == [] and content.decode().strip() == ",".join(COLUMNS)
