"""Installations: whose token each workspace's calls use, and what uninstalling does.

Single-token mode (`SLACK_BOT_TOKEN`, the default) has one installation, the token in the
settings. OAuth mode keeps one per workspace (or one per Enterprise Grid org, for an
org-wide install) in slack_sdk's SQLAlchemy installation store, filled by Bolt's OAuth flow
(handlers/oauth.py) and read by Bolt's authorize for every request. `TandemInstallationStore`
adds two things to slack_sdk's store:

- **Token rotation under a claim.** A bot token that expires within `REFRESH_BEFORE` is
  refreshed (`oauth.v2.access` with the refresh token) by whichever reader finds it first,
  a request or scheduled work alike, but only after claiming the installation in
  `token_refresh_claims` with one conditional UPDATE: of two replicas, one refreshes and
  saves; the other waits for the saved token instead of refreshing the same refresh token
  again (which would leave one of them holding a token Slack no longer honours). Bolt's own
  rotator (no claim) is set to act only on an already expired token, which this store never
  hands out while Slack answers.
- **Enterprise Grid.** A workspace's installation is its own (enterprise, team) one, else
  its org's org-wide one (`is_enterprise_install`), as Bolt keys them.

Uninstalling (`app_uninstalled`, `tokens_revoked`, or a token Slack refuses for good) stops
the workspace at once: `uninstalled_at` is set, its queued messages are cancelled, the
outbox and `run_due` skip it. Its data stays for `TANDEM_UNINSTALLED_RETENTION_DAYS`
(default 30); a reinstall within that time resumes the program, after it `run_due` purges
the workspace (`purge_uninstalled`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from sqlalchemy import and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.crypto import TOKEN_PREFIX, Keyring, keyring_of_sessions
from bot.models import OutboxMessage, TokenRefreshClaim, Workspace
from bot.slack import Grant, SlackGateway
from bot.sqlutil import insert_ignoring_conflicts
from bot.workspaces import ensure_workspace

log = logging.getLogger(__name__)

REFRESH_BEFORE = dt.timedelta(hours=2)  # Slack's rotating bot tokens live 12 hours
CLAIM_FOR = dt.timedelta(seconds=30)  # a refresher that dies frees its claim after this
WAIT_FOR_OTHER = 10.0  # seconds a reader waits for another replica's refresh
CANCELLED = "cancelled: the app was uninstalled or its token revoked"
NOT_DELIVERED: dict[str, Any] = {"text": "(not delivered)"}
"""The payload of a message that failed for good: never sent again, so its copy keeps no text
(dilemmas, asks, goals) for the database or its backups (bot.outbox uses it too)."""


# The token columns of slack_installations (slack_bots has the bot's two).
TOKEN_FIELDS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")


def installation_key(enterprise_id: str | None, team_id: str | None) -> str:
    return f"{enterprise_id or '-'}:{team_id or '-'}"


class TandemInstallationStore(AsyncSQLAlchemyInstallationStore):
    """slack_sdk's async SQLAlchemy store (its tables come from Tandem's migrations), with
    claimed token refresh and org-wide fallback. `clock` is the edge's clock."""

    def __init__(
        self, *, client_id: str, client_secret: str, engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession], slack: SlackGateway, clock: Callable[[], dt.datetime],
    ) -> None:
        super().__init__(client_id=client_id, engine=engine, logger=logging.getLogger("slack_sdk.oauth"))
        self._secret, self._sessionmaker, self._slack, self._clock = client_secret, sessionmaker, slack, clock

    # --- tokens sealed at rest: every save seals, every find opens (bot.crypto) -------------
    @property
    def _keyring(self) -> Keyring:
        return keyring_of_sessions(self._sessionmaker)

    async def async_save(self, installation: Installation) -> None:
        sealed = Installation(**installation.to_dict_for_copying())
        for name in TOKEN_FIELDS:
            setattr(sealed, name, self._keyring.seal_token(getattr(sealed, name, None)))
        await super().async_save(sealed)

    async def async_save_bot(self, bot: Bot) -> None:
        sealed = Bot(**bot.to_dict_for_copying())
        sealed.bot_token = self._keyring.seal_token(sealed.bot_token) or ""
        sealed.bot_refresh_token = self._keyring.seal_token(sealed.bot_refresh_token)
        await super().async_save_bot(sealed)

    async def async_find_installation(self, **kwargs: Any) -> Installation | None:
        found = await super().async_find_installation(**kwargs)
        if found is not None:
            for name in TOKEN_FIELDS:
                setattr(found, name, self._keyring.open_token(getattr(found, name, None)))
        return found

    async def find_stored_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The stored bot row with its tokens opened, without refreshing it."""
        bot = await super().async_find_bot(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install)
        if bot is not None:
            bot.bot_token = self._keyring.open_token(bot.bot_token) or ""
            bot.bot_refresh_token = self._keyring.open_token(bot.bot_refresh_token)
        return bot

    async def seal_plaintext_tokens(self) -> int:
        """Seal tokens stored before tokens were sealed (at start-up; idempotent). Returns how
        many rows changed."""
        changed = 0
        async with self.engine.begin() as conn:
            for table, columns in ((self.installations, TOKEN_FIELDS), (self.bots, ("bot_token", "bot_refresh_token"))):
                rows = (await conn.execute(select(table.c.id, *(table.c[c] for c in columns)))).mappings().all()
                for row in rows:
                    values = {c: self._keyring.seal_token(row[c]) for c in columns
                              if row[c] and not row[c].startswith(TOKEN_PREFIX)}
                    if values:
                        await conn.execute(table.update().where(table.c.id == row["id"]).values(**values))
                        changed += 1
        return changed

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        async def find() -> Bot | None:
            return await self.find_stored_bot(
                enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install)

        bot = await find()
        if bot is None or not _expiring(bot, self._clock()):
            return bot
        return await self._refreshed(bot, find)

    async def bot_for_workspace(self, team_id: str, enterprise_id: str | None) -> Bot | None:
        """The workspace's own installation, else its org's org-wide one."""
        bot = await self.async_find_bot(enterprise_id=enterprise_id, team_id=team_id)
        if bot is None and enterprise_id:
            bot = await self.async_find_bot(enterprise_id=enterprise_id, team_id=None, is_enterprise_install=True)
        return bot

    async def forget(self, enterprise_id: str | None, team_id: str | None) -> None:
        """Delete a workspace's (or, team None, an org-wide install's) tokens: they are dead."""
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)
        await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    async def _refreshed(self, bot: Bot, find: Callable[[], Awaitable[Bot | None]]) -> Bot:
        now = self._clock()
        key = installation_key(bot.enterprise_id, None if bot.is_enterprise_install else bot.team_id)
        if not await self._claim(key, now):
            return await self._await_other(bot, find)
        try:
            latest = await find_unrotated(self, bot)  # refreshed by another replica just before our claim?
            if latest is not None and not _expiring(latest, now):
                return latest
            assert bot.bot_refresh_token is not None
            fresh = await self._slack.refresh_token(
                bot.bot_refresh_token, client_id=self.client_id, client_secret=self._secret, now=now)
            rotated = Bot(**bot.to_dict_for_copying())
            rotated.bot_token, rotated.bot_refresh_token = fresh.token, fresh.refresh_token
            rotated.bot_token_expires_at = int(fresh.expires_at.timestamp())
            await self.async_save_bot(rotated)
            await self._save_on_installations(bot, rotated)
            log.info("refreshed the bot token of installation %s (expires %s)", key, fresh.expires_at.isoformat())
            return rotated
        except SlackApiError as exc:  # the old token still works until it expires: try again next time
            log.warning("refreshing the token of installation %s failed: %s", key, exc.response.get("error"))
            return bot
        finally:
            async with self._sessionmaker.begin() as session:
                await session.execute(update(TokenRefreshClaim).where(TokenRefreshClaim.installation_key == key)
                                      .values(claimed_until=None))

    async def _claim(self, key: str, now: dt.datetime) -> bool:
        async with self._sessionmaker.begin() as session:
            await session.execute(insert_ignoring_conflicts(session, TokenRefreshClaim, ["installation_key"])
                                  .values(installation_key=key, claimed_until=None))
            result = await session.execute(
                update(TokenRefreshClaim)
                .where(TokenRefreshClaim.installation_key == key,
                       (TokenRefreshClaim.claimed_until.is_(None)) | (TokenRefreshClaim.claimed_until < now))
                .values(claimed_until=now + CLAIM_FOR)
            )
            return bool(result.rowcount)

    async def _await_other(self, bot: Bot, find: Callable[[], Awaitable[Bot | None]]) -> Bot:
        """Another replica holds the claim: use the token it saves (or ours, still valid, if it is slow)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_FOR_OTHER
        while loop.time() < deadline:
            await asyncio.sleep(0.1)
            latest = await find_unrotated(self, bot)
            if latest is not None and latest.bot_token != bot.bot_token:
                return latest
        return bot

    async def _save_on_installations(self, old: Bot, new: Bot) -> None:
        """slack_installations keeps a copy of the bot token: keep it current too (the rows that
        hold the old one; sealed values differ each time, so they are compared opened)."""
        c = self.installations.c
        async with self.engine.begin() as conn:
            rows = (await conn.execute(
                select(c.id, c.bot_token).where(and_(c.client_id == self.client_id, c.enterprise_id == old.enterprise_id,
                                                     c.team_id == old.team_id))
            )).all()
            ids = [row.id for row in rows if self._keyring.open_token(row.bot_token) == old.bot_token]
            if ids:
                await conn.execute(
                    self.installations.update().where(c.id.in_(ids))
                    .values(bot_token=self._keyring.seal_token(new.bot_token),
                            bot_refresh_token=self._keyring.seal_token(new.bot_refresh_token),
                            bot_token_expires_at=new.to_dict()["bot_token_expires_at"].replace(tzinfo=None))
                )


