"""The one reader of a modal's `view.state.values`, keyed by the (block_id, action_id)
pairs named in `bot/ids.py`.

A submission is written by whoever sent the request, so every level may hold a wrong
JSON type: a value that is not the expected dict, str or list reads as missing, never
as an AttributeError. Every parser of a modal (`bot/profiles.py`, `bot/feedback.py`,
`bot/goals.py`, `bot/program_settings.py`, `bot/sessions.py`) reads through here.
"""

from __future__ import annotations

from typing import Any

Field = tuple[str, str]  # (block_id, action_id)


def element(values: Any, field: Field) -> dict[str, Any]:
    """The state of one input element; {} when the block or element is missing or malformed."""
    block = values.get(field[0]) if isinstance(values, dict) else None
    state = block.get(field[1]) if isinstance(block, dict) else None
    return state if isinstance(state, dict) else {}


def has_block(values: Any, block_id: str) -> bool:
    """Whether the form carried this block at all (a field the modal did not show is absent)."""
    return isinstance(values, dict) and block_id in values


def text(values: Any, field: Field, limit: int | None = None) -> str:
    """A plain-text input, stripped (and cut to `limit`); "" when missing or not a string."""
    value = element(values, field).get("value")
    stripped = value.strip() if isinstance(value, str) else ""
    return stripped if limit is None else stripped[:limit]


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def selected(values: Any, field: Field) -> str | None:
    """The value of a single select or radio choice; None when nothing valid was chosen."""
    option = element(values, field).get("selected_option")
    return _str(option.get("value")) if isinstance(option, dict) else None


def selected_values(values: Any, field: Field) -> list[str]:
    """The values of a multi-select or checkboxes, skipping malformed options."""
    options = element(values, field).get("selected_options")
    if not isinstance(options, list):
        return []
    found = (_str(o.get("value")) for o in options if isinstance(o, dict))
    return [v for v in found if v is not None]


def selected_users(values: Any, field: Field) -> list[str]:
    """The user ids of a multi-users select, skipping anything that is not a string."""
    users = element(values, field).get("selected_users")
    return [u for u in users if isinstance(u, str)] if isinstance(users, list) else []


def conversation(values: Any, field: Field) -> object:
    """A conversations select's raw value (None when nothing is chosen): the caller checks its shape."""
    return element(values, field).get("selected_conversation")


def date(values: Any, field: Field) -> str | None:
    """A date picker's "YYYY-MM-DD"; None when missing or not a string."""
    return _str(element(values, field).get("selected_date"))


def date_time(values: Any, field: Field) -> str | None:
    """A datetime picker's Unix seconds as digits; None when missing or malformed."""
    value = element(values, field).get("selected_date_time")
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    digits = str(value)
    return digits if digits.isdecimal() and len(digits) <= 11 else None  # beyond the year 5000: not a time


def blocks_with_prefix(values: Any, prefix: str) -> list[str]:
    """The block ids that start with `prefix` (fields made per row, such as per-goal selects)."""
    return [b for b in values if isinstance(b, str) and b.startswith(prefix)] if isinstance(values, dict) else []
