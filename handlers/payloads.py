"""Small readers of Slack interaction payloads, shared by the listeners."""

from __future__ import annotations

from typing import Any


def who(body: dict[str, Any]) -> tuple[str, str]:
    """(team id, user id) of a block_actions or view_submission payload."""
    return (body.get("team") or {}).get("id") or body["user"].get("team_id", ""), body["user"]["id"]
