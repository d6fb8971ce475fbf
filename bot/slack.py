"""The one narrow gateway to Slack's Web API.

Everything Tandem says to Slack goes through `SlackGateway`. Tests and the
demo put a fake Slack behind it (via `SLACK_API_URL`), never a mock in front.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

# Slack errors that no retry will fix for this destination.
PERMANENT_ERRORS = frozenset({
    "user_not_found", "users_not_found", "account_inactive", "user_disabled", "channel_not_found",
    "is_archived", "not_in_channel", "cannot_dm_bot", "invalid_blocks", "invalid_arguments",
    "msg_too_long", "no_text", "restricted_action", "too_many_users", "not_authed",
    "invalid_auth", "token_revoked", "method_not_supported_for_channel_type",
})
METADATA_EVENT = "tandem_delivery"


def make_client(token: str, base_url: str, *, for_delivery: bool = False) -> AsyncWebClient:
    """An AsyncWebClient with Slack's retry handlers installed.

    Interactive calls retry rate limits, 5xx and dropped connections. The
    outbox's client (`for_delivery`) retries only 429s, which Slack never
    processed: any other retry of a post goes through the outbox, which first
    looks in the conversation for the message so it is never posted twice.
    """
    handlers: list[Any] = [AsyncRateLimitErrorRetryHandler(max_retry_count=5)]
    if not for_delivery:
        handlers += [
            AsyncServerErrorRetryHandler(max_retry_count=2),
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
        ]
    return AsyncWebClient(token=token, base_url=base_url, retry_handlers=handlers, timeout=15)


def slack_error(exc: SlackApiError) -> str:
    return str(exc.response.get("error", "unknown_error")) if exc.response is not None else "unknown_error"


class SlackGateway:
    """Post, open conversations, open/update/publish views, look up users, upload files."""

    def __init__(self, client: AsyncWebClient, delivery_client: AsyncWebClient | None = None):
        self.client = client
        self.delivery_client = delivery_client or client

    # --- messages -------------------------------------------------------------------------
    async def post_message(
        self, channel: str, text: str, blocks: list[dict[str, Any]] | None = None,
        *, delivery_key: str | None = None,
    ) -> dict[str, Any]:
        """Post a message; `delivery_key` is stamped in its metadata (see outbox)."""
        kwargs: dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False}
        if blocks:
            kwargs["blocks"] = blocks
        if delivery_key:
            kwargs["metadata"] = {"event_type": METADATA_EVENT, "event_payload": {"key": delivery_key}}
        client = self.delivery_client if delivery_key else self.client
        resp = await client.chat_postMessage(**kwargs)
        return {"channel": resp["channel"], "ts": resp["ts"]}

    async def find_delivered(self, channel: str, delivery_key: str, *, oldest: float) -> str | None:
        """The ts of a message already posted with this delivery key, if any."""
        resp = await self.client.conversations_history(
            channel=channel, oldest=str(oldest), limit=200, include_all_metadata=True
        )
        for msg in resp.get("messages", []):
            meta = msg.get("metadata") or {}
            if meta.get("event_type") == METADATA_EVENT and (meta.get("event_payload") or {}).get("key") == delivery_key:
                return str(msg["ts"])
        return None

    async def post_ephemeral(self, channel: str, user: str, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        await self.client.chat_postEphemeral(channel=channel, user=user, text=text, blocks=blocks)

    async def open_conversation(self, user_ids: list[str]) -> str:
        """Open (or find) the DM or group DM with these users; Slack returns the same id each time."""
        resp = await self.delivery_client.conversations_open(users=",".join(user_ids))
        return str(resp["channel"]["id"])

    async def join_channel(self, channel_id: str) -> None:
        await self.client.conversations_join(channel=channel_id)

    # --- views ----------------------------------------------------------------------------
    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> dict[str, Any]:
        resp = await self.client.views_open(trigger_id=trigger_id, view=view)
        return dict(resp["view"])

    async def push_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        await self.client.views_push(trigger_id=trigger_id, view=view)

    async def update_view(self, view_id: str, view: dict[str, Any]) -> None:
        await self.client.views_update(view_id=view_id, view=view)

    async def publish_home(self, user_id: str, view: dict[str, Any]) -> None:
        await self.client.views_publish(user_id=user_id, view=view)

    # --- people and files --------------------------------------------------------------------
    async def user_info(self, user_id: str) -> dict[str, Any]:
        resp = await self.client.users_info(user=user_id)
        return dict(resp["user"])

    async def upload_file(
        self, channel: str, filename: str, content: bytes, *, title: str, comment: str
    ) -> None:
        """Slack's current upload flow (getUploadURLExternal + completeUploadExternal)."""
        await self.client.files_upload_v2(
            channel=channel, filename=filename, content=content, title=title, initial_comment=comment
        )
