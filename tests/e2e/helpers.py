"""Helpers the end-to-end tests share: seeding a pairing, stepping the clock, clicking
buttons, submitting modals, reading what the fake Slack was sent. No tests live here."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select

from bot import ids
from bot.models import Member, MemberSkill, Pairing, Round, Session, Skill
from bot.pairings import create_pairing
from bot.scheduler import run_due
from bot.workspaces import ensure_workspace, program_of
from tests import factories
from tests.conftest import T0, TEAM_ID, RunningApp

PRIVATE_NOTE = "PRIVATE-NOTE-only-for-ana-7731"
EXPERIMENT = "Ask for feedback in every 1:1"


async def seed_pairing(
    app: RunningApp, people: list[tuple[str, str]], *, cadence: str = "weekly", sessions: int = 4,
    fmt: str = "turns", experience: dict[str, int] | None = None,
) -> tuple[int, str]:
    """A pairing of `people` [(user id, IANA zone)], created at T0; returns (pairing id, conversation id)."""
    for user_id, tz in people:
        app.slack.add_user(user_id, real_name=user_id.title(), tz=tz)
    async with app.deps.sessionmaker.begin() as session:
        ws = await ensure_workspace(session, TEAM_ID, T0)
        program = await program_of(session, ws.id)
        program.cadence, program.sessions_per_pairing, program.default_format = cadence, sessions, fmt
        members = []
        for user_id, tz in people:
            info = await app.deps.slack.user_info(user_id)
            member = Member(workspace_id=ws.id, slack_user_id=user_id, display_name=user_id, status="active",
                            tz=tz, tz_offset=info["tz_offset"], experience=(experience or {}).get(user_id, 2),
                            session_format=fmt, joined_at=T0, created_at=T0, updated_at=T0)
            session.add(member)
            await session.flush()
            await factories.membership(session, member)
            members.append(member)
        number = len(list(await session.scalars(select(Round.id).where(Round.program_id == program.id)))) + 1
        round_ = Round(program_id=program.id, number=number, started_at=T0, method="test")
        session.add(round_)
        await session.flush()
        pairing = await create_pairing(session, program=program, round_=round_, members=members, score=1.0,
                                       reasons=["test"], two_way=True, cross_department=True, now=T0)
        conversation = await app.deps.slack.open_conversation([u for u, _ in people])
        pairing.conversation_id = conversation
        return pairing.id, conversation


async def step(app: RunningApp, until: dt.datetime, *, hours: float = 3) -> None:
    """Run the scheduler every `hours` until `until`, as a ticking scheduler would."""
    while app.clock.now < until:
        app.clock.advance(hours=hours)
        await run_due(app.deps, app.clock.now)


async def dm(app: RunningApp, user_id: str) -> str:
    return await app.deps.slack.open_conversation([user_id])


def texts(app: RunningApp, channel: str) -> list[str]:
    """Every message in a channel, fallback text and blocks, as one string each."""
    return [json.dumps(m.get("blocks") or []) + m.get("text", "") for m in app.slack.messages(channel)]


def buttons(app: RunningApp, channel: str, action_id: str) -> list[str]:
    """Values of every button with this action id in a channel's messages, oldest first."""
    found = []
    for message in app.slack.messages(channel):
        for block in message.get("blocks") or []:
            for element in block.get("elements") or []:
                if element.get("action_id") == action_id:
                    found.append(element.get("value"))
    return found


def opened_views(app: RunningApp, callback_id: str) -> list[dict[str, Any]]:
    """The modals shown with this callback id: opened at once, or put in place of a loading modal."""
    return [c.params["view"] for c in app.slack.calls if c.method in ("views.open", "views.update") and c.ok
            and c.params["view"].get("callback_id") == callback_id]


def ephemeral_answers(app: RunningApp) -> list[str]:
    return [json.dumps(c.params) for c in app.slack.calls_to("response_url")]


async def click(app: RunningApp, user_id: str, action_id: str, value: str, channel: str) -> None:
    status, _, _ = await app.requests.block_action(user_id, action_id, value, channel_id=channel)
    assert status == 200


def text_value(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def select_value(value: str) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}}}


