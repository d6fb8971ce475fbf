"""OAuth v2 install and uninstall: Bolt's `AsyncOAuthSettings` with slack_sdk's SQLAlchemy
stores (bot/installations.py), its success and failure pages, the per-installation token
binding of every request, and the `app_uninstalled` / `tokens_revoked` listeners.

`GET /slack/install` (Bolt: a one-time state in `slack_oauth_states` and a cookie, then a
redirect to Slack's authorize page with the manifest's bot scopes) and
`GET /slack/oauth_redirect` (Bolt: state and cookie checked, `oauth.v2.access`, the
installation saved) are routed by handlers/server.py in OAuth mode only.
"""

from __future__ import annotations

import contextlib
import contextvars
import html
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_callback_options import AsyncCallbackOptions, AsyncFailureArgs, AsyncSuccessArgs
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.oauth import AuthorizeUrlGenerator
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore

from bot import installations
from bot.deps import Deps
from bot.doctor import manifest_scopes
from bot.slack import Grant

log = logging.getLogger(__name__)

STATE_SECONDS = 600  # an install link's state is good for ten minutes, once
# Why an install failed, in words for the person who tried (Bolt's reasons as keys).
FAILURES = {
    "access_denied": (403, "The install was cancelled in Slack, so Tandem was not added."),
    "invalid_state": (400, "This install link has expired or was already used. Start again from the install page."),
    "invalid_browser": (400, "This install was started in another browser. Start again from the install page."),
    "missing_code": (400, "Slack did not send an authorization code. Start again from the install page."),
    "invalid_code": (400, "Slack refused the authorization code (it may have been used already). Start again."),
    "storage_error": (500, "Tandem could not save the installation. Try again in a minute."),
}


def bot_scopes() -> list[str]:
    """The bot scopes of manifest.yml: what the install asks for is what the manifest declares
    (the same reader `python app.py check` compares a token's scopes with)."""
    return sorted(manifest_scopes())


# The redirect URL derived from the install or callback request being handled (a task's own).
_REQUEST_REDIRECT: contextvars.ContextVar[str | None] = contextvars.ContextVar("tandem_oauth_redirect", default=None)


class RequestRedirectSettings(AsyncOAuthSettings):
    """Bolt's settings, whose `redirect_uri` is SLACK_OAUTH_REDIRECT_URL when set, else the one
    `RequestRedirectFlow` derived from the request it is handling (so the authorize URL and the
    code exchange name the same one, as Slack requires)."""

    @property  # type: ignore[override]
    def redirect_uri(self) -> str | None:
        return self._configured_redirect_uri or _REQUEST_REDIRECT.get()

    @redirect_uri.setter
    def redirect_uri(self, value: str | None) -> None:
        self._configured_redirect_uri = value


class RequestRedirectFlow(AsyncOAuthFlow):
    """Bolt's OAuth flow with INTERFACE.md's default for SLACK_OAUTH_REDIRECT_URL: "derived
    from the request" — the scheme and host the install request came to (`X-Forwarded-Proto`
    and `X-Forwarded-Host` first, as a TLS-terminating proxy sets them; else `http` and `Host`)
    with the redirect path. Behind a proxy that sets neither, set SLACK_OAUTH_REDIRECT_URL."""

    @contextlib.contextmanager
    def _redirect_of(self, request: AsyncBoltRequest) -> Iterator[None]:
        token = _REQUEST_REDIRECT.set(derived_redirect_url(request.headers, self.redirect_uri_path))
        try:
            yield
        finally:
            _REQUEST_REDIRECT.reset(token)

    async def handle_installation(self, request: AsyncBoltRequest) -> BoltResponse:
        with self._redirect_of(request):
            return await super().handle_installation(request)

    async def handle_callback(self, request: AsyncBoltRequest) -> BoltResponse:
        with self._redirect_of(request):
            return await super().handle_callback(request)

    async def build_authorize_url(self, state: str, request: AsyncBoltRequest) -> str:
        s = self.settings
        generator = AuthorizeUrlGenerator(client_id=s.client_id, redirect_uri=s.redirect_uri, scopes=s.scopes,
                                          user_scopes=s.user_scopes, authorization_url=s.authorization_url)
        team_ids = request.query.get("team")
        return generator.generate(state=state, team=team_ids[0] if team_ids else None)


