"""Send correctly signed Slack requests (commands, interactions, events) to a running Bolt app."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
from typing import Any, Callable
from urllib.parse import urlencode

import aiohttp

Result = tuple[int, str, Any]  # (HTTP status, body text, parsed JSON or None)

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


def compute_signature(signing_secret: str, timestamp: str | int, body: bytes | str) -> str:
    """Slack's request signature: v0= HMAC-SHA256 of "v0:{timestamp}:{body}"."""
    raw = body.encode() if isinstance(body, str) else body
    base = b"v0:" + str(timestamp).encode() + b":" + raw
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


class SlackRequests:
    """Builds Slack-shaped payloads, signs them and POSTs them to a Bolt app's request URL."""

    def __init__(self, base_url: str, signing_secret: str, team_id: str = "T0001", *,
                 api_app_id: str = "A0001", team_domain: str = "tandem-fake", bot_user_id: str = "UBOT",
                 response_url_for: Callable[[str], str] | None = None, timeout: float = 10.0,
                 enterprise_id: str | None = None, org_wide: bool = False) -> None:
        """base_url is the full request URL (e.g. http://127.0.0.1:3000/slack/events).

        response_url_for maps a key to a response_url (e.g. FakeSlack.response_url) so that
        respond() calls land somewhere observable instead of hooks.slack.com.
        """
        self.base_url = base_url
        self._secret = signing_secret
        self.team_id, self.api_app_id, self.team_domain = team_id, api_app_id, team_domain
        self.bot_user_id = bot_user_id
        # Enterprise Grid: the org the workspace belongs to, and whether the app is installed org-wide.
        self.enterprise_id, self.org_wide = enterprise_id, org_wide
        self.response_url_for = response_url_for
        self.timeout = timeout
        self.last_elapsed: float | None = None  # seconds the last request took (Slack wants < 3s)
        self._seq = itertools.count(1)

    # ------------------------------------------------------------------ ids
    def new_trigger_id(self) -> str:
        """`<n>.<issued, Unix ms>.<hex>`: the fake Slack expires it three seconds after issue."""
        return f"{next(self._seq)}.{int(time.time() * 1000)}.{secrets.token_hex(16)}"

    def _response_url(self, kind: str) -> str:
        key = f"{kind}-{next(self._seq)}"
        if self.response_url_for is not None:
            return self.response_url_for(key)
        return f"https://hooks.slack.com/{kind}/{self.team_id}/{key}/{secrets.token_hex(12)}"

    def _team(self) -> dict:
        team = {"id": self.team_id, "domain": self.team_domain}
        if self.enterprise_id:
            team.update(enterprise_id=self.enterprise_id, enterprise_name=f"Org {self.enterprise_id}")
        return team

    def _user(self, user_id: str) -> dict:
        return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": self.team_id}

    # ------------------------------------------------------------------ requests
    async def slash_command(self, user_id: str, text: str, *, command: str = "/tandem",
                            channel_id: str = "C0001", channel_name: str = "general",
                            trigger_id: str | None = None, response_url: str | None = None) -> Result:
        """A slash command, form-encoded like Slack sends it."""
        form = {
            "token": "verification_token", "team_id": self.team_id, "team_domain": self.team_domain,
            "channel_id": channel_id, "channel_name": channel_name, "user_id": user_id,
            "user_name": user_id.lower(), "command": command, "text": text, "api_app_id": self.api_app_id,
            "is_enterprise_install": "true" if self.org_wide else "false",
            **({"enterprise_id": self.enterprise_id} if self.enterprise_id else {}),
            "response_url": response_url or self._response_url("commands"),
            "trigger_id": trigger_id or self.new_trigger_id(),
        }
        return await self.post(urlencode(form).encode(), FORM)

    async def block_action(self, user_id: str, action_id: str, value: str | None = None, *,
                           block_id: str = "b", container: dict | None = None, channel_id: str | None = None,
                           trigger_id: str | None = None, response_url: str | None = None,
                           view: dict | None = None, message: dict | None = None,
                           extra_action_fields: dict | None = None) -> Result:
        """A block_actions interaction (button click etc.) from a message, modal or home tab."""
        action: dict[str, Any] = {"action_id": action_id, "block_id": block_id, "type": "button",
                                  "action_ts": f"{time.time():.6f}"}
        if value is not None:
            action["value"] = value
        action.update(extra_action_fields or {})
        payload: dict[str, Any] = {
            "type": "block_actions", "user": self._user(user_id), "api_app_id": self.api_app_id,
            "token": "verification_token", "trigger_id": trigger_id or self.new_trigger_id(),
            "team": self._team(), "actions": [action],
        }
        if view is not None:
            payload["view"] = _complete_view(view, self.api_app_id)
            payload["container"] = container or {"type": "view", "view_id": payload["view"]["id"]}
        else:
            channel_id = channel_id or "C0001"
            message_ts = (message or {}).get("ts") or f"{time.time():.6f}"
            payload["container"] = container or {"type": "message", "message_ts": message_ts,
                                                  "channel_id": channel_id, "is_ephemeral": False}
            payload["channel"] = {"id": channel_id, "name": "general"}
            payload["message"] = message or {"type": "message", "ts": message_ts, "text": ""}
            payload["response_url"] = response_url or self._response_url("actions")
        if channel_id and "channel" not in payload:
            payload["channel"] = {"id": channel_id, "name": "general"}
        return await self._interaction(payload)

    async def shortcut(self, user_id: str, callback_id: str, *, trigger_id: str | None = None) -> Result:
        """A global shortcut (type "shortcut"), chosen from the shortcuts menu."""
        payload = {"type": "shortcut", "callback_id": callback_id, "trigger_id": trigger_id or self.new_trigger_id(),
                   "user": self._user(user_id), "team": self._team(), "api_app_id": self.api_app_id,
                   "token": "verification_token", "action_ts": f"{time.time():.6f}"}
        return await self._interaction(payload)

    async def message_shortcut(self, user_id: str, callback_id: str, *, channel_id: str, message_ts: str,
                               text: str = "", author: str = "UOTHER", trigger_id: str | None = None) -> Result:
        """A message shortcut (type "message_action") on one message of a channel."""
        payload = {"type": "message_action", "callback_id": callback_id,
                   "trigger_id": trigger_id or self.new_trigger_id(), "user": self._user(user_id),
                   "team": self._team(), "channel": {"id": channel_id, "name": "general"},
                   "message": {"type": "message", "user": author, "ts": message_ts, "text": text},
                   "message_ts": message_ts, "response_url": self._response_url("actions"),
                   "api_app_id": self.api_app_id, "token": "verification_token", "action_ts": f"{time.time():.6f}"}
        return await self._interaction(payload)

    async def view_submission(self, user_id: str, callback_id: str, values: dict, *,
                              private_metadata: str = "", view_id: str | None = None,
                              blocks: list | None = None, external_id: str = "",
                              title: str = "Tandem") -> Result:
        """A view_submission; values is block_id -> action_id -> state value dict."""
        view = _complete_view({
            "id": view_id or f"V{secrets.token_hex(5).upper()}", "type": "modal", "callback_id": callback_id,
            "private_metadata": private_metadata, "blocks": blocks or [], "state": {"values": values},
            "title": {"type": "plain_text", "text": title}, "external_id": external_id,
            "submit": {"type": "plain_text", "text": "Submit"}, "close": {"type": "plain_text", "text": "Cancel"},
        }, self.api_app_id)
        payload = {
            "type": "view_submission", "team": self._team(), "user": self._user(user_id),
            "api_app_id": self.api_app_id, "token": "verification_token",
            "trigger_id": self.new_trigger_id(), "view": view, "response_urls": [],
        }
        return await self._interaction(payload)

    async def block_suggestion(self, user_id: str, action_id: str, value: str, *, block_id: str = "b",
                               view: dict | None = None) -> Result:
        """An options load request for an external_select (Bolt's app.options)."""
        payload: dict[str, Any] = {
            "type": "block_suggestion", "user": self._user(user_id), "api_app_id": self.api_app_id,
            "token": "verification_token", "action_id": action_id, "block_id": block_id, "value": value,
            "team": self._team(),
        }
        if view is not None:
            payload["view"] = _complete_view(view, self.api_app_id)
            payload["container"] = {"type": "view", "view_id": payload["view"]["id"]}
        else:
            payload["container"] = {"type": "message", "message_ts": f"{time.time():.6f}",
                                    "channel_id": "C0001", "is_ephemeral": False}
            payload["channel"] = {"id": "C0001", "name": "general"}
        return await self._interaction(payload)

    async def event(self, event: dict, *, event_id: str | None = None, retry_num: int | None = None,
                    retry_reason: str = "http_timeout") -> Result:
        """An Events API event_callback envelope (optionally marked as a Slack retry)."""
        now = time.time()
        event = {"event_ts": f"{now:.6f}", **event}
        envelope = {
            "token": "verification_token", "team_id": self.team_id, "api_app_id": self.api_app_id,
            "event": event, "type": "event_callback",
            "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}", "event_time": int(now),
            "authed_users": [self.bot_user_id],
            "authorizations": [{"enterprise_id": self.enterprise_id, "team_id": None if self.org_wide else self.team_id,
                                "user_id": self.bot_user_id, "is_bot": True, "is_enterprise_install": self.org_wide}],
            **({"enterprise_id": self.enterprise_id, "is_enterprise_install": self.org_wide} if self.enterprise_id else {}),
            "is_ext_shared_channel": False, "event_context": f"4-{secrets.token_hex(8)}",
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return await self.post(json.dumps(envelope).encode(), JSON, headers=headers)

    async def url_verification(self, challenge: str) -> Result:
        body = {"token": "verification_token", "challenge": challenge, "type": "url_verification"}
        return await self.post(json.dumps(body).encode(), JSON)

    async def _interaction(self, payload: dict) -> Result:
        if self.enterprise_id:  # Enterprise Grid: the org beside the workspace, as Slack sends it
            payload = {"enterprise": {"id": self.enterprise_id, "name": f"Org {self.enterprise_id}"},
                       "is_enterprise_install": self.org_wide, **payload}
        return await self.post(urlencode({"payload": json.dumps(payload)}).encode(), FORM)

    async def post(self, body: bytes, content_type: str, *, timestamp: str | int | None = None,
                   signature: str | None = None, headers: dict | None = None) -> Result:
        """POST a raw body; timestamp defaults to now, signature to the correct one for it."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        all_headers = {
            "Content-Type": content_type, "User-Agent": USER_AGENT, "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature or compute_signature(self._secret, ts, body), **(headers or {}),
        }
        started = time.monotonic()
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.post(self.base_url, data=body, headers=all_headers) as resp:
                text = await resp.text()
                status = resp.status
        self.last_elapsed = time.monotonic() - started
        return status, text, _parse_json(text)


def _complete_view(view: dict, app_id: str) -> dict:
    """Copy of a view with the fields Slack always sends (id, type, state, hash...)."""
    merged = {
        "id": f"V{secrets.token_hex(5).upper()}", "type": "modal", "blocks": [], "private_metadata": "",
        "callback_id": "", "state": {"values": {}}, "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
        "previous_view_id": None, "app_id": app_id, "external_id": "", **view,
    }
    merged["root_view_id"] = merged.get("root_view_id") or merged["id"]
    return merged


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text) if text else None
    except json.JSONDecodeError:
        return None
