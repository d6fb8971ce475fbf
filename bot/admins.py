"""Who may run admin commands: workspace admins and owners, plus TANDEM_ADMINS."""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.slack import SlackGateway

log = logging.getLogger(__name__)

ADMIN_CHECK_SECONDS = 1.5  # a users.info slower than this is refused (safe side), never awaited longer


async def is_admin(deps: Deps, user_id: str) -> bool:
    """Checked on every admin action: commands, button clicks and view submissions. At most
    one users.info per person a minute (`Deps.admins`), and never longer than
    ADMIN_CHECK_SECONDS, so it fits before an ack or a views.open."""
    if user_id in deps.settings.admin_ids:
        return True
    known = deps.admins.get(user_id)
    if known is not None:
        return known
    admin = await _ask_slack(deps.slack, user_id)
    if admin is not None:
        deps.admins.put(user_id, admin)
    return bool(admin)


async def _ask_slack(slack: SlackGateway, user_id: str) -> bool | None:
    try:
        user = await asyncio.wait_for(slack.user_info(user_id), ADMIN_CHECK_SECONDS)
    except asyncio.TimeoutError:
        log.warning("users.info was too slow while checking admin rights; treating as non-admin")
        return None
    except SlackApiError:
        log.warning("users.info failed while checking admin rights; treating as non-admin")
        return None
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