def derived_redirect_url(headers: dict[str, Any], path: str) -> str | None:
    """`scheme://host/path` of a request (Bolt's headers: lower-case names, lists of values)."""
    def first(name: str) -> str | None:
        value = headers.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        return str(value).split(",")[0].strip() or None if value else None

    host = first("x-forwarded-host") or first("host")
    if host is None or any(c in host for c in "/\\?#@ "):  # not a plain host[:port]: derive nothing
        return None
    scheme = first("x-forwarded-proto") or "http"
    return f"{'https' if scheme == 'https' else 'http'}://{host}{path}"


def oauth_flow(deps: Deps) -> RequestRedirectFlow:
    return RequestRedirectFlow(settings=oauth_settings(deps))


def oauth_settings(deps: Deps) -> AsyncOAuthSettings:
    settings = deps.settings
    assert deps.installations is not None and settings.SLACK_CLIENT_ID is not None
    return RequestRedirectSettings(
        client_id=settings.SLACK_CLIENT_ID,
        client_secret=settings.secret("SLACK_CLIENT_SECRET"),
        scopes=bot_scopes(),
        user_scopes=[],
        redirect_uri=settings.SLACK_OAUTH_REDIRECT_URL,
        authorization_url=settings.authorize_url,
        install_page_rendering_enabled=False,  # straight to Slack, as INTERFACE.md says
        installation_store=deps.installations,
        installation_store_bot_only=True,  # Tandem acts as its bot only
        # Tandem's store refreshes rotating tokens ahead of time under a claim; Bolt's own
        # rotator (no claim) only ever acts on a token already expired.
        token_rotation_expiration_minutes=0,
        state_store=AsyncSQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=deps.engine),
        state_expiration_seconds=STATE_SECONDS,
        callback_options=AsyncCallbackOptions(success=_success(deps), failure=_failure),
    )


def _success(deps: Deps) -> Callable[[AsyncSuccessArgs], Awaitable[BoltResponse]]:
    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        installation = args.installation
        async with deps.sessionmaker.begin() as session:
            await installations.installed(session, installation, deps.clock())
        where = installation.enterprise_name if installation.is_enterprise_install else installation.team_name
        log.info("installed in %s %s", "org" if installation.is_enterprise_install else "workspace",
                 installation.enterprise_id if installation.is_enterprise_install else installation.team_id)
        return _page(200, "Tandem is installed",
                     f"Tandem is now part of {html.escape(where or 'your workspace')}. "
                     "Open Slack and type <code>/tandem help</code> to begin.")

    return success


async def _failure(args: AsyncFailureArgs) -> BoltResponse:
    status, words = FAILURES.get(args.reason, (400, "The install did not complete. Start again from the install page."))
    log.info("an install failed: %s", args.reason)
    return _page(status, "Tandem was not installed", html.escape(words))


def _page(status: int, title: str, body: str) -> BoltResponse:
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body style='font-family:sans-serif;max-width:36em;margin:4em auto'><h1>{title}</h1>"
            f"<p>{body}</p></body></html>")
    return BoltResponse(status=status, body=page, headers={"Content-Type": "text/html; charset=utf-8"})


