"""Nothing slow before a modal opens (issue 10.11): with the database held up for longer
than a trigger id lives (3 s, enforced by the fake Slack), the modal still opens, because a
loading modal goes up with the trigger id first and the real one replaces it."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy import select

from bot import ids
from bot.models import Pairing
from tests.conftest import ADMIN_ID, RunningApp
from tests.e2e.helpers import buttons, click, seed_pairing, sessions_of, step

HELD = 3.5  # seconds: longer than a trigger id lives


def _shown(app: RunningApp, callback_id: str) -> list[dict[str, Any]]:
    return [c for c in app.slack.calls_to("views.update") if c.ok and c.params["view"]["callback_id"] == callback_id]


def _expired(app: RunningApp) -> list[Any]:
    return [c for c in app.slack.calls if c.method == "views.open" and not c.ok]


async def test_we_met_opens_feedback_while_the_pairing_is_locked(app: RunningApp, on_postgres: bool,
                                                                   monkeypatch) -> None:
    """"We met" writes under the pairing's lock. PostgreSQL: another transaction holds that row
    for 3.5 s. SQLite (one writer for the whole file, which the request's middleware would wait
    for too): the locked read itself takes 3.5 s. Either way the feedback modal still opens."""
    import handlers.sessions

    pairing_id, conv = await seed_pairing(app, [("UANA", "UTC"), ("UBEN", "UTC")])
    planned = await sessions_of(app, pairing_id)
    await step(app, planned[0].due_at + dt.timedelta(hours=6))
    [checkin] = buttons(app, conv, ids.CHECKIN_MET)
    if not on_postgres:
        real = handlers.sessions.session_seat

        async def slow_seat(*args: Any, **kwargs: Any) -> Any:
            await asyncio.sleep(HELD)
            return await real(*args, **kwargs)

        monkeypatch.setattr(handlers.sessions, "session_seat", slow_seat)

    async with app.deps.sessionmaker() as session:
        if on_postgres:
            await session.execute(select(Pairing).where(Pairing.id == pairing_id).with_for_update())
        await click(app, "UANA", ids.CHECKIN_MET, checkin, conv)
        opened = await app.slack.wait_for("views.open")
        assert opened[-1].params["view"]["callback_id"] == ids.LOADING_VIEW
        await asyncio.sleep(HELD)
        assert not _shown(app, ids.FEEDBACK_VIEW)  # still waiting for the pairing
        await session.rollback()
    await app.slack.wait_for("views.update", timeout=10,
                             predicate=lambda c: c.params["view"]["callback_id"] == ids.FEEDBACK_VIEW)
    assert _expired(app) == []


async def test_settings_open_when_reading_the_program_is_slow(app: RunningApp, monkeypatch) -> None:
    import handlers.admin

    real = handlers.admin.program_of

    async def slow_program_of(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(HELD)
        return await real(*args, **kwargs)

    monkeypatch.setattr(handlers.admin, "program_of", slow_program_of)
    status, _, _ = await app.requests.slash_command(ADMIN_ID, "admin")
    assert status == 200 and app.requests.last_elapsed < 3
    await app.slack.wait_for("views.update", timeout=10,
                             predicate=lambda c: c.params["view"]["callback_id"] == ids.SETTINGS_VIEW)
    assert _expired(app) == []


async def test_goals_command_opens_the_modal_when_the_database_is_slow(app: RunningApp, monkeypatch) -> None:
    import bot.goals

    pairing_id, _conv = await seed_pairing(app, [("UANA", "UTC"), ("UBEN", "UTC")])
    real = bot.goals.current_seat

    async def slow_seat(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(HELD)
        return await real(*args, **kwargs)

    monkeypatch.setattr(bot.goals, "current_seat", slow_seat)
    status, _, _ = await app.requests.slash_command("UANA", "goals")
    assert status == 200
    await app.slack.wait_for("views.update", timeout=10,
                             predicate=lambda c: c.params["view"]["callback_id"] == ids.GOALS_VIEW)
    assert _expired(app) == []


async def test_settings_submission_is_answered_in_time_when_users_info_is_slow(app: RunningApp) -> None:
    """The admin's rights are remembered from opening the modal, so a submission is checked
    and answered within Slack's 3 s even while users.info takes 10 s."""
    status, _, _ = await app.requests.slash_command(ADMIN_ID, "admin")
    assert status == 200
    await app.slack.wait_for("views.update", predicate=lambda c: c.params["view"]["callback_id"] == ids.SETTINGS_VIEW)
    app.slack.delay("users.info", 10, count=5)
    status, _, body = await app.requests.view_submission(ADMIN_ID, ids.SETTINGS_VIEW, {})
    assert status == 200 and app.requests.last_elapsed < 3
    assert body["response_action"] == "errors" and ids.SETTINGS_TIMEZONE[0] in body["errors"]