async def find_unrotated(store: TandemInstallationStore, bot: Bot) -> Bot | None:
    """The stored bot row, read without triggering a refresh."""
    return await store.find_stored_bot(
        enterprise_id=bot.enterprise_id, team_id=bot.team_id, is_enterprise_install=bot.is_enterprise_install)


def _expiring(bot: Bot, now: dt.datetime) -> bool:
    if bot.bot_token_expires_at is None or not bot.bot_refresh_token:
        return False
    return bot.bot_token_expires_at <= (now + REFRESH_BEFORE).timestamp()


async def grant_for(store: TandemInstallationStore, workspace: Workspace) -> Grant | None:
    """The token a workspace's scheduled calls use (OAuth mode): its installation's, refreshed
    when it is about to expire. None: it has none, so nothing may be sent for it."""
    bot = await store.bot_for_workspace(workspace.team_id, workspace.enterprise_id)
    if bot is None or not bot.bot_token:
        return None
    return Grant(team_id=workspace.team_id, enterprise_id=workspace.enterprise_id, token=bot.bot_token)


# --- the domain: installed, stopped, purged ---------------------------------------------
async def installed(session: AsyncSession, installation: Installation, now: dt.datetime) -> int:
    """A (re)install: the workspace, or every known workspace of an org-wide install, resumes.
    Returns how many workspaces it resumed or created."""
    if installation.is_enterprise_install or installation.team_id is None:
        result = await session.execute(
            update(Workspace).where(Workspace.enterprise_id == installation.enterprise_id)
            .values(uninstalled_at=None, delivery_paused_until=None, delivery_error=None)
        )
        return int(result.rowcount or 0)
    workspace = await ensure_workspace(session, installation.team_id, now)
    workspace.enterprise_id = installation.enterprise_id
    workspace.name = installation.team_name or workspace.name
    workspace.bot_user_id = installation.bot_user_id or workspace.bot_user_id
    workspace.uninstalled_at = None
    workspace.delivery_paused_until, workspace.delivery_error = None, None
    return 1


