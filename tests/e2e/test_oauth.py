"""OAuth mode end to end against the fake Slack (issue 16): installs through Bolt's OAuth flow,
failure pages, two workspaces each served with its own token, token rotation for scheduled
work (two replicas, one refresh), uninstall mid-delivery, reinstall, an org-wide Grid install."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import ids, installations, outbox
from bot.config import load_settings
from bot.db import make_sessionmaker
from bot.deps import Deps
from bot.installations import TandemInstallationStore
from bot.models import SLACK_BOTS, SLACK_INSTALLATIONS, Member, OutboxMessage, Workspace
from bot.scheduler import run_due
from bot.slack import SlackGateway, make_client
from devtools.fake_slack import FakeSlack
from devtools.slack_requests import SlackRequests
from handlers.oauth import bot_scopes, derived_redirect_url
from handlers.server import build_bolt_app, build_web_app
from tests import factories
from tests.conftest import DATA_KEY, SIGNING_SECRET, Clock, eventually
from tests.e2e.helpers import profile_values

T1, T2 = "T0001", "T0002"
STATE_COOKIE = "slack-app-oauth-state"


@dataclass
class OAuthApp:
    url: str
    deps: Deps
    slack: FakeSlack
    clock: Clock

    def requests(self, team_id: str, **grid: object) -> SlackRequests:
        return SlackRequests(f"{self.url}/slack/events", SIGNING_SECRET, team_id=team_id,
                             response_url_for=self.slack.response_url, **grid)  # type: ignore[arg-type]


def _store(deps: Deps, engine: AsyncEngine, slack: FakeSlack, clock: Clock) -> TandemInstallationStore:
    return TandemInstallationStore(client_id=slack.client_id, client_secret=slack.client_secret, engine=engine,
                                   sessionmaker=deps.sessionmaker, slack=deps.slack, clock=clock)


@pytest.fixture
async def oauth(engine: AsyncEngine, database_url: str) -> AsyncIterator[OAuthApp]:
    """The real app in OAuth mode (no SLACK_BOT_TOKEN), its clock starting at the wall clock
    (Slack's token expiries are wall-clock times), the fake Slack on the same clock."""
    clock = Clock(now=dt.datetime.fromtimestamp(int(time.time()), dt.timezone.utc))
    async with FakeSlack(clock=lambda: clock.now.timestamp()) as fake:
        fake.strict_tokens = True
        fake.add_user("UADMIN", real_name="Ada Admin", is_admin=True, team_id=T1)
        fake.add_user("VADMIN", real_name="Vic Admin", is_admin=True, team_id=T2)
        settings = load_settings(
            SLACK_BOT_TOKEN=None, SLACK_CLIENT_ID=fake.client_id, SLACK_CLIENT_SECRET=fake.client_secret,
            SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=fake.url, DATABASE_URL=database_url,
            TANDEM_DATA_KEY=DATA_KEY,
        )
        assert settings.oauth
        gateway = SlackGateway(make_client("", fake.url), make_client("", fake.url, for_delivery=True))
        sessionmaker = make_sessionmaker(engine, DATA_KEY)
        deps = Deps(settings=settings, engine=engine, sessionmaker=sessionmaker, slack=gateway, clock=clock)
        deps = Deps(settings=settings, engine=engine, sessionmaker=sessionmaker, slack=gateway, clock=clock,
                    installations=_store(deps, engine, fake, clock))
        runner = web.AppRunner(build_web_app(build_bolt_app(deps), deps))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        fake.redirect_url = f"{url}/slack/oauth_redirect"
        try:
            yield OAuthApp(url=url, deps=deps, slack=fake, clock=clock)
        finally:
            await runner.cleanup()


async def _start(app: OAuthApp, http: aiohttp.ClientSession) -> tuple[str, str]:
    """GET /slack/install: (Slack's authorize URL, the state cookie)."""
    async with http.get(f"{app.url}/slack/install", allow_redirects=False) as resp:
        assert resp.status == 302
        return resp.headers["Location"], resp.cookies[STATE_COOKIE].value


async def _authorize(http: aiohttp.ClientSession, authorize_url: str) -> str:
    """The person clicks Allow (or Cancel) on the fake's authorize page: where Slack sends them back."""
    async with http.get(authorize_url, allow_redirects=False) as resp:
        assert resp.status == 302
        return resp.headers["Location"]


async def _callback(http: aiohttp.ClientSession, redirect: str, state_cookie: str) -> tuple[int, str]:
    async with http.get(redirect, allow_redirects=False, headers={"Cookie": f"{STATE_COOKIE}={state_cookie}"}) as resp:
        return resp.status, await resp.text()


async def install(app: OAuthApp, team_id: str | None, **spec: object) -> tuple[int, str]:
    app.slack.install_as(team_id, **spec)  # type: ignore[arg-type]
    async with aiohttp.ClientSession() as http:
        authorize_url, cookie = await _start(app, http)
        return await _callback(http, await _authorize(http, authorize_url), cookie)


async def _count(app: OAuthApp, table: object) -> int:
    async with app.deps.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]