# --- every request: its installation's token -----------------------------------------
def register(app: AsyncApp, deps: Deps) -> None:
    """In OAuth mode, the rest of each request (its listeners, and the tasks they start) calls
    Slack with the token Bolt's authorize found for the request's installation."""
    if deps.installations is None:
        return
    seen: set[tuple[str, str | None]] = set()  # (team, org) pairs already recorded in this process

    @app.middleware
    async def act_for_installation(context: AsyncBoltContext, body: dict[str, Any],
                                   next: Callable[[], Awaitable[Any]]) -> Any:
        token, enterprise_id = context.bot_token, context.enterprise_id
        team_id = context.team_id or (acting_workspace(body) if context.is_enterprise_install else None)
        if not token or not team_id:
            return await next()
        if enterprise_id and (team_id, enterprise_id) not in seen:
            # Once per workspace and process (a read, and a write the first time ever): scheduled
            # work finds an org-wide install's token through the workspace's org.
            await _note_enterprise(deps, team_id, enterprise_id)
            seen.add((team_id, enterprise_id))
        # Bolt runs its middleware as a chain of calls that return before the listener runs: the
        # binding lasts for the rest of the request's task (handlers/server.py gives each its own).
        deps.slack.bind(Grant(team_id=team_id, enterprise_id=enterprise_id, token=token))
        return await next()


def acting_workspace(body: dict[str, Any]) -> str | None:
    """The workspace a request from an org-wide (Grid) install comes from. Bolt's `team_id` is
    None for many of them: an event's `authorizations[0].team_id` is null for the org's
    installation, and an interaction's `team` may be null. Slack still names the workspace:
    the event envelope's `team_id`, the person's `user.team_id`, the view's `team_id`."""
    user, view = body.get("user"), body.get("view")
    for candidate in (body.get("team_id"), user.get("team_id") if isinstance(user, dict) else None,
                      view.get("team_id") if isinstance(view, dict) else None):
        if isinstance(candidate, str) and candidate.startswith("T"):
            return candidate
    return None


async def _note_enterprise(deps: Deps, team_id: str, enterprise_id: str) -> None:
    try:
        async with deps.sessionmaker.begin() as session:
            await installations.note_enterprise(session, team_id, enterprise_id, deps.clock())
    except Exception:  # the next request from that workspace records it
        log.exception("recording a workspace's org failed")


# --- Events API: uninstalled, revoked ------------------------------------------------
async def app_uninstalled(deps: Deps, event: dict[str, Any], body: dict[str, Any]) -> None:
    """app_uninstalled — stop everything for the workspace (or the whole org, for an org-wide
    install) at once, and forget its tokens; its data stays for the retention period."""
    await _stop(deps, body, why="app_uninstalled")


async def tokens_revoked(deps: Deps, event: dict[str, Any], body: dict[str, Any]) -> None:
    """tokens_revoked — when the bot's token is among them, the same as an uninstall (user
    tokens, which Tandem never asks for, change nothing)."""
    tokens = event.get("tokens")
    if isinstance(tokens, dict) and tokens.get("bot"):
        await _stop(deps, body, why="tokens_revoked")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


async def _stop(deps: Deps, body: dict[str, Any], *, why: str) -> None:
    team_id, enterprise_id = _text(body.get("team_id")), _text(body.get("enterprise_id"))
    authorizations = body.get("authorizations")
    org_wide = body.get("is_enterprise_install") is True or (isinstance(authorizations, list) and any(
        isinstance(a, dict) and a.get("is_enterprise_install") is True for a in authorizations))
    if not (team_id or (org_wide and enterprise_id)):
        return
    if deps.installations is not None:  # its tokens are dead: forget them first
        await deps.installations.forget(enterprise_id, None if org_wide else team_id)
    async with deps.sessionmaker.begin() as session:
        if org_wide and enterprise_id:
            stopped = await installations.stop_workspaces(session, now=deps.clock(), enterprise_id=enterprise_id)
        else:
            stopped = await installations.stop_workspaces(session, now=deps.clock(), team_ids=[team_id or ""])
    log.warning("%s for %s %s: %d workspace(s) stopped, queued messages cancelled", why,
                "org" if org_wide else "workspace", enterprise_id if org_wide else team_id, len(stopped))
