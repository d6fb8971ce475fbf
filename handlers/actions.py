"""Block actions (button clicks, selects) — one listener per action id."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot import ids
from bot.deps import Deps
from handlers import admin


def register(app: AsyncApp, deps: Deps) -> None:
    @app.action(ids.OPEN_SETTINGS)
    async def open_settings(ack, body) -> None:  # type: ignore[no-untyped-def]
        """App Home "Program settings" button (admins)."""
        await ack()
        await admin.open_settings(deps, team_id=body["team"]["id"], user_id=body["user"]["id"],
                                  trigger_id=body["trigger_id"])

    @app.action(ids.ADMIN_SEND_CHART)
    async def send_chart(ack, body) -> None:  # type: ignore[no-untyped-def]
        """App Home "Send me the chart" button (admins)."""
        await ack()
        await admin.send_chart_for(deps, team_id=body["team"]["id"], user_id=body["user"]["id"])

    @app.action(ids.ADMIN_SEND_EXPORT)
    async def send_export(ack, body) -> None:  # type: ignore[no-untyped-def]
        """App Home "Export sessions (CSV)" button (admins)."""
        await ack()
        await admin.send_export_for(deps, team_id=body["team"]["id"], user_id=body["user"]["id"])
