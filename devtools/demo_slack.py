"""Reading a fake Slack like a person reads Slack, for the demo (`devtools/demo.py`).

- `Screen` walks the Web API calls the bot made to `FakeSlack` (newest since the
  last look) and turns them into what people see: messages with their buttons,
  modals opened for someone, ephemeral answers.
- `fill_modal` answers a modal through its own blocks: every input's real
  block_id/action_id and element type, as Slack builds `view.state.values`.
- `render_blocks` turns Block Kit into a few lines of rich text, mentions
  resolved to names and dates written out, for a transcript.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rich.markup import escape as rich_escape

from devtools.fake_slack import Call, FakeSlack
from bot.slack import METADATA_EVENT


@dataclass(frozen=True)
class Button:
    action_id: str
    value: str
    block_id: str
    text: str


@dataclass(frozen=True)
class Posted:
    """A message the bot posted, as its readers see it."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    key: str  # the outbox delivery key (metadata), or channel:text for a direct post
    audience: tuple[str, ...]
    buttons: tuple[Button, ...]

    def button(self, action_id: str) -> Button | None:
        return next((b for b in self.buttons if b.action_id == action_id), None)

    @property
    def message(self) -> dict[str, Any]:
        """The message as Slack puts it in a block_actions payload."""
        return {"type": "message", "ts": self.ts, "text": self.text, "blocks": self.blocks}


@dataclass(frozen=True)
class Modal:
    """A modal opened (or updated) in front of one person."""

    user_id: str
    view: dict[str, Any]

    @property
    def callback_id(self) -> str:
        return str(self.view.get("callback_id") or "")


@dataclass
class Seen:
    """What one look at the screen found, in a stable order (by delivery key, not by arrival)."""

    posted: list[Posted] = field(default_factory=list)
    modals: list[Modal] = field(default_factory=list)
    answers: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (user, response_url body)
    failed: list[Call] = field(default_factory=list)


class Screen:
    """Incremental reader of a FakeSlack's recorded calls."""

    def __init__(self, fake: FakeSlack, *, public_audience: dict[str, tuple[str, ...]]) -> None:
        self.fake = fake
        self.public_audience = public_audience  # channel id -> who reads it
        self.trigger_owner: dict[str, str] = {}  # trigger id -> user who caused it
        self.view_owner: dict[str, str] = {}
        self.response_owner: dict[str, str] = {}  # response_url key -> user
        self._cursor = 0

    def look(self) -> Seen:
        calls = self.fake.calls[self._cursor:]
        self._cursor += len(calls)
        seen = Seen()
        for call in calls:
            if not call.ok:
                seen.failed.append(call)
            elif call.method == "chat.postMessage":
                seen.posted.append(self._posted(call))
            elif call.method in ("views.open", "views.push"):
                user = self.trigger_owner.pop(str(call.params.get("trigger_id")), None)
                self._modal(seen, user, call.response["view"])
            elif call.method == "views.update":
                view = call.response["view"]
                self._modal(seen, self.view_owner.get(view["id"]), view)
            elif call.method == "response_url" and call.key in self.response_owner:
                seen.answers.append((self.response_owner[call.key], call.params))
        seen.posted.sort(key=lambda p: (p.key, p.channel))
        seen.modals.sort(key=lambda m: (m.user_id, m.callback_id, str(m.view.get("private_metadata"))))
        return seen

    def _modal(self, seen: Seen, user: str | None, view: dict[str, Any]) -> None:
        if user is None:
            return
        self.view_owner[view["id"]] = user
        seen.modals.append(Modal(user, view))

    def _posted(self, call: Call) -> Posted:
        channel = str(call.response["channel"])
        params = call.params
        blocks = params.get("blocks") or []
        text = str(params.get("text") or "")
        meta = params.get("metadata") or {}
        key = (meta.get("event_payload") or {}).get("key") if meta.get("event_type") == METADATA_EVENT else None
        return Posted(channel=channel, ts=str(call.response["ts"]), text=text, blocks=blocks,
                      key=str(key or f"{channel}:{text}"), audience=self.audience(channel),
                      buttons=tuple(buttons_of(blocks)))

    def audience(self, channel_id: str) -> tuple[str, ...]:
        channel = self.fake.channel(channel_id)
        if channel is not None and (channel.is_im or channel.is_mpim):
            return tuple(channel.members)
        return self.public_audience.get(channel_id, ())


def buttons_of(blocks: Iterable[dict[str, Any]]) -> list[Button]:
    found = []
    for block in blocks:
        elements = block.get("elements") if block.get("type") == "actions" else None
        if block.get("type") == "section" and isinstance(block.get("accessory"), dict):
            elements = [block["accessory"]]
        for element in elements or []:
            if element.get("type") == "button":
                found.append(Button(element["action_id"], str(element.get("value") or ""),
                                    str(block.get("block_id") or ""), element["text"]["text"]))
    return found


# --- answering modals -------------------------------------------------------------------------------


