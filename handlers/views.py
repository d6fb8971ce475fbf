"""View submissions (modals) — one listener per callback id."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot import ids
from bot.deps import Deps
from handlers import admin


def register(app: AsyncApp, deps: Deps) -> None:
    @app.view(ids.SETTINGS_VIEW)
    async def settings_submitted(ack, body, view) -> None:  # type: ignore[no-untyped-def]
        """Program-settings modal submitted (admins)."""
        await admin.submit_settings(deps, ack, team_id=body["team"]["id"], user_id=body["user"]["id"],
                                    values=view["state"]["values"])