def feedback_values(rating: str = "4", takeaway: str = "Listen first", experiment: str | None = None,
                    note: str | None = None, goals: dict[int, str] | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {
        ids.FEEDBACK_RATING[0]: {ids.FEEDBACK_RATING[1]: select_value(rating)},
        ids.FEEDBACK_TAKEAWAY[0]: {ids.FEEDBACK_TAKEAWAY[1]: text_value(takeaway)},
        ids.FEEDBACK_EXPERIMENT[0]: {ids.FEEDBACK_EXPERIMENT[1]: text_value(experiment or "")},
        ids.FEEDBACK_PRIVATE_NOTE[0]: {ids.FEEDBACK_PRIVATE_NOTE[1]: text_value(note or "")},
    }
    for goal_id, progress in (goals or {}).items():
        values[f"{ids.FEEDBACK_GOAL_PREFIX}{goal_id}"] = {ids.FEEDBACK_GOAL_SELECT: select_value(progress)}
    return values


def goals_values(goals: list[tuple[str, str, str | None, str]], intent: str = "") -> dict[str, Any]:
    values: dict[str, Any] = {ids.SHARED_INTENT[0]: {ids.SHARED_INTENT[1]: text_value(intent)}}
    for n, (what, measure, by, why) in enumerate(goals, start=1):
        values[f"goal{n}_what"] = {ids.GOAL_INPUT: text_value(what)}
        values[f"goal{n}_measure"] = {ids.GOAL_INPUT: text_value(measure)}
        values[f"goal{n}_by"] = {ids.GOAL_INPUT: {"type": "datepicker", "selected_date": by}}
        values[f"goal{n}_why"] = {ids.GOAL_INPUT: text_value(why)}
    return values


def dilemma_values(situation: str, tried: str, want: str) -> dict[str, Any]:
    return {
        ids.DILEMMA_SITUATION[0]: {ids.DILEMMA_SITUATION[1]: text_value(situation)},
        ids.DILEMMA_TRIED[0]: {ids.DILEMMA_TRIED[1]: text_value(tried)},
        ids.DILEMMA_WANT[0]: {ids.DILEMMA_WANT[1]: text_value(want)},
    }


def time_values(when: dt.datetime, cadence: str = "weekly") -> dict[str, Any]:
    return {
        ids.SESSION_TIME[0]: {ids.SESSION_TIME[1]: {"type": "datetimepicker",
                                                     "selected_date_time": int(when.timestamp())}},
        ids.SESSION_CADENCE[0]: {ids.SESSION_CADENCE[1]: select_value(cadence)},
    }


async def sessions_of(app: RunningApp, pairing_id: int) -> list[Session]:
    async with app.deps.sessionmaker() as session:
        return list(await session.scalars(select(Session).where(Session.pairing_id == pairing_id).order_by(Session.sequence)))


async def pairing_row(app: RunningApp, pairing_id: int) -> Pairing:
    async with app.deps.sessionmaker() as session:
        pairing = await session.get(Pairing, pairing_id)
        assert pairing is not None
        return pairing


def assert_never_sent(app: RunningApp, secret: str) -> None:
    """No recorded Web API call (messages, views, homes, response URLs) carries `secret`."""
    for call in app.slack.calls:
        assert secret not in json.dumps(call.params), f"{secret!r} leaked in {call.method}"


def assert_each_prompt_once(app: RunningApp) -> None:
    keys = [c.params["metadata"]["event_payload"]["key"] for c in app.slack.calls_to("chat.postMessage")
            if c.ok and c.params.get("metadata")]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)


