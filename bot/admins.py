"""Who may run admin commands: workspace admins and owners, plus TANDEM_ADMINS."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.deps import Deps

log = logging.getLogger(__name__)


async def is_admin(deps: Deps, user_id: str) -> bool:
    """Checked on every admin action: commands, button clicks and view submissions."""
    if user_id in deps.settings.admin_ids:
        return True
    try:
        user = await deps.slack.user_info(user_id)
    except SlackApiError:
        log.warning("users.info failed while checking admin rights; treating as non-admin")
        return False
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
