"""Small Block Kit pieces with Slack's limits applied in one place."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

Block = dict[str, Any]

# Slack's limits (https://docs.slack.dev/reference/block-kit): see devtools/blockkit.py.
SECTION_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
CONTEXT_TEXT_MAX = 3000
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
FALLBACK_TEXT_MAX = 3000
MODAL_TITLE_MAX = 24


def escape(text: str) -> str:
    """Escape Slack's three control characters so user text is shown, not parsed.

    This also defuses `<!channel>`, `<@U123>` and link syntax.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cap(text: str, limit: int) -> str:
    """Cut text to `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


_ESCAPED_MENTION = re.compile(r"&lt;([@#][UWCG][A-Z0-9]{1,30})&gt;")


def user_text(text: str | None, limit: int, *, mentions: bool = False) -> str:
    """Escape then cap a piece of user text for mrkdwn (escaping can lengthen it).

    `mentions=True` keeps bare user and channel mentions (`<@U123>`, `<#C123>`, what
    `bot.slacktext.decode` leaves of Slack's mention markup) working; everything
    else, `<!channel>` included, is shown, not parsed."""
    escaped = escape(text or "")
    if mentions:
        escaped = _ESCAPED_MENTION.sub(r"<\1>", escaped)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]  # never leave half an entity
    lt = cut.rfind("<")
    if lt != -1 and ">" not in cut[lt:]:
        cut = cut[:lt]  # nor half a mention
    return cut + "…"


def plain(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, Any]:
    return {"type": "plain_text", "text": cap(text, limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": cap(text, limit) or " "}


def section(text: str, *, accessory: Block | None = None, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory is not None:
        block["accessory"] = accessory
    if block_id:
        block["block_id"] = block_id
    return block


def fields_section(fields: list[str]) -> Block:
    return {"type": "section", "fields": [mrkdwn(f, FIELD_TEXT_MAX) for f in fields[:10]]}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_TEXT_MAX)}


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text, CONTEXT_TEXT_MAX)]}


def divider() -> Block:
    return {"type": "divider"}


def button(
    text: str, action_id: str, value: str | None = None, *, style: str | None = None,
    confirm: Block | None = None,
) -> Block:
    element: Block = {"type": "button", "text": plain(text, BUTTON_TEXT_MAX), "action_id": action_id}
    if value is not None:
        element["value"] = cap(value, BUTTON_VALUE_MAX)
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def actions(*elements: Block, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)[:25]}
    if block_id:
        block["block_id"] = block_id
    return block


def option(text: str, value: str) -> Block:
    return {"type": "option", "text": plain(text, OPTION_TEXT_MAX), "value": cap(value, OPTION_VALUE_MAX)}


def message(text: str, blocks: list[Block]) -> dict[str, Any]:
    """A message payload: fallback text for notifications plus capped blocks."""
    return {"text": cap(text, FALLBACK_TEXT_MAX), "blocks": blocks[:MESSAGE_BLOCKS_MAX]}


def modal(
    title: str, blocks: list[Block], *, callback_id: str, submit: str | None = None,
    private_metadata: str = "", close: str = "Cancel",
) -> Block:
    view: Block = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, MODAL_TITLE_MAX),
        "close": plain(close, MODAL_TITLE_MAX),
        "blocks": blocks[:VIEW_BLOCKS_MAX],
        "private_metadata": private_metadata,
    }
    if submit:
        view["submit"] = plain(submit, MODAL_TITLE_MAX)
    return view


def home(blocks: list[Block]) -> Block:
    return {"type": "home", "blocks": blocks[:VIEW_BLOCKS_MAX]}


def when(moment: dt.datetime | None) -> str:
    """A date Slack renders in the reader's own time zone."""
    if moment is None:
        return "not scheduled yet"
    ts = int(moment.timestamp())
    fallback = moment.strftime("%a %d %b %Y %H:%M UTC")
    return f"<!date^{ts}^{{date_short_pretty}} at {{time}}|{fallback}>"


def skill_list(names: list[str]) -> str:
    return ", ".join(user_text(n, 80) for n in names) if names else "_none yet_"


# --- sections ------------------------------------------------------------------------------------
