"""A real aiohttp HTTP server that answers Slack's Web API, for tests and offline demos.

Point ``AsyncWebClient(token="xoxb-...", base_url=fake.url)`` at it. Every call is recorded
in ``fake.calls``; faults (429/5xx, ok:false errors, slow answers) can be injected per method.

OAuth v2 (issue 16): ``GET /oauth/v2/authorize`` plays the person clicking Allow (or
Cancel) for the workspace ``install_as`` names and redirects to the app's redirect URL with a
one-time code; ``oauth.v2.access`` exchanges codes (unknown or reused: ``invalid_code``) and,
with token rotation, refresh tokens (each usable once: Slack revokes it when it is used);
every token it issues belongs to one workspace (or one Grid org's workspaces), which
``auth.test`` reports and every call is checked against (another workspace's people are
``user_not_found``); ``revoke`` kills a workspace's tokens. With ``strict_tokens`` a token
the fake never issued is ``invalid_auth``.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import itertools
import json
import math
import mimetypes
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from devtools.blockkit import validate_blocks, validate_view

JSON_FIELDS = ("blocks", "view", "metadata", "attachments", "files")
MAX_MESSAGE_TEXT = 40_000
MAX_MPIM_USERS = 8
HISTORY_MAX_LIMIT = 999
DEFAULT_TZ = "America/Los_Angeles"
TZ_LABELS = {
    "America/Los_Angeles": "Pacific Standard Time",
    "America/Denver": "Mountain Standard Time",
    "America/Chicago": "Central Standard Time",
    "America/New_York": "Eastern Standard Time",
    "Europe/London": "Greenwich Mean Time",
    "Europe/Berlin": "Central European Time",
    "Europe/Paris": "Central European Time",
    "Asia/Kolkata": "India Standard Time",
    "Asia/Tokyo": "Japan Standard Time",
    "Australia/Sydney": "Australian Eastern Standard Time",
    "UTC": "Universal Coordinated Time",
}
# The bot scopes the fake's tokens have (Slack names them in an `x-oauth-scopes` header on
# every answer to a call with a valid bot token); tests/unit/test_manifest.py keeps this equal to
# manifest.yml. Set `FakeSlack.scopes` to play a token installed with fewer.
BOT_SCOPES = ("commands", "chat:write", "im:write", "mpim:write", "im:history", "mpim:history",
              "channels:history", "groups:history", "channels:join", "channels:read", "groups:read",
              "users:read", "files:write")
SERVER_ERRORS = {500: "fatal_error", 502: "bad_gateway", 503: "service_unavailable", 504: "request_timeout"}


@dataclass(frozen=True)
class RateLimit:
    """Token bucket: `burst` requests at once, refilled at `per_second`; keyed by a param or global."""

    per_second: float
    burst: int
    key_param: str | None = None


# Slack: chat.postMessage ~1 msg/sec/channel with short bursts; conversations.open is Tier 3 (~50/min).
RATE_LIMITS: dict[str, RateLimit] = {
    "chat.postMessage": RateLimit(per_second=1.0, burst=3, key_param="channel"),
    "conversations.open": RateLimit(per_second=50 / 60, burst=50),
}


@dataclass
class Call:
    """One recorded request to the fake (Web API method, "upload" or "response_url")."""

    method: str
    params: dict
    ok: bool
    response: dict
    status: int
    key: str | None = None  # response_url key, for "response_url" calls
    at: float = field(default_factory=time.monotonic)  # when it was answered (benchmarks' timelines)
    token: str | None = None  # the token the call carried (Web API calls)


@dataclass
class InstallSpec:
    """Who installs on the next authorize: a workspace, or (org_wide) a Grid org's workspaces."""

    team_id: str | None = "T0001"
    team_name: str = "Tandem Fake"
    enterprise_id: str | None = None
    enterprise_name: str | None = None
    org_wide: bool = False
    org_teams: tuple[str, ...] = ()
    installer: str = "UADMIN"
    deny: bool = False
    expires_in: int | None = None  # token rotation: seconds the bot token lives (Slack: 43200)


@dataclass
class FakeGrant:
    """What one issued bot token may do."""

    spec: InstallSpec
    expires_at: float | None = None
    revoked: bool = False

    @property
    def teams(self) -> frozenset[str]:
        return frozenset(self.spec.org_teams if self.spec.org_wide else (self.spec.team_id or "",))


class UploadedFile(NamedTuple):
    file_id: str
    filename: str
    title: str
    content: bytes
    channel_id: str | None


@dataclass
class FakeUser:
    id: str
    name: str
    real_name: str
    display_name: str
    tz: str
    tz_label: str
    tz_offset: int
    is_admin: bool = False
    is_owner: bool = False
    deleted: bool = False
    is_bot: bool = False
    team_id: str = "T0001"
    email: str | None = None
    is_restricted: bool = False  # a guest (multi-channel unless is_ultra_restricted)
    is_ultra_restricted: bool = False  # a single-channel guest
    is_stranger: bool = False  # from another organisation, seen through a Slack Connect channel
    is_app_user: bool = False

    def to_api(self) -> dict:
        profile = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.display_name,
            "display_name_normalized": self.display_name,
            "team": self.team_id,
        }
        if self.email:
            profile["email"] = self.email
        return {
            "id": self.id, "team_id": self.team_id, "name": self.name, "deleted": self.deleted,
            "real_name": self.real_name, "tz": self.tz, "tz_label": self.tz_label, "tz_offset": self.tz_offset,
            "profile": profile, "is_admin": self.is_admin, "is_owner": self.is_owner,
            "is_primary_owner": False, "is_restricted": self.is_restricted or self.is_ultra_restricted,
            "is_ultra_restricted": self.is_ultra_restricted,
            "is_bot": self.is_bot, "is_app_user": self.is_app_user, "updated": 1700000000,
            **({"is_stranger": True} if self.is_stranger else {}),
        }