def fill_modal(view: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """`view.state.values` for a submission: `answers` by block_id (an option value, a text,
    a list of options, a date…); inputs not answered keep their initial value, as in Slack."""
    values: dict[str, Any] = {}
    for block in view.get("blocks") or []:
        if block.get("type") != "input":
            continue
        element = block["element"]
        values[block["block_id"]] = {element["action_id"]: _element_state(element, answers.get(block["block_id"]))}
    return values


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return options


def _element_state(element: dict[str, Any], answer: Any) -> dict[str, Any]:
    kind = element["type"]
    state: dict[str, Any] = {"type": kind}
    if kind in ("plain_text_input", "number_input", "email_text_input", "url_text_input"):
        state["value"] = answer if answer is not None else element.get("initial_value")
    elif kind in ("static_select", "radio_buttons", "external_select"):
        if answer is None:
            state["selected_option"] = element.get("initial_option")
        else:
            state["selected_option"] = next((o for o in _options(element) if o["value"] == answer), None)
            if state["selected_option"] is None:
                raise ValueError(f"no option {answer!r} in {element.get('action_id')}")
    elif kind in ("multi_external_select", "multi_static_select", "checkboxes"):
        state["selected_options"] = answer if answer is not None else list(element.get("initial_options") or [])
    elif kind == "multi_users_select":
        state["selected_users"] = answer if answer is not None else list(element.get("initial_users") or [])
    elif kind in ("conversations_select", "channels_select"):
        key = "selected_conversation" if kind == "conversations_select" else "selected_channel"
        state[key] = answer if answer is not None else element.get(f"initial_{key.split('_')[1]}")
    elif kind == "datepicker":
        state["selected_date"] = answer if answer is not None else element.get("initial_date")
    elif kind == "datetimepicker":
        state["selected_date_time"] = answer if answer is not None else element.get("initial_date_time")
    elif kind == "timepicker":
        state["selected_time"] = answer if answer is not None else element.get("initial_time")
    else:
        raise ValueError(f"the demo cannot fill a {kind} element")
    return state


def initial_of(view: dict[str, Any], block_id: str) -> Any:
    """The initial value of one input (for answers that keep or adjust it)."""
    for block in view.get("blocks") or []:
        if block.get("block_id") == block_id and block.get("type") == "input":
            element = block["element"]
            for name in ("initial_date_time", "initial_date", "initial_value"):
                if name in element:
                    return element[name]
            option = element.get("initial_option")
            return option.get("value") if option else None
    return None


# --- rendering ----------------------------------------------------------------------------------------

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_DATE = re.compile(r"<!date\^(\d+)\^[^|>]*(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<(https?://[^|>]+)(?:\|([^>]+))?>")
_BOLD = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?!\s)([^_\n]+?)(?<!\s)_(?![\w_])")


def short_date(moment: dt.datetime) -> str:
    """e.g. "Mon 9 Mar 15:00" (UTC)."""
    moment = moment.astimezone(dt.timezone.utc)
    return f"{moment:%a} {moment.day} {moment:%b %H:%M}"


def mrkdwn_to_rich(text: str, names: dict[str, str], channels: dict[str, str] | None = None) -> str:
    """Slack mrkdwn → rich markup: mentions as @Name, dates written out, *bold*, _italic_."""
    text = _MENTION.sub(lambda m: "\x00@" + names.get(m[1], m[1]) + "\x01", text)
    text = _DATE.sub(lambda m: short_date(dt.datetime.fromtimestamp(int(m[1]), dt.timezone.utc)) + " UTC", text)
    text = _CHANNEL.sub(lambda m: "#" + (m[2] or (channels or {}).get(m[1], m[1])), text)
    text = _LINK.sub(lambda m: m[2] or m[1], text)
    text = rich_escape(html.unescape(text))
    text = _BOLD.sub(r"[bold]\1[/bold]", text)
    text = _ITALIC.sub(r"[italic]\1[/italic]", text)
    return text.replace("\x00", "[cyan]").replace("\x01", "[/cyan]")


def render_blocks(blocks: list[dict[str, Any]], names: dict[str, str], *, fallback: str = "",
                  max_lines: int = 12, channels: dict[str, str] | None = None) -> list[str]:
    """A compact rich-text rendering of a message's blocks (header, sections, fields,
    context, buttons), at most `max_lines` lines."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"[bold]{rich_escape(block['text']['text'])}[/bold]")
        elif kind == "section":
            if block.get("text"):
                lines += mrkdwn_to_rich(block["text"]["text"], names, channels).splitlines()
            for f in block.get("fields") or []:
                lines.append(mrkdwn_to_rich(f["text"], names, channels).replace("\n", ": ", 1).replace("\n", " "))
        elif kind == "context":
            texts = [e.get("text", "") for e in block.get("elements") or [] if e.get("type") in ("mrkdwn", "plain_text")]
            lines += [f"[dim]{mrkdwn_to_rich(t, names, channels)}[/dim]" for t in texts if t]
        elif kind == "actions":
            labels = [b.text for b in buttons_of([block])]
            if labels:
                lines.append("  ".join(f"[reverse] {rich_escape(label)} [/reverse]" for label in labels))
    if not lines and fallback:
        lines = mrkdwn_to_rich(fallback, names, channels).splitlines()
    lines = [line for line in lines if line.strip()]
    if len(lines) > max_lines:
        lines = lines[:max_lines - 1] + ["[dim]…[/dim]"]
    return lines