async def _seed_pairs(app: OAuthApp, team_id: str, prefix: str, pairs: int = 2) -> None:
    async with app.deps.sessionmaker.begin() as session:
        ws = await factories.workspace(session, team_id)
        for i in range(pairs):
            app.slack.add_user(f"{prefix}A{i}", real_name=f"Ana {prefix}{i}", team_id=team_id)
            app.slack.add_user(f"{prefix}B{i}", real_name=f"Ben {prefix}{i}", team_id=team_id)
            await factories.member(session, ws, f"{prefix}A{i}", offers=[f"S{i}"], wants=[f"W{i}"], department="Sales")
            await factories.member(session, ws, f"{prefix}B{i}", offers=[f"W{i}"], wants=[f"S{i}"], department="Data")


async def _queue(app: OAuthApp, team_id: str, users: list[str], key: str) -> None:
    async with app.deps.sessionmaker.begin() as session:
        ws = await session.scalar(select(Workspace).where(Workspace.team_id == team_id))
        assert ws is not None
        for user in users:
            await outbox.enqueue(session, workspace_id=ws.id, key=f"{key}:{user}", users=[user],
                                 payload={"text": f"{key} for {user}"}, now=app.clock.now)


def _posts_for(app: OAuthApp, prefix: str) -> list[str]:
    """The tokens of every conversations.open / chat.postMessage made for these people."""
    return [c.token or "" for c in app.slack.calls if c.method in ("conversations.open", "chat.postMessage")
            and prefix in str(c.params.get("users", "")) + str(c.params.get("text", "")) + str(c.params.get("blocks", ""))]


# --- the install ----------------------------------------------------------------------------
async def test_install_redirects_to_slacks_authorize_page_with_the_manifest_scopes_and_stores_the_installation(
    oauth: OAuthApp,
) -> None:
    status, page = await install(oauth, T1, team_name="Acme")
    assert status == 200 and "Tandem is installed" in page and "Acme" in page
    [asked] = oauth.slack.authorize_requests
    assert asked["client_id"] == oauth.slack.client_id and asked["state"]
    assert asked["scope"].split(",") == bot_scopes()
    assert urlparse(oauth.slack.url).netloc in oauth.deps.settings.authorize_url
    # SLACK_OAUTH_REDIRECT_URL unset: derived from the request, and repeated in the code exchange
    assert asked["redirect_uri"] == f"{oauth.url}/slack/oauth_redirect"
    [exchange] = [c for c in oauth.slack.calls_to("oauth.v2.access") if c.ok]
    assert exchange.params.get("redirect_uri") == asked["redirect_uri"]
    assert await _count(oauth, SLACK_BOTS) == 1 and await _count(oauth, SLACK_INSTALLATIONS) == 1
    async with oauth.deps.sessionmaker() as session:
        ws = await session.scalar(select(Workspace).where(Workspace.team_id == T1))
        assert ws is not None and ws.name == "Acme" and ws.uninstalled_at is None


