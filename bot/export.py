"""The admin's CSV export: one row per session, facts only.

Columns are ids, dates, states and numbers. No text anyone wrote (private
notes, takeaways, dilemmas, goals) is selected, and a session's rating is the
mean of the ratings given for it with their count, shown only when at least
the program's minimum group size k (>= 3) of people rated it — a session has
at most three raters, so in practice per-session ratings are withheld: a count
of 1 would be one person's rating, and an admin who is also a member could
derive a partner's rating from a mean of two. Program-wide ratings are in the
figures (bot/stats.py), under the same rule.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Feedback, Member, Pairing, PairingMember, Program, Round, Session

COLUMNS = (
    "round", "round_started", "pairing_id", "pairing_state", "pairing_started", "pairing_ended",
    "member_1", "member_2", "member_3", "two_way", "cross_department",
    "session", "format", "due_at", "state", "answered_at", "mentee", "dilemma_submitted",
    "rating_mean", "ratings",
)


def _iso(value: dt.datetime | None) -> str:
    return value.astimezone(dt.timezone.utc).isoformat(timespec="minutes") if value else ""


def _flag(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


async def sessions_csv(session: AsyncSession, program: Program) -> bytes:
    """The CSV (UTF-8, header row first) of every session of the program."""
    seats = await _seats(session, program)
    ratings = {
        session_id: (mean, count)
        for session_id, mean, count in (await session.execute(
            select(Feedback.session_id, func.avg(Feedback.rating), func.count(distinct(Feedback.member_id)))
            .join(Session, Session.id == Feedback.session_id)
            .join(Pairing, Pairing.id == Session.pairing_id)
            .where(Pairing.program_id == program.id, Feedback.rating.is_not(None))
            .group_by(Feedback.session_id)
        )).all()
        if count >= program.min_group_size
    }
    rows = (await session.execute(
        select(
            Round.number, Round.started_at, Pairing.id, Pairing.state, Pairing.started_at, Pairing.ended_at,
            Pairing.two_way, Pairing.cross_department, Session.id, Session.sequence, Session.format,
            Session.due_at, Session.state, Session.answered_at, Member.slack_user_id,
            Session.dilemma_at.is_not(None),
        )
        .join(Pairing, Pairing.round_id == Round.id)
        .join(Session, Session.pairing_id == Pairing.id)
        .outerjoin(Member, Member.id == Session.mentee_member_id)
        .where(Pairing.program_id == program.id)
        .order_by(Round.number, Pairing.id, Session.sequence)
    )).all()

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for (round_no, round_at, pairing_id, pairing_state, started, ended, two_way, cross, session_id,
         sequence, fmt, due_at, state, answered_at, mentee, has_dilemma) in rows:
        members = (seats.get(pairing_id, []) + ["", "", ""])[:3]
        mean, count = ratings.get(session_id, (None, 0))
        writer.writerow((
            round_no, _iso(round_at), pairing_id, pairing_state, _iso(started), _iso(ended),
            *members, _flag(two_way), _flag(cross),
            sequence, fmt, _iso(due_at), state, _iso(answered_at), mentee or "",
            _flag(bool(has_dilemma)) if mentee else "",
            f"{float(mean):.2f}" if mean is not None else "", count if mean is not None else "",
        ))
    return out.getvalue().encode("utf-8")


async def _seats(session: AsyncSession, program: Program) -> dict[int, list[str]]:
    """Slack user ids of each pairing's members, in seat order."""
    seats: dict[int, list[str]] = defaultdict(list)
    for pairing_id, slack_user_id in (await session.execute(
        select(PairingMember.pairing_id, Member.slack_user_id)
        .join(Member, Member.id == PairingMember.member_id)
        .join(Pairing, Pairing.id == PairingMember.pairing_id)
        .where(Pairing.program_id == program.id)
        .order_by(PairingMember.pairing_id, PairingMember.position)
    )).all():
        seats[pairing_id].append(slack_user_id)
    return seats
