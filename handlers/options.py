"""Options loads (`block_suggestion`): skill type-ahead in the profile modal."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot import ids, skills
from bot.blocks.profile import skill_options
from bot.deps import Deps
from bot.workspaces import ensure_workspace


def register(app: AsyncApp, deps: Deps) -> None:
    async def suggest_skills(ack, body) -> None:  # type: ignore[no-untyped-def]
        """Skill type-ahead: catalog matches, plus “➕ Add …” for a new name."""
        typed = str(body.get("value") or "")[:200]
        now = deps.clock()
        async with deps.sessionmaker.begin() as session:
            workspace = await ensure_workspace(session, body["team"]["id"], now)
            catalog = await skills.ensure_catalog(session, workspace.id, now)
        resolved = skills.resolve(typed, catalog)
        found = skills.search(catalog, typed)
        await ack(options=skill_options(found, typed, exact=resolved is None or resolved.skill is not None))

    app.options(ids.OFFERS[1])(suggest_skills)
    app.options(ids.WANTS[1])(suggest_skills)