@dataclass
class FakeChannel:
    id: str
    name: str = ""
    is_private: bool = False
    is_im: bool = False
    is_mpim: bool = False
    bot_is_member: bool = False
    members: tuple[str, ...] = ()

    def to_api(self) -> dict:
        if self.is_im:
            return {"id": self.id, "is_im": True, "user": self.members[0], "is_open": True, "created": 1700000000}
        return {
            "id": self.id, "name": self.name, "is_channel": not (self.is_private or self.is_mpim),
            "is_group": self.is_private and not self.is_mpim, "is_im": False, "is_mpim": self.is_mpim,
            "is_private": self.is_private or self.is_mpim, "is_archived": False, "is_general": False,
            "is_member": self.bot_is_member, "created": 1700000000, "name_normalized": self.name,
        }


@dataclass
class _Fault:
    status: int
    error: str
    retry_after: int | None = None
    team_id: str | None = None  # only calls made with a token of this workspace


class _ApiError(Exception):
    """Raised by method handlers to answer {"ok": false, "error": ...}."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class _Bucket:
    tokens: float
    updated: float

    def take(self, limit: RateLimit, now: float) -> float:
        """Consume a token; returns 0 if allowed, else seconds until one is available."""
        self.tokens = min(limit.burst, self.tokens + (now - self.updated) * limit.per_second)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / limit.per_second


@dataclass
class _Answer:
    status: int
    body: dict
    headers: dict = field(default_factory=dict)


class FakeSlack:
    """In-process Slack Web API server on 127.0.0.1 with call recording and fault injection."""

    def __init__(self, *, rate_limits: bool = False, port: int = 0, team_id: str = "T0001",
                 bot_user_id: str = "UBOT", bot_id: str = "B0BOT", app_id: str = "A0001",
                 clock: Callable[[], float] = time.time, rate_scale: float = 1.0) -> None:
        """`rate_scale` speeds Slack's rate limits up (e.g. 10: ten times the allowance), for
        benchmarks that would otherwise take real minutes."""
        self.rate_scale = rate_scale
        self.team_id, self.bot_user_id, self.bot_id, self.app_id = team_id, bot_user_id, bot_id, app_id
        self.rate_limits = rate_limits
        self.scopes: tuple[str, ...] = BOT_SCOPES
        self.calls: list[Call] = []
        self.uploaded_files: list[UploadedFile] = []
        self.ephemeral_messages: list[dict] = []
        self.ratelimited_count = 0
        self.client_addresses: set[tuple[str, int]] = set()  # (host, port) of each TCP connection used
        self._port = port
        self._clock = clock
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Condition()
        self._ids = itertools.count(1)
        self._last_ts_us = 0
        self._users: dict[str, FakeUser] = {}
        self._channels: dict[str, FakeChannel] = {}
        self._history: dict[str, list[dict]] = defaultdict(list)
        self._views: dict[str, dict] = {}
        self._external_ids: dict[str, str] = {}
        self._homes: dict[str, dict] = {}
        self._pending_files: dict[str, dict] = {}
        self._used_triggers: set[str] = set()
        self._faults: dict[str, deque[_Fault]] = defaultdict(deque)
        self._delays: dict[str, deque[float]] = defaultdict(deque)
        self._after: dict[str, Callable[[dict, dict], None]] = {}
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_acks: dict[str, asyncio.Future[dict]] = {}
        # OAuth (see the module docstring)
        self.client_id, self.client_secret = "1111.2222", "fake-client-secret"
        self.redirect_url: str | None = None  # the app's registered redirect URL
        self.next_install = InstallSpec()
        self.authorize_requests: list[dict[str, str]] = []
        self.strict_tokens = False
        self._codes: dict[str, InstallSpec | None] = {}  # None: used
        self._code_redirects: dict[str, str | None] = {}  # the redirect_uri each code was issued for
        self._grants: dict[str, FakeGrant] = {}
        self._refresh_tokens: dict[str, str | None] = {}  # refresh token -> its access token; None: used
        self._caller: FakeGrant | None = None
        self.add_user(bot_user_id, name="tandem", real_name="Tandem", team_id=team_id)
        self._users[bot_user_id].is_bot = True
        self._handlers: dict[str, Callable[[dict], dict]] = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "conversations.open": self._conversations_open,
            "conversations.join": self._conversations_join,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "chat.postMessage": self._chat_post_message,
            "chat.getPermalink": self._chat_get_permalink,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Bind to 127.0.0.1 (random port unless one was given) and start serving."""
        app = web.Application(client_max_size=100 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        app.router.add_post("/response/{key}", self._handle_response_url)
        app.router.add_get("/socket", self._handle_socket)
        app.router.add_get("/oauth/v2/authorize", self._handle_authorize)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self._port).start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def root_url(self) -> str:
        if self._runner is None:
            raise RuntimeError("FakeSlack is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def url(self) -> str:
        """Web API base URL for AsyncWebClient(base_url=...)."""
        return f"{self.root_url}/api/"

    def response_url(self, key: str) -> str:
        """A response_url whose POSTs are recorded as Call(method="response_url", key=key)."""
        return f"{self.root_url}/response/{key}"

    # ------------------------------------------------------------------ directory & state
    def add_user(self, user_id: str, *, name: str | None = None, real_name: str | None = None,
                 tz: str = DEFAULT_TZ, tz_offset: int | None = None, is_admin: bool = False,
                 is_owner: bool = False, deleted: bool = False, team_id: str = "T0001",
                 display_name: str | None = None, tz_label: str | None = None,
                 email: str | None = None, is_bot: bool = False, is_app_user: bool = False,
                 is_restricted: bool = False, is_ultra_restricted: bool = False,
                 is_stranger: bool = False) -> FakeUser:
        """Register a user; tz_offset defaults to the zone's standard offset (LA: -28800).
        Guests: is_restricted (multi-channel) or is_ultra_restricted (single-channel);
        is_stranger (with another team_id) for someone from another organisation."""
        name = name or user_id.lower()
        user = FakeUser(
            id=user_id, name=name, real_name=real_name or name.title(), display_name=display_name or name,
            tz=tz, tz_label=tz_label or _tz_label(tz),
            tz_offset=_standard_offset(tz) if tz_offset is None else tz_offset,
            is_admin=is_admin, is_owner=is_owner, deleted=deleted, team_id=team_id, email=email,
            is_bot=is_bot, is_app_user=is_app_user, is_restricted=is_restricted,
            is_ultra_restricted=is_ultra_restricted, is_stranger=is_stranger,
        )
        self._users[user_id] = user
        return user

    def set_user(self, user_id: str, **changes: Any) -> FakeUser:
        """Change fields of a registered user (e.g. deleted=True, tz="Europe/Berlin")."""
        if "tz" in changes:
            changes.setdefault("tz_offset", _standard_offset(changes["tz"]))
            changes.setdefault("tz_label", _tz_label(changes["tz"]))
        user = dataclasses.replace(self._users[user_id], **changes)
        self._users[user_id] = user
        return user

    def add_channel(self, channel_id: str, name: str, *, is_private: bool = False,
                    bot_is_member: bool = False) -> FakeChannel:
        """Register a channel; posting to it needs bot membership (see conversations.join)."""
        channel = FakeChannel(id=channel_id, name=name, is_private=is_private, bot_is_member=bot_is_member)
        self._channels[channel_id] = channel
        return channel

    def channel(self, channel_id: str) -> FakeChannel | None:
        return self._channels.get(channel_id)

    def messages(self, channel_id: str) -> list[dict]:
        """Messages stored in a channel, oldest first."""
        return [dict(m) for m in self._history.get(channel_id, [])]

    def home_of(self, user_id: str) -> dict | None:
        """The last home view published for a user."""
        return self._homes.get(user_id)

    def view(self, view_id: str) -> dict | None:
        return self._views.get(view_id)

    # ------------------------------------------------------------------ recording
    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls to one method (successful or not), oldest first."""
        return [c for c in self.calls if c.method == method]

    @property
    def connections(self) -> int:
        """How many TCP connections the Web API calls came over (one per HTTP session at most
        once it keeps them alive; one per call without a shared session)."""
        return len(self.client_addresses)

    def reset_calls(self) -> None:
        self.calls.clear()

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0,
                       predicate: Callable[[Call], bool] | None = None) -> list[Call]:
        """Wait until `count` successful calls to `method` (matching predicate) were recorded."""

        def matching() -> list[Call]:
            return [c for c in self.calls_to(method) if c.ok and (predicate is None or predicate(c))]

        try:
            async with self._changed:
                await asyncio.wait_for(self._changed.wait_for(lambda: len(matching()) >= count), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {count} successful {method} call(s), "
                f"got {len(matching())}.\n{self.summary()}"
            ) from None
        return matching()

    def summary(self) -> str:
        """Human-readable list of recorded calls (for assertion messages)."""
        if not self.calls:
            return "No calls recorded."
        lines = ["Recorded calls:"]
        for i, c in enumerate(self.calls, 1):
            outcome = "ok" if c.ok else f"error={c.response.get('error')!r}"
            params = json.dumps(c.params, default=str)
            params = params if len(params) <= 160 else params[:157] + "..."
            lines.append(f"  {i}. {c.method} [{c.status} {outcome}] {params}")
        return "\n".join(lines)

    async def _record(self, call: Call) -> None:
        self.calls.append(call)
        if call.status == 429:
            self.ratelimited_count += 1
        async with self._changed:
            self._changed.notify_all()

    # ------------------------------------------------------------------ fault injection
    def fail_next(self, method: str, *, status: int = 429, retry_after: int = 1, count: int = 1,
                  team_id: str | None = None) -> None:
        """Answer the next `count` calls with HTTP `status` (429 carries Retry-After); with
        `team_id`, only calls made with a token the fake issued for that workspace."""
        if status == 429:
            fault = _Fault(429, "ratelimited", max(1, int(retry_after)), team_id)
        else:
            fault = _Fault(status, SERVER_ERRORS.get(status, "internal_error"), team_id=team_id)
        self._faults[method].extend([fault] * count)

    def error_next(self, method: str, error: str = "user_not_found", count: int = 1) -> None:
        """Answer the next `count` calls with HTTP 200 {"ok": false, "error": error}."""
        self._faults[method].extend([_Fault(200, error)] * count)

    def clear_faults(self) -> None:
        """Forget every pending injected fault (an outage ends)."""
        self._faults.clear()

    def delay(self, method: str, seconds: float, count: int = 1) -> None:
        """Sleep before answering the next `count` calls (the call is still processed)."""
        self._delays[method].extend([seconds] * count)

    def after(self, method: str, callback: Callable[[dict, dict], None] | None) -> None:
        """Call `callback(params, answer)` each time the fake has done a `method` call, before
        it answers (None: stop). A test can crash the caller there, so that Slack has done the
        work (a message is posted) and the caller never hears of it."""
        if callback is None:
            self._after.pop(method, None)
        else:
            self._after[method] = callback

    async def _injected(self, method: str, token: str | None = None) -> _Answer | None:
        """Apply a pending delay, then return a pending injected fault, if any (the first one
        meant for every caller or for this token's workspace)."""
        if self._delays[method]:
            await asyncio.sleep(self._delays[method].popleft())
        grant = self._grants.get(token) if token else None
        faults = self._faults[method]
        fault = next((f for f in faults if f.team_id is None or (grant is not None and f.team_id in grant.teams)), None)
        if fault is None:
            return None
        faults.remove(fault)
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
        return _Answer(fault.status, {"ok": False, "error": fault.error}, headers)

    # ------------------------------------------------------------------ HTTP handlers
    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        peer = request.transport.get_extra_info("peername") if request.transport is not None else None
        if peer:
            self.client_addresses.add((str(peer[0]), int(peer[1])))
        try:
            params = await _read_params(request)
        except _ApiError as err:
            params, answer = {}, _Answer(200, {"ok": False, "error": err.error})
        else:
            token = _bearer_token(request) or params.pop("token", None)
            if method == "oauth.v2.access":
                answer = self._oauth_v2_access(params, _basic_auth(request))
                token = None
            else:
                answer = await self._answer(method, params, token)
            if token and token.startswith("xoxb-") and answer.body.get("error") != "invalid_auth":
                answer.headers = {**answer.headers, "x-oauth-scopes": ",".join(self.scopes)}
        await self._record(Call(method, params, answer.body.get("ok") is True, answer.body, answer.status,
                                token=token if method != "oauth.v2.access" else None))
        return web.json_response(answer.body, status=answer.status, headers=answer.headers)

    async def _answer(self, method: str, params: dict, token: str | None) -> _Answer:
        injected = await self._injected(method, token)
        if injected is not None:
            return injected
        handler = self._handlers.get(method)
        if handler is None:
            return _Answer(200, {"ok": False, "error": "unknown_method"})
        if not token:
            return _Answer(200, {"ok": False, "error": "not_authed"})
        if not token.startswith("xapp-" if method == "apps.connections.open" else "xox"):
            return _Answer(200, {"ok": False, "error": "invalid_auth"})
        grant = self._grants.get(token)
        if grant is not None and grant.revoked:
            return _Answer(200, {"ok": False, "error": "token_revoked"})
        if grant is not None and grant.expires_at is not None and self._clock() >= grant.expires_at:
            return _Answer(200, {"ok": False, "error": "token_expired"})
        if grant is None and self.strict_tokens and not token.startswith("xapp-"):
            return _Answer(200, {"ok": False, "error": "invalid_auth"})
        wait = self._rate_limit_wait(method, params)
        if wait:
            retry_after = str(max(1, math.ceil(wait)))
            return _Answer(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": retry_after})
        try:
            self._caller = grant  # handlers are synchronous: nothing else runs until they return
            answer = _Answer(200, {"ok": True, **handler(params)})
        except _ApiError as err:
            return _Answer(200, {"ok": False, "error": err.error, **err.extra})
        finally:
            self._caller = None
        after = self._after.get(method)
        if after is not None:
            after(params, answer.body)
        return answer

    def _rate_limit_wait(self, method: str, params: dict) -> float:
        limit = RATE_LIMITS.get(method)
        if not self.rate_limits or limit is None:
            return 0.0
        key = (method, str(params.get(limit.key_param, "")) if limit.key_param else "")
        now = time.monotonic()
        if self.rate_scale != 1.0:
            limit = RateLimit(limit.per_second * self.rate_scale, limit.burst, limit.key_param)
        bucket = self._buckets.setdefault(key, _Bucket(tokens=limit.burst, updated=now))
        return bucket.take(limit, now)

    async def _handle_upload(self, request: web.Request) -> web.Response:
        """The upload_url target of files.getUploadURLExternal (raw or multipart body)."""
        file_id = request.match_info["file_id"]
        pending = self._pending_files.get(file_id)
        answer = await self._injected("upload")
        if answer is None and pending is None:
            answer = _Answer(404, {"ok": False, "error": "file_not_found"})
        if answer is None:
            pending["content"] = await _read_upload_body(request)
            answer = _Answer(200, {"ok": True})
        size = len(pending["content"] or b"") if pending else 0
        await self._record(Call("upload", {"file_id": file_id, "size": size}, answer.body["ok"], answer.body,
                                answer.status))
        text = f"OK - {size}" if answer.body["ok"] else str(answer.body["error"])
        return web.Response(text=text, status=answer.status, content_type="text/plain", headers=answer.headers)

    # ------------------------------------------------------------------ Socket Mode
    def _apps_connections_open(self, params: dict) -> dict:
        return {"url": f"ws://127.0.0.1:{self._port}/socket"}

    async def _handle_socket(self, request: web.Request) -> web.WebSocketResponse:
        """A Socket Mode connection: "hello", then envelopes out and acknowledgements back."""
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": len(self._sockets),
                            "connection_info": {"app_id": self.app_id}, "debug_info": {"host": "fake"}})
        async with self._changed:
            self._changed.notify_all()
        try:
            async for msg in ws:
                if msg.type == web.WSMsgType.TEXT:
                    ack = json.loads(msg.data)
                    waiter = self._socket_acks.pop(ack.get("envelope_id", ""), None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(ack)
        finally:
            self._sockets.remove(ws)
        return ws

    async def wait_for_socket(self, timeout: float = 5.0) -> None:
        """Wait until a Socket Mode client is connected."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: bool(self._sockets)), timeout)

    async def socket_send(self, envelope_type: str, payload: dict, *, accepts_response_payload: bool = False,
                          timeout: float = 5.0) -> dict:
        """Deliver one envelope over Socket Mode and return the app's acknowledgement."""
        envelope_id = f"env-{next(self._ids)}"
        waiter: asyncio.Future[dict] = asyncio.get_running_loop().create_future()
        self._socket_acks[envelope_id] = waiter
        await self._sockets[-1].send_json({"envelope_id": envelope_id, "type": envelope_type, "payload": payload,
                                           "accepts_response_payload": accepts_response_payload})
        return await asyncio.wait_for(waiter, timeout)

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        """A response_url (slash commands / interactions); Bolt's respond() posts JSON here."""
        key = request.match_info["key"]
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        answer = await self._injected("response_url") or _check_response_payload(body)
        params = body if isinstance(body, dict) else {"_raw": body}
        await self._record(Call("response_url", params, answer.body["ok"], answer.body, answer.status, key))
        return web.json_response(answer.body, status=answer.status, headers=answer.headers)

    # ------------------------------------------------------------------ id helpers
    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def _next_ts(self) -> str:
        """Unique, strictly increasing message ts like "1700000000.000100"."""
        self._last_ts_us = max(int(self._clock() * 1_000_000), self._last_ts_us + 1)
        return f"{self._last_ts_us // 1_000_000}.{self._last_ts_us % 1_000_000:06d}"

    def _known_user(self, user_id: Any) -> FakeUser:
        user = self._users.get(user_id) if isinstance(user_id, str) else None
        if user is None or not self._visible(user):
            raise _ApiError("user_not_found")
        return user

    def _visible(self, user: FakeUser) -> bool:
        """An issued token sees its own workspace's (or org's) people, and the bot."""
        caller = self._caller
        return caller is None or user.is_bot or user.team_id in caller.teams

    def _open_conversation(self, user_ids: list[str]) -> tuple[FakeChannel, bool]:
        """Stable D.../G... id for a set of users; returns (channel, already_open)."""
        for user_id in user_ids:
            if self._known_user(user_id).deleted:
                raise _ApiError("user_disabled")
        members = tuple(sorted(set(user_ids)))
        digest = hashlib.sha1(",".join(members).encode()).hexdigest()[:10].upper()
        channel_id = ("D" if len(members) == 1 else "G") + digest
        if channel_id in self._channels:
            return self._channels[channel_id], True
        channel = FakeChannel(id=channel_id, name="" if len(members) == 1 else "mpdm-" + "--".join(members),
                              is_im=len(members) == 1, is_mpim=len(members) > 1, bot_is_member=True,
                              members=members)
        self._channels[channel_id] = channel
        return channel, False

    def _postable_channel(self, channel_param: Any) -> str:
        """Resolve a chat.* channel argument (id, #name or user id) and check bot membership."""
        if not isinstance(channel_param, str) or not channel_param.strip():
            raise _ApiError("channel_not_found")
        channel_id = channel_param.strip()
        if channel_id.startswith("#"):
            found = [c for c in self._channels.values() if c.name == channel_id[1:]]
            if not found:
                raise _ApiError("channel_not_found")
            channel_id = found[0].id
        if channel_id in self._users:
            return self._open_conversation([channel_id])[0].id
        channel = self._channels.get(channel_id)
        if channel is not None and not channel.bot_is_member:
            raise _ApiError("channel_not_found" if channel.is_private else "not_in_channel")
        return channel_id

    def _readable_channel(self, channel_param: Any) -> str:
        """A channel the bot may read: registered/opened, or one it has posted to."""
        if not isinstance(channel_param, str) or (
                channel_param not in self._channels and channel_param not in self._history):
            raise _ApiError("channel_not_found")
        channel = self._channels.get(channel_param)
        if channel is not None and not channel.bot_is_member:
            raise _ApiError("channel_not_found" if channel.is_private else "not_in_channel")
        return channel_param

    def _find_message(self, channel_id: str, ts: Any) -> dict:
        for message in self._history.get(channel_id, []):
            if message["ts"] == ts:
                return message
        raise _ApiError("message_not_found")

    # ------------------------------------------------------------------ Web API methods
    def _auth_test(self, params: dict) -> dict:
        if self._caller is not None:
            spec = self._caller.spec
            return {
                "url": f"https://{(spec.team_id or spec.enterprise_id or 'org').lower()}.slack.com/",
                "team": spec.enterprise_name if spec.org_wide else spec.team_name, "user": "tandem",
                "team_id": spec.enterprise_id if spec.org_wide else spec.team_id, "user_id": self.bot_user_id,
                "bot_id": self.bot_id, "app_id": self.app_id, "enterprise_id": spec.enterprise_id,
                "is_enterprise_install": spec.org_wide,
            }
        return {
            "url": "https://tandem-fake.slack.com/", "team": "Tandem Fake", "user": "tandem",
            "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id,
            "app_id": self.app_id, "is_enterprise_install": False,
        }

    # ------------------------------------------------------------------ OAuth v2
    def install_as(self, team_id: str | None = "T0001", **spec: Any) -> InstallSpec:
        """Who installs on the next authorize (InstallSpec's fields)."""
        self.next_install = InstallSpec(team_id=team_id, **spec)
        return self.next_install

    def tokens_of(self, team_id: str) -> list[str]:
        """Every live bot token issued for a workspace (an org-wide one counts for each of its teams)."""
        return [t for t, g in self._grants.items() if team_id in g.teams and not g.revoked]

    def teams_of(self, token: str | None) -> frozenset[str]:
        """The workspaces an issued token serves (empty for a token the fake never issued)."""
        grant = self._grants.get(token or "")
        return grant.teams if grant is not None else frozenset()

    def revoke(self, team_id: str) -> None:
        """The workspace's admin removed the app: its tokens stop working at once."""
        for grant in self._grants.values():
            if team_id in grant.teams or grant.spec.enterprise_id == team_id:
                grant.revoked = True

    async def _handle_authorize(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.authorize_requests.append(query)
        if query.get("client_id") != self.client_id:
            return web.Response(status=400, text="invalid_client_id")
        redirect = query.get("redirect_uri") or self.redirect_url
        if not redirect:
            return web.Response(status=400, text="no redirect URL")
        spec = self.next_install
        answer = {"state": query.get("state", "")}
        if spec.deny:
            answer["error"] = "access_denied"
        else:
            code = f"{next(self._ids)}.{secrets.token_hex(8)}"
            self._codes[code] = spec
            self._code_redirects[code] = query.get("redirect_uri")  # the exchange must repeat it
            answer["code"] = code
        sep = "&" if "?" in redirect else "?"
        raise web.HTTPFound(redirect + sep + "&".join(f"{k}={v}" for k, v in answer.items()))

    def _oauth_v2_access(self, params: dict, basic: tuple[str, str] | None) -> _Answer:
        client_id, secret = basic or (params.get("client_id"), params.get("client_secret"))
        if client_id != self.client_id:
            return _Answer(200, {"ok": False, "error": "invalid_client_id"})
        if secret != self.client_secret:
            return _Answer(200, {"ok": False, "error": "bad_client_secret"})
        if params.get("grant_type") == "refresh_token":
            old = self._refresh_tokens.get(str(params.get("refresh_token")))
            if old is None:
                return _Answer(200, {"ok": False, "error": "invalid_refresh_token"})
            self._refresh_tokens[str(params["refresh_token"])] = None  # Slack revokes a used refresh token
            return _Answer(200, {"ok": True, **self._issue(self._grants[old].spec)})
        spec = self._codes.get(str(params.get("code")))
        if spec is None:
            return _Answer(200, {"ok": False, "error": "invalid_code"})
        asked = self._code_redirects.get(str(params["code"]))
        if asked is not None and params.get("redirect_uri") != asked:  # Slack: it must match the authorize's
            return _Answer(200, {"ok": False, "error": "bad_redirect_uri"})
        self._codes[str(params["code"])] = None
        body = self._issue(spec)
        body.update({
            "scope": ",".join(self.scopes), "bot_user_id": self.bot_user_id, "app_id": self.app_id,
            "team": None if spec.org_wide else {"id": spec.team_id, "name": spec.team_name},
            "enterprise": {"id": spec.enterprise_id, "name": spec.enterprise_name} if spec.enterprise_id else None,
            "is_enterprise_install": spec.org_wide, "authed_user": {"id": spec.installer},
        })
        return _Answer(200, {"ok": True, **body})

    def _issue(self, spec: InstallSpec) -> dict:
        token = f"xoxb-{(spec.team_id or spec.enterprise_id or 'x').lower()}-{next(self._ids)}-{secrets.token_hex(6)}"
        grant = FakeGrant(spec, expires_at=self._clock() + spec.expires_in if spec.expires_in else None)
        self._grants[token] = grant
        body: dict[str, Any] = {"access_token": token, "token_type": "bot"}
        if spec.expires_in:
            refresh = f"xoxe-1-{secrets.token_hex(8)}"
            self._refresh_tokens[refresh] = token
            body.update(refresh_token=refresh, expires_in=spec.expires_in)
        return body

    def _users_info(self, params: dict) -> dict:
        return {"user": self._known_user(params.get("user")).to_api()}

    def _users_list(self, params: dict) -> dict:
        """users.list with Slack's cursor pagination (`limit`, `cursor`)."""
        users = [u.to_api() for u in self._users.values() if self._visible(u)]
        offset = _decode_cursor(params.get("cursor"))
        limit = int(params.get("limit") or 200)
        page = users[offset:offset + limit]
        more = offset + limit < len(users)
        return {"members": page, "response_metadata": {"next_cursor": _encode_cursor(offset + limit) if more else ""}}

    def _conversations_open(self, params: dict) -> dict:
        if params.get("channel"):
            return {"channel": self._channel_info(params["channel"]), "no_op": True, "already_open": True}
        raw = params.get("users") or ""
        user_ids = [u.strip() for u in (raw if isinstance(raw, list) else str(raw).split(",")) if u.strip()]
        if not user_ids:
            raise _ApiError("users_list_not_supplied")
        if len(set(user_ids)) > MAX_MPIM_USERS:
            raise _ApiError("too_many_users")
        channel, already_open = self._open_conversation(user_ids)
        body: dict[str, Any] = {"channel": {"id": channel.id}}
        if _flag(params.get("return_im")):
            body["channel"] = channel.to_api()
        if already_open:
            body.update(no_op=True, already_open=True)
        return body

    def _channel_info(self, channel_id: Any) -> dict:
        channel = self._channels.get(channel_id) if isinstance(channel_id, str) else None
        if channel is None or (channel.is_private and not channel.bot_is_member):
            raise _ApiError("channel_not_found")
        return channel.to_api()

    def _conversations_info(self, params: dict) -> dict:
        return {"channel": self._channel_info(params.get("channel"))}

    def _conversations_join(self, params: dict) -> dict:
        channel = self._channels.get(str(params.get("channel", "")))
        if channel is None:
            raise _ApiError("channel_not_found")
        if channel.is_private or channel.is_im or channel.is_mpim:
            raise _ApiError("method_not_supported_for_channel_type")
        body: dict[str, Any] = {}
        if channel.bot_is_member:
            body["warning"] = "already_in_channel"
            body["response_metadata"] = {"warnings": ["already_in_channel"]}
        channel.bot_is_member = True
        return {"channel": channel.to_api(), **body}

    def _conversations_history(self, params: dict) -> dict:
        channel_id = self._readable_channel(params.get("channel"))
        inclusive = _flag(params.get("inclusive"))
        oldest, latest = params.get("oldest"), params.get("latest")
        newest_first = [m for m in reversed(self._history.get(channel_id, []))
                        if _ts_in_range(m["ts"], oldest, latest, inclusive)]
        try:
            limit = max(1, min(HISTORY_MAX_LIMIT, int(params.get("limit") or 100)))
        except (TypeError, ValueError):
            raise _ApiError("invalid_limit") from None
        start = _decode_cursor(params.get("cursor"))
        page = newest_first[start:start + limit]
        has_more = start + limit < len(newest_first)
        with_metadata = _flag(params.get("include_all_metadata"))
        messages = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in page]
        return {
            "messages": [dict(m) for m in messages], "has_more": has_more, "pin_count": 0,
            "response_metadata": {"next_cursor": _encode_cursor(start + limit) if has_more else ""},
        }

    def _message_content(self, params: dict, *, require: bool = True) -> dict:
        """Validated text/blocks/attachments/metadata of a chat.* call."""
        text, blocks, attachments = params.get("text"), params.get("blocks"), params.get("attachments")
        if require and not text and not blocks and not attachments:
            raise _ApiError("no_text")
        if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
            raise _ApiError("msg_too_long")
        content: dict[str, Any] = {}
        if text is not None:
            content["text"] = text
        if blocks is not None:
            content["blocks"] = _checked_blocks(blocks)
        if attachments is not None:
            content["attachments"] = attachments
        if params.get("metadata") is not None:
            content["metadata"] = _checked_metadata(params["metadata"])
        return content

    def _bot_message(self, ts: str, content: dict, thread_ts: Any = None) -> dict:
        message = {"type": "message", "user": self.bot_user_id, "bot_id": self.bot_id, "app_id": self.app_id,
                   "text": "", "ts": ts, "team": self.team_id, **content}
        if thread_ts:
            message["thread_ts"] = thread_ts
        return message

    def _chat_get_permalink(self, params: dict) -> dict:
        channel = params.get("channel")
        ts = params.get("message_ts")
        if not isinstance(channel, str) or channel not in self._channels and not channel.startswith(("D", "G")):
            raise _ApiError("channel_not_found")
        if not isinstance(ts, str) or not ts.replace(".", "").isdigit():
            raise _ApiError("message_not_found")
        return {"channel": channel, "permalink": f"https://fake.slack.test/archives/{channel}/p{ts.replace('.', '')}"}

    def _chat_post_message(self, params: dict) -> dict:
        channel_id = self._postable_channel(params.get("channel"))
        content = self._message_content(params)
        message = self._bot_message(self._next_ts(), content, params.get("thread_ts"))
        self._history[channel_id].append(message)
        return {"channel": channel_id, "ts": message["ts"], "message": dict(message)}

    def _chat_post_ephemeral(self, params: dict) -> dict:
        channel_id = self._postable_channel(params.get("channel"))
        user = self._known_user(params.get("user"))
        content = self._message_content(params)
        message = self._bot_message(self._next_ts(), content, params.get("thread_ts"))
        self.ephemeral_messages.append({**message, "channel": channel_id, "ephemeral_user": user.id})
        return {"message_ts": message["ts"]}

    def _chat_update(self, params: dict) -> dict:
        channel_id = self._readable_channel(params.get("channel"))
        message = self._find_message(channel_id, params.get("ts"))
        content = self._message_content(params)
        message.update(content)
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {"channel": channel_id, "ts": message["ts"], "text": message.get("text", ""),
                "message": dict(message)}

    def _chat_delete(self, params: dict) -> dict:
        channel_id = self._readable_channel(params.get("channel"))
        message = self._find_message(channel_id, params.get("ts"))
        self._history[channel_id].remove(message)
        return {"channel": channel_id, "ts": message["ts"]}

    # ------------------------------------------------------------------ views
    def _checked_view(self, params: dict, *, expected_type: str | None) -> dict:
        view = params.get("view")
        if not isinstance(view, dict):
            raise _invalid_arguments(["must be a JSON object [json-pointer:/view]"])
        if expected_type and view.get("type") != expected_type:
            raise _invalid_arguments([f"view type must be {expected_type!r} [json-pointer:/view/type]"])
        errors = validate_view(view)
        if errors:
            raise _invalid_arguments(errors)
        return view

    def _use_trigger(self, params: dict) -> None:
        trigger_id = params.get("trigger_id")
        if not trigger_id:
            raise _invalid_arguments(["missing required field: trigger_id"])
        if trigger_id in self._used_triggers:
            raise _ApiError("exchanged_trigger_id")
        issued = _trigger_issued_at(str(trigger_id))
        if issued is not None and self._clock() - issued > TRIGGER_LIFETIME:
            raise _ApiError("expired_trigger_id")
        self._used_triggers.add(trigger_id)

    def _view_teams(self, user_id: str | None) -> tuple[str, str | None]:
        """(team_id, app_installed_team_id) of a view made by the current caller: a workspace
        token's own workspace; for an org-wide token, the person's workspace (a home tab) or
        the org's first, and no `app_installed_team_id` (the app is installed in the org, so
        Bolt takes the workspace from the payload's `team` / `user.team_id`)."""
        caller = self._caller
        if caller is None:
            return self.team_id, self.team_id
        user = self._users.get(user_id or "")
        team = user.team_id if user is not None and user.team_id in caller.teams else min(caller.teams)
        return team, (team if len(caller.teams) == 1 else None)

    def _store_view(self, view: dict, *, view_id: str | None = None, previous_view_id: str | None = None,
                    root_view_id: str | None = None, user_id: str | None = None) -> dict:
        """Render a view the way Slack echoes it back and keep it by id / external_id."""
        view_id = view_id or self._new_id("V")
        external_id = view.get("external_id") or ""
        owner = self._external_ids.get(external_id)
        if external_id and owner not in (None, view_id):
            raise _ApiError("duplicate_external_id")
        team_id, installed_team_id = self._view_teams(user_id)
        stored = {
            "id": view_id, "team_id": team_id, "type": view["type"], "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""), "callback_id": view.get("callback_id", ""),
            "state": {"values": {}}, "hash": f"{int(self._clock())}.{secrets.token_hex(4)}",
            "title": view.get("title"), "close": view.get("close"), "submit": view.get("submit"),
            "clear_on_close": bool(view.get("clear_on_close")), "notify_on_close": bool(view.get("notify_on_close")),
            "previous_view_id": previous_view_id, "root_view_id": root_view_id or view_id,
            "app_id": self.app_id, "external_id": external_id, "bot_id": self.bot_id,
            **({"app_installed_team_id": installed_team_id} if installed_team_id else {}),
        }
        self._views[view_id] = stored
        if external_id:
            self._external_ids[external_id] = view_id
        return stored

    def _views_open(self, params: dict) -> dict:
        view = self._checked_view(params, expected_type="modal")
        self._use_trigger(params)
        return {"view": self._store_view(view)}

    def _views_push(self, params: dict) -> dict:
        view = self._checked_view(params, expected_type="modal")
        self._use_trigger(params)
        return {"view": self._store_view(view)}

    def _views_update(self, params: dict) -> dict:
        view_id = params.get("view_id") or self._external_ids.get(params.get("external_id") or "")
        if not params.get("view_id") and not params.get("external_id"):
            raise _invalid_arguments(["view_id or external_id is required"])
        current = self._views.get(view_id or "")
        if current is None:
            raise _ApiError("not_found")
        if params.get("hash") and params["hash"] != current["hash"]:
            raise _ApiError("hash_conflict")
        view = self._checked_view(params, expected_type=None)
        stored = self._store_view(view, view_id=current["id"], previous_view_id=current["previous_view_id"],
                                  root_view_id=current["root_view_id"])
        for same in ("team_id", "app_installed_team_id"):  # an update stays where the view was opened
            stored.pop(same, None)
            if same in current:
                stored[same] = current[same]
        return {"view": stored}

    def _views_publish(self, params: dict) -> dict:
        user_id = params.get("user_id")
        if not user_id:
            raise _invalid_arguments(["missing required field: user_id"])
        self._known_user(user_id)
        current = self._homes.get(user_id)
        if params.get("hash") and current and params["hash"] != current["hash"]:
            raise _ApiError("hash_conflict")
        view = self._checked_view(params, expected_type="home")
        stored = self._store_view(view, view_id=current["id"] if current else None, user_id=user_id)
        self._homes[user_id] = stored
        return {"view": stored}

    # ------------------------------------------------------------------ files
    def _files_get_upload_url(self, params: dict) -> dict:
        filename, length = params.get("filename"), params.get("length")
        if not filename:
            raise _invalid_arguments(["missing required field: filename"])
        try:
            length = int(length)
        except (TypeError, ValueError):
            raise _invalid_arguments(["missing required field: length"]) from None
        file_id = self._new_id("F")
        self._pending_files[file_id] = {"filename": filename, "length": length, "content": None,
                                        "snippet_type": params.get("snippet_type")}
        return {"upload_url": f"{self.root_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, params: dict) -> dict:
        entries = params.get("files")
        if not isinstance(entries, list) or not entries:
            raise _invalid_arguments(["files must be a non-empty JSON array [json-pointer:/files]"])
        channel_id = params.get("channel_id") or (str(params.get("channels") or "").split(",")[0] or None)
        if channel_id:
            channel_id = self._postable_channel(channel_id)
        files = [self._complete_file(entry, channel_id) for entry in entries]
        if channel_id:
            content = {"text": params.get("initial_comment") or "", "files": files, "upload": True}
            self._history[channel_id].append(self._bot_message(self._next_ts(), content, params.get("thread_ts")))
        return {"files": files}

    def _complete_file(self, entry: Any, channel_id: str | None) -> dict:
        file_id = entry.get("id") if isinstance(entry, dict) else None
        pending = self._pending_files.get(file_id or "")
        if pending is None:
            raise _ApiError("file_not_found")
        if pending["content"] is None:
            raise _ApiError("file_upload_not_completed")
        del self._pending_files[file_id]
        title = entry.get("title") or pending["filename"]
        content: bytes = pending["content"]
        self.uploaded_files.append(UploadedFile(file_id, pending["filename"], title, content, channel_id))
        mimetype = mimetypes.guess_type(pending["filename"])[0] or "application/octet-stream"
        return {
            "id": file_id, "created": int(self._clock()), "timestamp": int(self._clock()),
            "name": pending["filename"], "title": title, "mimetype": mimetype,
            "filetype": pending["filename"].rsplit(".", 1)[-1] if "." in pending["filename"] else "binary",
            "user": self.bot_user_id, "size": len(content), "channels": [channel_id] if channel_id else [],
            "url_private": f"{self.root_url}/files/{file_id}",
        }


# ---------------------------------------------------------------------- module helpers
TRIGGER_LIFETIME = 3.0  # seconds: Slack's trigger ids expire three seconds after the interaction


def _trigger_issued_at(trigger_id: str) -> float | None:
    """When a trigger id was issued: Slack's ids read `<n>.<issued>.<hex>`; SlackRequests puts
    the Unix time in milliseconds there. Hand-written ids without a time (`1.2.abc`) never expire."""
    parts = trigger_id.split(".")
    if len(parts) < 3 or not parts[1].isdigit():
        return None
    value = int(parts[1])
    return value / 1000 if value > 10**11 else None


def _basic_auth(request: web.Request) -> tuple[str, str] | None:
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Basic "):
        return None
    try:
        client_id, _, secret = base64.b64decode(auth[len("Basic "):]).decode().partition(":")
    except ValueError:
        return None
    return client_id, secret


def _bearer_token(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Bearer "):
        return None
    return auth[len("Bearer "):].strip() or None


async def _read_params(request: web.Request) -> dict:
    """Merge query string and form/JSON body; decode JSON-string fields like `blocks`."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise _ApiError("invalid_json") from None
        if not isinstance(body, dict):
            raise _ApiError("invalid_json")
        params.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            params[key] = value.file.read() if isinstance(value, web.FileField) else value
    for key in JSON_FIELDS:
        if isinstance(params.get(key), str):
            try:
                params[key] = json.loads(params[key])
            except json.JSONDecodeError:
                pass  # left as a string; the method handler reports the bad format
    return params


async def _read_upload_body(request: web.Request) -> bytes:
    if request.content_type == "multipart/form-data":
        form = await request.post()
        for value in form.values():
            if isinstance(value, web.FileField):
                return value.file.read()
        return b""
    return await request.read()


def _check_response_payload(body: Any) -> _Answer:
    if not isinstance(body, dict):
        return _Answer(400, {"ok": False, "error": "invalid_payload"})
    if not body.get("delete_original") and not body.get("text") and not body.get("blocks"):
        return _Answer(400, {"ok": False, "error": "no_text"})
    try:
        if body.get("blocks") is not None:
            _checked_blocks(body["blocks"])
    except _ApiError as err:
        return _Answer(400, {"ok": False, "error": err.error, **err.extra})
    return _Answer(200, {"ok": True})


def _checked_blocks(blocks: Any) -> list:
    if not isinstance(blocks, list):
        raise _ApiError("invalid_blocks_format")
    errors = validate_blocks(blocks, "message")
    if errors:
        raise _ApiError("invalid_blocks", errors=errors,
                        response_metadata={"messages": [f"[ERROR] {e}" for e in errors]})
    return blocks


def _checked_metadata(metadata: Any) -> dict:
    if not isinstance(metadata, dict) or not isinstance(metadata.get("event_type"), str):
        raise _ApiError("invalid_metadata_format")
    if not isinstance(metadata.get("event_payload", {}), dict):
        raise _ApiError("invalid_metadata_format")
    return metadata


def _invalid_arguments(messages: list[str]) -> _ApiError:
    return _ApiError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {m}" for m in messages]})


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true")


def _ts_key(ts: Any) -> tuple[int, int]:
    seconds, _, fraction = str(ts).partition(".")
    return int(seconds or 0), int((fraction + "000000")[:6])


def _ts_in_range(ts: str, oldest: Any, latest: Any, inclusive: bool) -> bool:
    key = _ts_key(ts)
    if oldest is not None and (key < _ts_key(oldest) or (key == _ts_key(oldest) and not inclusive)):
        return False
    if latest is not None and (key > _ts_key(latest) or (key == _ts_key(latest) and not inclusive)):
        return False
    return True


def _encode_cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _decode_cursor(cursor: Any) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.b64decode(str(cursor)).decode().split(":", 1)[1])
    except (ValueError, IndexError):
        raise _ApiError("invalid_cursor") from None


def _standard_offset(tz: str) -> int:
    """The zone's standard (non-DST) UTC offset in seconds; 0 for unknown zones."""
    try:
        now = datetime.now(ZoneInfo(tz))
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    standard = (now.utcoffset() or timedelta(0)) - (now.dst() or timedelta(0))
    return int(standard.total_seconds())


def _tz_label(tz: str) -> str:
    return TZ_LABELS.get(tz, tz)
