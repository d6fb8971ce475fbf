"""The one reader and validator of what Slack sends: interaction payloads, event envelopes.

Every request body passes `problem(body)` before any listener runs (in
handlers/server.py for HTTP, in handlers/middleware.py for every transport).
It checks the shape Slack documents and bounds every value a listener or a
`bot/` parser reads, so a correctly signed but crafted request can neither
crash a handler nor reach the database with a value it cannot hold:

- the body is a JSON object; `user` and `team` are objects, `event_id` a string,
  `response_url` an https URL;
- Slack ids (users, teams, channels, views) match Slack's pattern (ASCII,
  upper-case letters and digits);
- action values and `private_metadata` are strings of bounded length, and
  every run of digits in them (our database-id references, "id:due-stamp") is
  ASCII and at most `MAX_DB_ID`, so no id reaches a query it would overflow;
- `view.state.values` is block → action → state object, and each state field
  has the type its element sends (`value` a string, `selected_option` an
  object, `selected_date` a real date, `selected_date_time` a Unix time in
  years 1970..9999, `selected_users` a list of user ids …).

A body whose envelope Bolt cannot read (`envelope_problem`: not a JSON object,
`user`/`team` not objects, `event_id` not a string, a bad `response_url` …)
gets a 400 from the HTTP server, since Bolt would raise on it; any other
request that fails `problem` gets a 200 with an empty body from the first
middleware (acknowledged, so no retry comes). Nothing else runs.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

from bot.models import MAX_DB_ID
from bot.profiles import NEW_PREFIX

MAX_VALUE = 2000  # Slack caps a button value at 2,000 characters
MAX_METADATA = 3000  # and private_metadata at 3,000
MAX_TEXT = 10_000  # any other string field (input values are capped at 3,000 by Slack)
MAX_ITEMS = 200  # options, actions, blocks, users in one payload
MAX_DATETIME = 253_402_214_400  # 9999-12-31T00:00:00Z
MAX_DEPTH = 16

SLACK_ID = re.compile(r"[A-Z][A-Z0-9]{1,40}")  # U…, W…, T…, E…, C…, D…, G…, V…, A…, B…
TEAM_ID = re.compile(r"[TE][A-Z0-9]{1,40}")
_DIGITS = re.compile(r"\d+")  # Unicode digits too: a non-ASCII one is refused below
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"[0-9]{2}:[0-9]{2}")
_MESSAGE_TS = re.compile(r"[0-9]{1,12}\.[0-9]{1,9}")


class Malformed(ValueError):
    """A request Slack would not send; its text says which field (for DEBUG logs only)."""


def who(body: dict[str, Any]) -> tuple[str, str]:
    """(team id, user id) of a block_actions or view_submission payload."""
    return (body.get("team") or {}).get("id") or body["user"].get("team_id", ""), body["user"]["id"]


def is_slack_id(value: Any) -> bool:
    return isinstance(value, str) and SLACK_ID.fullmatch(value) is not None


def is_team_id(value: Any) -> bool:
    return isinstance(value, str) and TEAM_ID.fullmatch(value) is not None


def problem(body: Any) -> str | None:
    """What makes `body` a request Slack would not send, or None when it is well-formed."""
    try:
        check(body)
    except Malformed as exc:
        return str(exc)
    return None


def envelope_problem(body: Any) -> str | None:
    """What makes `body` unreadable as a Slack request at all (not an object, `user` or `team`
    not objects, `event_id` not a string, a `response_url` that is no URL), or None."""
    try:
        _envelope(body)
    except Malformed as exc:
        return str(exc)
    return None


def _envelope(body: Any) -> None:
    if not isinstance(body, dict):
        raise Malformed("body is not an object")
    _depth(body, 0)
    for key in ("user", "team", "channel", "enterprise", "container", "view", "message", "event"):
        if body.get(key) is not None and not isinstance(body[key], dict):
            raise Malformed(f"{key} is not an object")
    if body.get("type") in _INTERACTIONS and not isinstance(body.get("user"), dict):
        raise Malformed("user is not an object")
    for key in ("event_id", "type", "trigger_id", "callback_id", "action_id", "block_id", "api_app_id"):
        _optional_str(body, key, MAX_TEXT)
    for key in ("team_id", "user_id", "channel_id", "enterprise_id"):
        _optional_slack_id(body, key)
    for key in ("user", "team", "channel"):
        if isinstance(body.get(key), dict):
            _optional_slack_id(body[key], "id", required=body.get("type") in _INTERACTIONS and key != "channel")
            _optional_slack_id(body[key], "team_id")
    kind = body.get("type")
    if kind in _INTERACTIONS:  # which workspace: team.id, or user.team_id for an org-wide install
        if not is_team_id((body.get("team") or {}).get("id") or body["user"].get("team_id")):
            raise Malformed("no team id")
    if (kind == "event_callback" or body.get("command") is not None) and not is_team_id(body.get("team_id")):
        raise Malformed("no team id")
    if body.get("command") is not None and not is_slack_id(body.get("user_id")):
        raise Malformed("no user id")
    if body.get("response_url") is not None and not _is_url(body["response_url"]):
        raise Malformed("response_url is not an https URL")
    if body.get("response_urls") is not None and not isinstance(body["response_urls"], list):
        raise Malformed("response_urls is not a list")
    authorizations = body.get("authorizations")
    if authorizations is not None and (not isinstance(authorizations, list)
                                       or not all(isinstance(a, dict) for a in authorizations)):
        raise Malformed("authorizations is not a list of objects")
    # what Bolt itself reads to route a request (it raises on a different shape)
    if body.get("response_urls") is not None and not all(isinstance(u, dict) for u in body["response_urls"]):
        raise Malformed("response_urls is not a list of objects")
    nested = [body.get(key) for key in ("event", "message", "previous_message", "item")]
    nested += (body.get("authorizations") or [])[:1]
    event = body.get("event")
    if isinstance(event, dict):
        nested += [event.get("message"), event.get("previous_message"), event.get("item")]
    for obj in nested:
        if obj is None:
            continue
        if not isinstance(obj, dict):
            raise Malformed("a nested object is not an object")
        for key in ("user", "team", "enterprise", "channel"):
            if obj.get(key) is not None and not isinstance(obj[key], str | dict):
                raise Malformed(f"a nested {key} is neither an id nor an object")
    kind = body.get("type")
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("type"), str) \
                or not isinstance(view.get("callback_id"), str):
            raise Malformed("view is not an object with a type and a callback_id")
    if kind == "block_actions" or body.get("actions") is not None:
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions or not all(isinstance(a, dict) for a in actions):
            raise Malformed("actions is not a list of objects")
        for action in actions:
            if not isinstance(action.get("action_id"), str):
                raise Malformed("an action has no action_id")
            _optional_str(action, "block_id", MAX_TEXT)
    if kind == "block_suggestion" and not isinstance(body.get("action_id"), str):
        raise Malformed("an options load has no action_id")
    if kind in ("shortcut", "message_action") and not isinstance(body.get("callback_id"), str):
        raise Malformed("a shortcut has no callback_id")
    if kind == "message_action":
        message = body.get("message")
        channel = body.get("channel")
        if not isinstance(message, dict) or not isinstance(message.get("ts"), str) \
                or not _MESSAGE_TS.fullmatch(message["ts"]):
            raise Malformed("a message shortcut has no message ts")
        if not isinstance(channel, dict) or not is_slack_id(channel.get("id")):
            raise Malformed("a message shortcut has no channel")


def check(body: Any) -> None:
    """Raise Malformed for a body that is not a well-formed Slack request."""
    _envelope(body)
    if body.get("type") == "block_suggestion":
        _optional_str(body, "value", MAX_TEXT)
    if body.get("actions") is not None:
        _actions(body["actions"])
    if isinstance(body.get("view"), dict):
        _view(body["view"])
    if body.get("type") == "event_callback" or body.get("event") is not None:
        _event(body)


_INTERACTIONS = ("block_actions", "view_submission", "view_closed", "block_suggestion", "shortcut", "message_action")


def _depth(value: Any, level: int) -> None:
    if level > MAX_DEPTH:
        raise Malformed("nested too deeply")
    if isinstance(value, dict):
        if len(value) > MAX_ITEMS * 5:
            raise Malformed("too many keys")
        for item in value.values():
            _depth(item, level + 1)
    elif isinstance(value, list):
        if len(value) > MAX_ITEMS:
            raise Malformed("too many items")
        for item in value:
            _depth(item, level + 1)


def _optional_str(obj: dict[str, Any], key: str, limit: int) -> None:
    value = obj.get(key)
    if value is not None and (not isinstance(value, str) or len(value) > limit):
        raise Malformed(f"{key} is not a string")


def _optional_slack_id(obj: dict[str, Any], key: str, *, required: bool = False) -> None:
    value = obj.get(key)
    if (value is None or value == "") and not required:
        return
    if not is_slack_id(value):
        raise Malformed(f"{key} is not a Slack id")


def _is_url(value: Any) -> bool:
    if not isinstance(value, str) or len(value) > 2000 or not value.isascii():
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme in ("https", "http") and bool(parts.hostname)
    except ValueError:
        return False


def _reference(value: Any, key: str, limit: int) -> None:
    """A string that may carry our database ids ("12", "12:1772443200", "5:9:1772…")."""
    if value is None:
        return
    if not isinstance(value, str) or len(value) > limit:
        raise Malformed(f"{key} is not a string")
    for digits in _DIGITS.findall(value):
        if not digits.isascii() or len(digits) > 19 or int(digits) > MAX_DB_ID:
            raise Malformed(f"{key} holds a number out of range")


def _actions(actions: Any) -> None:
    if not isinstance(actions, list) or len(actions) > MAX_ITEMS:
        raise Malformed("actions is not a list")
    for action in actions:
        if not isinstance(action, dict):
            raise Malformed("an action is not an object")
        for key in ("action_id", "block_id", "type", "action_ts"):
            _optional_str(action, key, MAX_TEXT)
        _reference(action.get("value"), "action value", MAX_VALUE)
        _state_fields(action)


def _view(view: dict[str, Any]) -> None:
    for key in ("id", "team_id", "app_id", "root_view_id", "previous_view_id", "bot_id"):
        _optional_slack_id(view, key)
    for key in ("callback_id", "external_id", "hash", "type"):
        _optional_str(view, key, MAX_TEXT)
    _reference(view.get("private_metadata"), "private_metadata", MAX_METADATA)
    state = view.get("state")
    if state is None and view.get("type") != "modal":
        return
    if not isinstance(state, dict):
        raise Malformed("view state is not an object")
    values = state.get("values")
    if not isinstance(values, dict):
        raise Malformed("state values is not an object")
    for block in values.values():
        if not isinstance(block, dict):
            raise Malformed("a state block is not an object")
        for element in block.values():
            if not isinstance(element, dict):
                raise Malformed("a state element is not an object")
            _state_fields(element)


def _state_fields(element: dict[str, Any]) -> None:
    """The fields an input element (or an action) reports, each of its documented type."""
    _optional_str(element, "value", MAX_TEXT)
    for key in ("selected_option", "initial_option"):
        if element.get(key) is not None:
            _option(element[key])
    for key in ("selected_options", "initial_options"):
        options = element.get(key)
        if options is not None:
            if not isinstance(options, list):
                raise Malformed(f"{key} is not a list")
            for option in options:
                _option(option)
    for key in ("selected_user", "selected_channel", "selected_conversation"):
        _optional_slack_id(element, key)
    for key in ("selected_users", "selected_channels", "selected_conversations"):
        chosen = element.get(key)
        if chosen is not None and (not isinstance(chosen, list) or not all(is_slack_id(c) for c in chosen)):
            raise Malformed(f"{key} is not a list of Slack ids")
    if element.get("selected_date") is not None:
        _date(element["selected_date"])
    if element.get("selected_time") is not None:
        if not isinstance(element["selected_time"], str) or not _TIME.fullmatch(element["selected_time"]):
            raise Malformed("selected_time is not HH:MM")
    stamp = element.get("selected_date_time")
    if stamp is not None and (isinstance(stamp, bool) or not isinstance(stamp, int) or not 0 <= stamp <= MAX_DATETIME):
        raise Malformed("selected_date_time is out of range")
    _optional_str(element, "timezone", 100)


def _option(option: Any) -> None:
    if not isinstance(option, dict):
        raise Malformed("an option is not an object")
    value = option.get("value")
    if isinstance(value, str) and value.startswith(NEW_PREFIX):  # a new skill's name, typed by a person
        _optional_str(option, "value", MAX_VALUE)
    else:
        _reference(value, "option value", MAX_VALUE)
    text = option.get("text")
    if text is not None and not isinstance(text, dict):
        raise Malformed("option text is not an object")


def _date(value: Any) -> None:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise Malformed("selected_date is not YYYY-MM-DD")
    try:
        dt.date.fromisoformat(value)
    except ValueError as exc:
        raise Malformed("selected_date is not a date") from exc


def _event(body: dict[str, Any]) -> None:
    event = body.get("event")
    if not isinstance(event, dict):
        raise Malformed("event is not an object")
    _optional_str(event, "type", 100)
    for key in ("channel", "tab", "event_ts", "ts", "inviter", "channel_type"):
        _optional_str(event, key, MAX_TEXT)
    user = event.get("user")
    if event.get("type") in ("user_change", "team_join"):
        if not isinstance(user, dict):
            raise Malformed("event user is not an object")
        _optional_slack_id(user, "id", required=True)
        for key in ("tz", "real_name", "name"):
            _optional_str(user, key, MAX_TEXT)
        if user.get("tz_offset") is not None and (isinstance(user["tz_offset"], bool)
                                                   or not isinstance(user["tz_offset"], int)
                                                   or abs(user["tz_offset"]) > 86_400):
            raise Malformed("tz_offset is out of range")
        if user.get("profile") is not None and not isinstance(user["profile"], dict):
            raise Malformed("profile is not an object")
        for key in ("display_name", "real_name"):
            _optional_str(user.get("profile") or {}, key, MAX_TEXT)
    elif user is not None and not is_slack_id(user):
        raise Malformed("event user is not a Slack id")
    if event.get("type") == "member_joined_channel":
        _optional_slack_id(event, "channel", required=True)
