"""The one narrow gateway to Slack's Web API.

Everything Tandem says to Slack goes through `SlackGateway`. Tests and the
demo put a fake Slack behind it (via `SLACK_API_URL`), never a mock in front.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

# What a failed delivery says, and whom it is about (see bot.outbox):
# the person cannot be reached (`account_inactive` is this only when the bot's own token
# still works: Slack says the same about a deactivated bot);
PERSON_ERRORS = frozenset({
    "user_not_found", "users_not_found", "account_inactive", "user_disabled", "cannot_dm_bot",
})
# the conversation is gone or closed to the bot (nobody is marked for it);
DESTINATION_ERRORS = frozenset({"channel_not_found", "is_archived", "not_in_channel"})
# the bot's token or app: nothing will get through for this workspace until an admin acts;
TOKEN_ERRORS = frozenset({
    "invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive",
    "missing_scope", "not_allowed_token_type", "no_permission", "team_access_not_granted",
    "ekm_access_denied", "app_uninstalled", "team_is_restricted",
})
# Tandem built a message Slack will never take: the bot's bug, never the person's.
MALFORMED_ERRORS = frozenset({
    "invalid_blocks", "invalid_blocks_format", "invalid_arguments", "msg_too_long", "no_text",
    "too_many_users", "method_not_supported_for_channel_type", "invalid_metadata_format",
    "invalid_metadata_schema", "metadata_too_large", "too_many_attachments", "restricted_action",
})
# Of those, the ones that mean the token is dead for good (uninstalled or revoked): the
# workspace is stopped as if uninstalled (bot.installations), not paused for a while.
REVOKED_ERRORS = frozenset({"invalid_auth", "token_revoked", "app_uninstalled", "account_inactive"})
PERMANENT_ERRORS = PERSON_ERRORS | DESTINATION_ERRORS | TOKEN_ERRORS | MALFORMED_ERRORS
METADATA_EVENT = "tandem_delivery"


WEB_API_TIMEOUT = 15  # seconds, per Web API call (slack_sdk takes it from the session it is given)


def open_http_session() -> aiohttp.ClientSession:
    """The one HTTP session (one connection pool, kept alive) for all of this process's Web API
    calls; without it slack_sdk opens a new session, and against real Slack a new TLS
    handshake, for every call. Call it inside the running event loop; `SlackGateway.close`
    closes it."""
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WEB_API_TIMEOUT))


def make_client(
    token: str | None, base_url: str, *, for_delivery: bool = False, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    """An AsyncWebClient with Slack's retry handlers installed, on `session` when given.

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
    return AsyncWebClient(token=token or None, base_url=base_url, retry_handlers=handlers, timeout=WEB_API_TIMEOUT,
                          session=session)


def make_gateway(token: str | None, base_url: str) -> SlackGateway:
    """The gateway of a process (serve, run-due, the demo, a test): both clients on one
    shared HTTP session, opened here (inside the event loop) and closed by `close()`."""
    http = open_http_session()
    return SlackGateway(make_client(token, base_url, session=http),
                        make_client(token, base_url, for_delivery=True, session=http), http=http)


@dataclass(frozen=True)
class Grant:
    """Whom calls are made for, and the token to make them with: one installation's bot token
    for one workspace (an Enterprise Grid org-wide install serves every workspace of its org)."""

    team_id: str
    enterprise_id: str | None
    token: str


@dataclass(frozen=True)
class RefreshedToken:
    token: str
    refresh_token: str | None
    expires_at: dt.datetime


# The grant the current task's calls are made with (`SlackGateway.acting_for`). A context
# variable, so concurrent requests and per-workspace deliveries each keep their own, and
# every call site keeps calling `deps.slack.post_message(...)` unchanged.
_acting: contextvars.ContextVar[Grant | None] = contextvars.ContextVar("tandem_slack_grant", default=None)


def slack_error(exc: SlackApiError) -> str:
    return str(exc.response.get("error", "unknown_error")) if exc.response is not None else "unknown_error"