async def _raw_token_columns(app: OAuthApp) -> list[str]:
    """Every token column of both installation tables, as stored."""
    async with app.deps.engine.connect() as conn:
        values: list[str] = []
        for table in (SLACK_INSTALLATIONS, SLACK_BOTS):
            names = [c for c in ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token") if c in table.c]
            for row in (await conn.execute(select(*(table.c[n] for n in names)))).all():
                values += [v for v in row if v]
    return values


async def test_tokens_are_sealed_at_rest_and_rotation_and_old_plaintext_rows_still_work(oauth: OAuthApp) -> None:
    """A database backup holds no usable token: each is sealed with TANDEM_DATA_KEY (like
    private text), opened only in the process. Rows stored in the clear by an older version are
    read as they are and sealed at start-up."""
    assert (await install(oauth, T1, expires_in=12 * 3600))[0] == 200
    [token] = oauth.slack.tokens_of(T1)
    stored = await _raw_token_columns(oauth)
    assert len(stored) >= 4 and all(v.startswith("tok1:") and "xox" not in v for v in stored), stored
    await _seed_pairs(oauth, T1, "U", pairs=1)
    await _queue(oauth, T1, ["UA0"], "sealed")
    await run_due(oauth.deps, oauth.clock.now)
    assert [c.token for c in oauth.slack.calls_to("chat.postMessage")] == [token]

    oauth.clock.advance(hours=11)  # rotated: the new token and refresh token are sealed too
    await _queue(oauth, T1, ["UA0"], "rotated")
    await run_due(oauth.deps, oauth.clock.now)
    fresh = oauth.slack.calls_to("chat.postMessage")[-1].token
    assert fresh and fresh != token and fresh in oauth.slack.tokens_of(T1)
    assert all(v.startswith("tok1:") for v in await _raw_token_columns(oauth))

    store = oauth.deps.installations
    assert store is not None
    async with oauth.deps.engine.begin() as conn:  # as an older Tandem stored it
        await conn.execute(SLACK_BOTS.update().values(bot_token=fresh))
    bot = await store.async_find_bot(enterprise_id=None, team_id=T1)
    assert bot is not None and bot.bot_token == fresh
    assert await store.seal_plaintext_tokens() == 1 and await store.seal_plaintext_tokens() == 0
    assert all(v.startswith("tok1:") for v in await _raw_token_columns(oauth))
    bot = await store.async_find_bot(enterprise_id=None, team_id=T1)
    assert bot is not None and bot.bot_token == fresh


async def test_a_bad_state_a_reused_code_and_a_denied_install_get_the_failure_page_and_store_nothing(
    oauth: OAuthApp,
) -> None:
    oauth.slack.install_as(T1)
    async with aiohttp.ClientSession() as http:
        authorize_url, cookie = await _start(oauth, http)
        redirect = await _authorize(http, authorize_url)
        code = parse_qs(urlparse(redirect).query)["code"][0]
        # a forged state (with a matching cookie, as an attacker's browser would send)
        status, page = await _callback(http, f"{oauth.url}/slack/oauth_redirect?code={code}&state=forged", "forged")
        assert status == 400 and "expired or was already used" in page
        assert await _count(oauth, SLACK_BOTS) == 0
        # the real state works once; replaying the same state fails
        assert (await _callback(http, redirect, cookie))[0] == 200
        assert (await _callback(http, redirect, cookie))[0] == 400
        # a fresh state with the already used code: Slack refuses the code
        _, cookie2 = await _start(oauth, http)
        status, page = await _callback(http, f"{oauth.url}/slack/oauth_redirect?code={code}&state={cookie2}", cookie2)
        assert status == 400 and "refused the authorization code" in page
    assert await _count(oauth, SLACK_BOTS) == 1 and await _count(oauth, SLACK_INSTALLATIONS) == 1
    status, page = await install(oauth, T2, deny=True)
    assert status == 403 and "cancelled" in page
    assert await _count(oauth, SLACK_BOTS) == 1
    async with oauth.deps.sessionmaker() as session:
        assert await session.scalar(select(Workspace).where(Workspace.team_id == T2)) is None


# --- many workspaces ------------------------------------------------------------------------
async def test_two_workspaces_each_run_a_round_with_their_own_token(oauth: OAuthApp) -> None:
    assert (await install(oauth, T1))[0] == 200
    assert (await install(oauth, T2, team_name="Beta", installer="VADMIN"))[0] == 200
    await _seed_pairs(oauth, T1, "U")
    await _seed_pairs(oauth, T2, "V")
    for team_id, admin in ((T1, "UADMIN"), (T2, "VADMIN")):
        status, text, _ = await oauth.requests(team_id).slash_command(admin, "admin match")
        assert status == 200 and "Starting a matching round" in text, oauth.slack.summary()
    await oauth.slack.wait_for("chat.postMessage", count=4, timeout=20)
    ones, twos = _posts_for(oauth, "UA"), _posts_for(oauth, "VA")
    assert len(ones) >= 4 and len(twos) >= 4  # two intros each, opened and posted
    assert set(ones) == set(oauth.slack.tokens_of(T1)) and set(twos) == set(oauth.slack.tokens_of(T2))
    assert set(ones).isdisjoint(twos)
    # scheduled work (the outbox, through run_due) uses each workspace's own token too
    oauth.slack.reset_calls()
    await _queue(oauth, T1, ["UA0"], "later")
    await _queue(oauth, T2, ["VA0"], "later")
    # delivery only: the sessions' own jobs would depend on today's date (the clock is the wall clock)
    done = await run_due(oauth.deps, oauth.clock.now, jobs=())
    assert done["messages-sent"] == 2
    assert set(_posts_for(oauth, "UA0")) == set(oauth.slack.tokens_of(T1))
    assert set(_posts_for(oauth, "VA0")) == set(oauth.slack.tokens_of(T2))
    assert all(c.ok for c in oauth.slack.calls)


# --- token rotation -------------------------------------------------------------------------
async def test_a_rotating_token_is_refreshed_before_it_expires_for_scheduled_work_once_for_two_replicas(
    oauth: OAuthApp, engine: AsyncEngine,
) -> None:
    assert (await install(oauth, T1, expires_in=12 * 3600))[0] == 200
    await _seed_pairs(oauth, T1, "U", pairs=1)
    [first] = oauth.slack.tokens_of(T1)
    oauth.clock.advance(hours=9)  # three hours left: nothing to do yet
    await _queue(oauth, T1, ["UA0"], "early")
    await run_due(oauth.deps, oauth.clock.now)
    assert oauth.slack.calls_to("oauth.v2.access")[-1].params.get("grant_type") != "refresh_token"
    oauth.clock.advance(hours=1, minutes=30)  # 90 minutes left: refreshed ahead of expiry, once
    other = _store(oauth.deps, engine, oauth.slack, oauth.clock)  # a second replica's store
    async with oauth.deps.sessionmaker() as session:
        ws = await session.scalar(select(Workspace).where(Workspace.team_id == T1))
    assert ws is not None
    grants = await asyncio.gather(installations.grant_for(oauth.deps.installations, ws),  # type: ignore[arg-type]
                                  installations.grant_for(other, ws))
    refreshes = [c for c in oauth.slack.calls_to("oauth.v2.access") if c.params.get("grant_type") == "refresh_token"]
    assert len(refreshes) == 1 and all(c.ok for c in refreshes)
    assert grants[0] is not None and grants[1] is not None and grants[0].token == grants[1].token != first
    oauth.clock.advance(hours=2)  # the first token has expired: the scheduled message goes with the new one
    await _queue(oauth, T1, ["UA0"], "late")
    await run_due(oauth.deps, oauth.clock.now)
    late = [c for c in oauth.slack.calls_to("chat.postMessage") if "late" in str(c.params.get("text"))]
    assert [c.ok for c in late] == [True] and late[0].token == grants[0].token


# --- uninstall, reinstall ---------------------------------------------------------------------
async def test_app_uninstalled_mid_delivery_cancels_that_workspaces_queue_while_the_other_continues(
    oauth: OAuthApp,
) -> None:
    assert (await install(oauth, T1))[0] == 200
    assert (await install(oauth, T2, installer="VADMIN"))[0] == 200
    await _seed_pairs(oauth, T1, "U", pairs=3)
    await _seed_pairs(oauth, T2, "V", pairs=3)
    ones = [f"UA{i}" for i in range(3)] + [f"UB{i}" for i in range(3)]
    twos = [f"VA{i}" for i in range(3)] + [f"VB{i}" for i in range(3)]
    await _queue(oauth, T1, ones, "news")
    await _queue(oauth, T2, twos, "news")
    oauth.slack.delay("chat.postMessage", 0.15, count=100)
    drain = asyncio.create_task(outbox.drain(oauth.deps, oauth.clock.now))
    await oauth.slack.wait_for("chat.postMessage", count=2, timeout=10)
    status, _, _ = await oauth.requests(T1).event({"type": "app_uninstalled"})
    assert status == 200

    async def stopped() -> bool:
        async with oauth.deps.sessionmaker() as session:
            ws = await session.scalar(select(Workspace).where(Workspace.team_id == T1))
            return ws is not None and ws.uninstalled_at is not None
    await eventually(stopped)
    oauth.slack.revoke(T1)  # Slack kills the tokens too
    await asyncio.sleep(0.3)  # posts already in flight (0.15 s each) land; none may start after this
    stopped_at = len(oauth.slack.calls)
    await drain
    async with oauth.deps.sessionmaker() as session:
        rows = list(await session.scalars(select(OutboxMessage)))
    t2_rows = [r for r in rows if r.payload.get("text") == "(sent)" or any(u in (r.users or "") for u in twos)]
    assert all(r.state == "sent" for r in rows if any(u == r.users for u in twos))
    assert len([r for r in t2_rows if r.state == "sent" and r.users in twos]) == 6
    t1_rows = [r for r in rows if r.users in ones]
    assert any(r.error == installations.CANCELLED for r in t1_rows)
    assert all(r.state in ("sent", "failed") for r in t1_rows)
    # nothing more goes out for the uninstalled workspace: not this drain, not scheduled work
    late_t1 = [c for c in oauth.slack.calls[stopped_at:] if c.method == "chat.postMessage"
               and T1 in oauth.slack.teams_of(c.token)]
    assert late_t1 == []
    assert await _count(oauth, SLACK_BOTS) == 1  # T1's tokens are forgotten, T2's kept
    await _queue(oauth, T1, ["UA0"], "after")
    calls = len(oauth.slack.calls)
    await run_due(oauth.deps, oauth.clock.now + dt.timedelta(hours=1))
    assert not [c for c in oauth.slack.calls[calls:] if "UA0" in str(c.params)]

    # a reinstall within the retention period resumes the workspace, with its new token
    assert (await install(oauth, T1))[0] == 200
    await _queue(oauth, T1, ["UA1"], "welcome-back")
    await run_due(oauth.deps, oauth.clock.now + dt.timedelta(hours=2))
    back = [c for c in oauth.slack.calls_to("chat.postMessage") if "welcome-back" in str(c.params.get("text"))]
    assert [c.ok for c in back] == [True] and back[0].token in oauth.slack.tokens_of(T1)


async def test_an_uninstalled_workspace_is_purged_after_the_retention_period(oauth: OAuthApp) -> None:
    assert (await install(oauth, T1))[0] == 200
    await _seed_pairs(oauth, T1, "U", pairs=1)
    assert (await oauth.requests(T1).event({"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}}))[0] == 200

    async def workspace() -> Workspace | None:
        async with oauth.deps.sessionmaker() as session:
            return await session.scalar(select(Workspace).where(Workspace.team_id == T1))
    await eventually(lambda: _uninstalled(workspace))
    assert (await run_due(oauth.deps, oauth.clock.now + dt.timedelta(days=29)))["purge-uninstalled"] == 0
    assert await workspace() is not None
    assert (await run_due(oauth.deps, oauth.clock.now + dt.timedelta(days=31)))["purge-uninstalled"] == 1
    assert await workspace() is None


async def _uninstalled(find) -> bool:  # type: ignore[no-untyped-def]
    ws = await find()
    return ws is not None and ws.uninstalled_at is not None


# --- Enterprise Grid --------------------------------------------------------------------------
async def test_an_org_wide_install_serves_two_workspaces_of_the_org(oauth: OAuthApp) -> None:
    status, page = await install(oauth, None, enterprise_id="E1", enterprise_name="Globex", org_wide=True,
                                 org_teams=("T0101", "T0102"), installer="UADMIN")
    assert status == 200 and "Globex" in page
    assert await _count(oauth, SLACK_BOTS) == 1
    [token] = oauth.slack.tokens_of("T0101")
    for team_id, prefix in (("T0101", "X"), ("T0102", "Y")):
        oauth.slack.add_user(f"{prefix}ADMIN", real_name="Org Admin", is_admin=True, team_id=team_id)
        await _seed_pairs(oauth, team_id, prefix)
        grid = oauth.requests(team_id, enterprise_id="E1", org_wide=True)
        status, text, _ = await grid.slash_command(f"{prefix}ADMIN", "admin match")
        assert status == 200 and "Starting a matching round" in text, text
    await oauth.slack.wait_for("chat.postMessage", count=4, timeout=20)
    assert set(_posts_for(oauth, "XA")) == {token} and set(_posts_for(oauth, "YA")) == {token}

    async def both_know_their_org() -> bool:
        async with oauth.deps.sessionmaker() as session:
            found = list(await session.scalars(select(Workspace).where(Workspace.team_id.in_(["T0101", "T0102"]))))
            return len(found) == 2 and all(w.enterprise_id == "E1" for w in found)
    await eventually(both_know_their_org)
    # scheduled work for each workspace of the org finds the org-wide installation
    await _queue(oauth, "T0102", ["YA0"], "org-later")
    assert (await run_due(oauth.deps, oauth.clock.now, jobs=()))["messages-sent"] == 1  # delivery only
    # the org uninstalls: every workspace of it stops
    assert (await oauth.requests("T0101", enterprise_id="E1", org_wide=True).event({"type": "app_uninstalled"}))[0] == 200

    async def all_stopped() -> bool:
        async with oauth.deps.sessionmaker() as session:
            found = list(await session.scalars(select(Workspace).where(Workspace.enterprise_id == "E1")))
            return len(found) == 2 and all(w.uninstalled_at is not None for w in found)
    await eventually(all_stopped)
    assert await _count(oauth, SLACK_BOTS) == 0


async def test_one_workspaces_rate_limit_never_delays_anothers_delivery(oauth: OAuthApp) -> None:
    assert (await install(oauth, T1))[0] == 200
    assert (await install(oauth, T2, installer="VADMIN"))[0] == 200
    await _seed_pairs(oauth, T1, "U", pairs=3)
    await _seed_pairs(oauth, T2, "V", pairs=2)
    for key in ("news", "more"):  # more of T1's messages than one drainer has senders (8)
        await _queue(oauth, T1, [f"U{ab}{i}" for ab in "AB" for i in range(3)], key)
    await _queue(oauth, T2, ["VA0", "VA1", "VB0", "VB1"], "news")
    oauth.slack.fail_next("chat.postMessage", status=429, retry_after=2, count=12, team_id=T1)
    report = await outbox.drain(oauth.deps, oauth.clock.now)
    assert report.sent == 16
    posts = [c for c in oauth.slack.calls if c.method == "chat.postMessage" and c.ok]
    first_t1 = min(i for i, c in enumerate(posts) if c.token in oauth.slack.tokens_of(T1))
    t2 = [i for i, c in enumerate(posts) if c.token in oauth.slack.tokens_of(T2)]
    assert len(t2) == 4 and max(t2) < first_t1  # T2 was done while T1 waited out its Retry-After


async def test_a_request_refreshes_an_expiring_token_before_using_it(oauth: OAuthApp) -> None:
    assert (await install(oauth, T1, expires_in=12 * 3600))[0] == 200
    [first] = oauth.slack.tokens_of(T1)
    oauth.clock.advance(hours=11)
    status, _, _ = await oauth.requests(T1).slash_command("UADMIN", "admin match")
    assert status == 200
    refreshes = [c for c in oauth.slack.calls_to("oauth.v2.access") if c.params.get("grant_type") == "refresh_token"]
    assert len(refreshes) == 1
    lookups = oauth.slack.calls_to("users.info")
    assert lookups and all(c.token != first and c.ok for c in lookups)


async def test_single_token_mode_app_uninstalled_stops_the_workspace_at_once(app) -> None:  # type: ignore[no-untyped-def]
    """The default mode too: the event cancels the queue and scheduled work skips the workspace."""
    async with app.deps.sessionmaker.begin() as session:
        ws = await factories.workspace(session)
        await outbox.enqueue(session, workspace_id=ws.id, key="k", channel="C1", payload={"text": "hi"}, now=app.clock.now)
    status, _, _ = await app.requests.event({"type": "app_uninstalled"})
    assert status == 200

    async def cancelled() -> bool:
        async with app.deps.sessionmaker() as session:
            row = await session.scalar(select(OutboxMessage))
            return row is not None and row.error == installations.CANCELLED
    await eventually(cancelled)
    calls = len(app.slack.calls)
    assert (await run_due(app.deps, app.clock.now + dt.timedelta(days=1)))["messages-sent"] == 0
    assert len(app.slack.calls) == calls


def test_the_redirect_url_is_derived_from_the_request_behind_a_proxy_too() -> None:
    """INTERFACE.md: SLACK_OAUTH_REDIRECT_URL defaults to one derived from the request."""
    path = "/slack/oauth_redirect"
    assert derived_redirect_url({"host": ["tandem.example:3000"]}, path) == "http://tandem.example:3000" + path
    proxied = {"host": ["10.0.0.5:3000"], "x-forwarded-host": ["tandem.example.org"], "x-forwarded-proto": ["https"]}
    assert derived_redirect_url(proxied, path) == "https://tandem.example.org" + path
    assert derived_redirect_url({"host": ["evil.example/x?y"]}, path) is None  # not a host: nothing derived
    assert derived_redirect_url({}, path) is None


async def test_an_org_wide_install_serves_modals_buttons_and_type_ahead_with_grid_payloads(oauth: OAuthApp) -> None:
    """Interactions in a Grid org carry `enterprise` and `is_enterprise_install`; Bolt finds the
    org-wide installation for them and each answer goes out with the org's token."""
    await install(oauth, None, enterprise_id="E1", enterprise_name="Globex", org_wide=True,
                  org_teams=("T0101", "T0102"), installer="UADMIN")
    [token] = oauth.slack.tokens_of("T0101")
    oauth.slack.add_user("XMEM", real_name="Xena Member", team_id="T0101")
    grid = oauth.requests("T0101", enterprise_id="E1", org_wide=True)

    status, _, _ = await grid.slash_command("XMEM", "join")
    assert status == 200
    (opened,) = await oauth.slack.wait_for("views.open")
    (updated,) = await oauth.slack.wait_for("views.update")
    assert opened.token == token and updated.token == token
    status, _, options = await grid.block_suggestion("XMEM", ids.OFFERS[1], "Pyth", block_id=ids.OFFERS[0])
    assert status == 200 and "options" in options, options

    status, _, body = await grid.view_submission("XMEM", ids.PROFILE_VIEW,
                                                 profile_values(new_offers="Python", new_wants="Go"))
    assert status == 200 and not body, body
    (confirmation,) = await oauth.slack.wait_for("chat.postMessage", timeout=10)
    assert confirmation.token == token

    async def joined() -> bool:
        async with oauth.deps.sessionmaker() as session:
            ws = await session.scalar(select(Workspace).where(Workspace.team_id == "T0101"))
            return ws is not None and ws.enterprise_id == "E1" and await session.scalar(
                select(func.count()).select_from(Member).where(Member.workspace_id == ws.id,
                                                               Member.slack_user_id == "XMEM")) == 1
    await eventually(joined)

    # A button in the org: the profile's Edit button on App Home opens the modal with the org token.
    status, _, _ = await grid.event({"type": "app_home_opened", "user": "XMEM", "channel": "D1", "tab": "home"})
    (published,) = await oauth.slack.wait_for("views.publish", predicate=lambda c: c.params.get("user_id") == "XMEM")
    assert published.token == token
    status, _, _ = await grid.block_action("XMEM", ids.EDIT_PROFILE, "edit",
                                           view=oauth.slack.home_of("XMEM"))
    assert status == 200
    await oauth.slack.wait_for("views.open", 2)
    assert [(c.method, c.token) for c in oauth.slack.calls
            if c.method != "oauth.v2.access" and c.token != token] == [], oauth.slack.summary()