async def note_enterprise(session: AsyncSession, team_id: str, enterprise_id: str | None, now: dt.datetime) -> None:
    """Remember which Grid org a workspace belongs to (scheduled work finds its org's token by it)."""
    found = await session.scalar(select(Workspace).where(Workspace.team_id == team_id))
    if found is not None and found.enterprise_id == enterprise_id:
        return
    workspace = found or await ensure_workspace(session, team_id, now)
    workspace.enterprise_id = enterprise_id


async def stop_workspaces(
    session: AsyncSession, *, now: dt.datetime, team_ids: list[str] | None = None, enterprise_id: str | None = None,
) -> list[int]:
    """Stop every call to Slack for these workspaces (or every workspace of an org): mark
    them uninstalled and cancel their queued messages. Returns the ids newly stopped (a
    second stop of the same workspace changes nothing, so it is logged once)."""
    which = Workspace.team_id.in_(team_ids) if team_ids is not None else Workspace.enterprise_id == enterprise_id
    # One conditional UPDATE: of two processes stopping the same workspace at once, the second
    # waits for the first's row lock, then finds it stopped and changes (and logs) nothing.
    ids = list(await session.scalars(
        update(Workspace).where(which, Workspace.uninstalled_at.is_(None)).values(uninstalled_at=now)
        .returning(Workspace.id).execution_options(synchronize_session=False)
    ))
    if not ids:
        return []
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.workspace_id.in_(ids), OutboxMessage.state.in_(("pending", "sending")))
        .values(state="failed", error=CANCELLED, lease_until=None, payload=NOT_DELIVERED)
        .execution_options(synchronize_session=False)
    )
    return ids


async def restore(session: AsyncSession, team_id: str) -> bool:
    """Single-token mode: Slack accepts the token again (checked at start-up), so a workspace
    stopped for a refused token resumes. True when it had been stopped."""
    result = await session.execute(
        update(Workspace).where(Workspace.team_id == team_id, Workspace.uninstalled_at.is_not(None))
        .values(uninstalled_at=None, delivery_paused_until=None, delivery_error=None)
    )
    return bool(result.rowcount)


async def purge_uninstalled(session: AsyncSession, now: dt.datetime, retention_days: int) -> list[str]:
    """Delete every workspace uninstalled more than `retention_days` ago, with all its data
    (foreign keys cascade). Returns the team ids purged."""
    cutoff = now - dt.timedelta(days=retention_days)
    gone = list(await session.execute(
        select(Workspace.id, Workspace.team_id).where(Workspace.uninstalled_at.is_not(None), Workspace.uninstalled_at <= cutoff)
    ))
    if gone:
        await session.execute(delete(Workspace).where(Workspace.id.in_([row.id for row in gone])))
    return [row.team_id for row in gone]