class SlackGateway:
    """Post, open conversations, open/update/publish views, look up users, upload files."""

    def __init__(self, client: AsyncWebClient, delivery_client: AsyncWebClient | None = None,
                 *, http: aiohttp.ClientSession | None = None):
        self._client = client
        self._delivery_client = delivery_client or client
        self.http = http  # the shared HTTP session this gateway owns (make_gateway), if any
        self._per_team: dict[tuple[str | None, str], tuple[str, AsyncWebClient, AsyncWebClient]] = {}

    async def close(self) -> None:
        """Close the shared HTTP session (its kept-alive connections); idempotent. A call
        after it still works, on a session of its own (slack_sdk's fallback)."""
        if self.http is not None and not self.http.closed:
            await self.http.close()

    # --- whose token --------------------------------------------------------------------
    # Single-token mode never binds a grant: every call uses the clients given here. In OAuth
    # mode the edges bind one (a request: Bolt's authorize; scheduled work and the outbox:
    # bot.installations), and the calls in that task use clients made for its token.
    @contextlib.contextmanager
    def acting_for(self, grant: Grant | None) -> Iterator[None]:
        """Make this task's calls (and those of tasks it starts) with `grant`'s token."""
        reset = _acting.set(grant)
        try:
            yield
        finally:
            _acting.reset(reset)

    def bind(self, grant: Grant) -> None:
        """Make the rest of this task's calls (and its future tasks') with `grant`'s token. For a
        Bolt middleware, whose chain returns before the listeners run: the HTTP server runs each
        request in a task of its own, so the binding ends with the request."""
        _acting.set(grant)

    @property
    def grant(self) -> Grant | None:
        return _acting.get()

    @property
    def client(self) -> AsyncWebClient:
        grant = _acting.get()
        return self._clients_for(grant)[0] if grant is not None else self._client

    @property
    def delivery_client(self) -> AsyncWebClient:
        grant = _acting.get()
        return self._clients_for(grant)[1] if grant is not None else self._delivery_client

    def _clients_for(self, grant: Grant) -> tuple[AsyncWebClient, AsyncWebClient]:
        if grant.token == self._client.token:
            return self._client, self._delivery_client
        key = (grant.enterprise_id, grant.team_id)
        known = self._per_team.get(key)
        if known is None or known[0] != grant.token:  # a new installation, or a rotated token
            base_url = self._client.base_url
            known = (grant.token, make_client(grant.token, base_url, session=self.http),
                     make_client(grant.token, base_url, for_delivery=True, session=self.http))
            self._per_team[key] = known
        return known[1], known[2]

    async def identity(self, token: str) -> dict[str, Any]:
        """auth.test for a token (an installation's, before it is used)."""
        resp = await self._client.auth_test(token=token)
        return dict(resp.data) if isinstance(resp.data, dict) else {}

    async def refresh_token(
        self, refresh_token: str, *, client_id: str, client_secret: str, now: dt.datetime,
    ) -> RefreshedToken:
        """Exchange a rotating token's refresh token for a new bot token (oauth.v2.access,
        grant_type=refresh_token); its expiry is reckoned from the caller's `now`."""
        resp = await self._client.oauth_v2_access(
            client_id=client_id, client_secret=client_secret, grant_type="refresh_token", refresh_token=refresh_token,
        )
        return RefreshedToken(
            token=str(resp["access_token"]), refresh_token=resp.get("refresh_token") or refresh_token,
            expires_at=now + dt.timedelta(seconds=int(resp.get("expires_in") or 43200)),
        )

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

    async def permalink(self, channel_id: str, ts: str) -> str:
        """chat.getPermalink: a link to one message (what a shortcut brings to a session)."""
        resp = await self.client.chat_getPermalink(channel=channel_id, message_ts=ts)
        return str(resp["permalink"])

    async def channel_name(self, channel_id: str) -> str | None:
        """conversations.info: the channel's name (a new program is named after it)."""
        resp = await self.client.conversations_info(channel=channel_id)
        channel = resp.get("channel") or {}
        return str(channel.get("name") or "") or None

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

    async def token_works(self) -> bool:
        """auth.test: False only when Slack refuses the bot's token (a token error)."""
        try:
            await self.delivery_client.auth_test()
        except SlackApiError as exc:
            return slack_error(exc) not in TOKEN_ERRORS
        return True

    async def workspace_admins(self) -> list[str]:
        """The workspace's admins and owners (people, not bots), from users.list."""
        admins: list[str] = []
        cursor = None
        while True:
            resp = await self.client.users_list(limit=200, cursor=cursor)
            for user in resp.get("members", []):
                if user.get("deleted") or user.get("is_bot"):
                    continue
                if user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"):
                    admins.append(str(user["id"]))
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return sorted(admins)

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