def profile_values(
    *, offers: list[str] = (), wants: list[str] = (), new_offers: str = "", new_wants: str = "",  # type: ignore[assignment]
    experience: str | None = "2", department: str = "", goals: str = "", fmt: str = "turns",
    dont_pair: list[str] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    """The `view.state.values` Slack sends for the profile modal (option values as given)."""

    def options(values: list[str]) -> list[dict[str, Any]]:
        return [{"text": {"type": "plain_text", "text": v}, "value": v} for v in values]

    return {
        ids.OFFERS[0]: {ids.OFFERS[1]: {"type": "multi_external_select", "selected_options": options(offers)}},
        ids.NEW_OFFERS[0]: {ids.NEW_OFFERS[1]: {"type": "plain_text_input", "value": new_offers or None}},
        ids.WANTS[0]: {ids.WANTS[1]: {"type": "multi_external_select", "selected_options": options(wants)}},
        ids.NEW_WANTS[0]: {ids.NEW_WANTS[1]: {"type": "plain_text_input", "value": new_wants or None}},
        ids.EXPERIENCE[0]: {ids.EXPERIENCE[1]: {
            "type": "static_select",
            "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": experience} if experience else None}},
        ids.DEPARTMENT[0]: {ids.DEPARTMENT[1]: {"type": "plain_text_input", "value": department or None}},
        ids.CAREER_GOALS[0]: {ids.CAREER_GOALS[1]: {"type": "plain_text_input", "value": goals or None}},
        ids.SESSION_FORMAT[0]: {ids.SESSION_FORMAT[1]: {
            "type": "radio_buttons", "selected_option": {"text": {"type": "plain_text", "text": fmt}, "value": fmt}}},
        ids.DONT_PAIR[0]: {ids.DONT_PAIR[1]: {"type": "multi_users_select", "selected_users": list(dont_pair)}},
    }


async def submit_profile(app: RunningApp, user_id: str, **values: Any) -> tuple[int, Any]:
    status, _, body = await app.requests.view_submission(user_id, ids.PROFILE_VIEW, profile_values(**values))
    return status, body


async def join(app: RunningApp, user_id: str, *, offers: str = "Python", wants: str = "Go", **values: Any) -> None:
    """Opt a person in through the modal and wait for their confirmation DM."""
    def mine(call: Any) -> bool:
        return call.params.get("user_id") == user_id

    before = len(app.slack.calls_to("chat.postMessage"))
    homes = len([c for c in app.slack.calls_to("views.publish") if c.ok and mine(c)])
    status, body = await submit_profile(app, user_id, new_offers=offers, new_wants=wants, **values)
    assert status == 200 and not body, body
    await app.slack.wait_for("chat.postMessage", before + 1)
    await app.slack.wait_for("views.publish", homes + 1, predicate=mine)


async def member_row(app: RunningApp, user_id: str) -> Member | None:
    async with app.deps.sessionmaker() as session:
        return await session.scalar(select(Member).where(Member.slack_user_id == user_id))


async def skills_of(app: RunningApp, user_id: str) -> dict[str, set[str]]:
    async with app.deps.sessionmaker() as session:
        rows = (await session.execute(
            select(MemberSkill.kind, Skill.name).join(Skill).join(Member).where(Member.slack_user_id == user_id)
        )).all()
    out: dict[str, set[str]] = {"offer": set(), "want": set()}
    for kind, name in rows:
        out[kind].add(name)
    return out


async def open_modal(app: RunningApp, user_id: str, text: str = "join") -> dict[str, Any]:
    """/tandem join|profile → the loading modal at once, then the filled modal; returns it."""
    before = len(app.slack.calls_to("views.update"))
    status, _, body = await app.requests.slash_command(user_id, text)
    assert status == 200 and app.requests.last_elapsed < 3
    opened = await app.slack.wait_for("views.open")
    assert opened[-1].params["view"]["callback_id"] == ids.PROFILE_LOADING_VIEW
    updated = await app.slack.wait_for("views.update", before + 1)
    view = app.slack.view(updated[-1].params["view_id"])
    assert view is not None and view["callback_id"] == ids.PROFILE_VIEW
    return view


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


async def pair(app: RunningApp, *user_ids: str) -> int:
    """Active members with a pairing between them (straight through the ORM); returns its id."""
    async with app.deps.sessionmaker.begin() as session:
        ws = await factories.workspace(session)
        program = await program_of(session, ws.id)
        round_ = Round(program_id=program.id, number=1, started_at=T0, method="test", figures={})
        session.add(round_)
        await session.flush()
        people = []
        for i, user_id in enumerate(user_ids):
            found = await session.scalar(select(Member).where(Member.slack_user_id == user_id))
            people.append(found or await factories.member(
                session, ws, user_id, offers=["Python"], wants=["Go"], department=f"D{i}"))
        pairing = await create_pairing(session, program=program, round_=round_, members=people, score=1.0,
                                       reasons=[], two_way=True, cross_department=True, now=T0)
        return pairing.id
