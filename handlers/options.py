"""Options loads (`block_suggestion`): skill type-ahead in the profile modal."""

from __future__ import annotations

from typing import Any

from bot import skills
from bot.blocks.profile import skill_options
from bot.deps import Deps


async def suggest_skills(deps: Deps, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Skill type-ahead: catalog matches, plus “➕ Add …” for a new name (read from memory, no write)."""
    typed = str(body.get("value") or "")[:200]
    catalog = await skills.type_ahead_catalog(deps, body["team"]["id"], deps.clock())
    resolved = skills.resolve(typed, catalog)
    found = skills.search(catalog, typed)
    return skill_options(found, typed, exact=resolved is None or resolved.skill is not None)
