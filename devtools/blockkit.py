"""Offline Block Kit validator that enforces Slack's documented limits.

Errors mimic Slack's own style: ``"<problem> [json-pointer:/blocks/0/text/text]"``.
An empty list means Slack would accept the payload (as far as these rules go).
"""

from __future__ import annotations

import re
from typing import Any, Callable

# --------------------------------------------------------------------------- limits
MAX_BLOCKS = {"message": 50, "modal": 100, "home": 100}
MAX_BLOCK_ID = 255
MAX_ACTION_ID = 255
MAX_URL = 3000

SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
SECTION_FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
CONTEXT_ELEMENTS = (1, 10)
ACTIONS_ELEMENTS = (1, 25)
INPUT_LABEL_MAX = 2000
INPUT_HINT_MAX = 2000
IMAGE_ALT_TEXT_MAX = 2000
IMAGE_TITLE_MAX = 2000

BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
BUTTON_ACCESSIBILITY_LABEL_MAX = 75
STYLES = ("primary", "danger")

OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
OPTION_DESCRIPTION_MAX = 75
SELECT_OPTIONS = (1, 100)
OPTION_GROUPS = (1, 100)
OPTION_GROUP_LABEL_MAX = 75
RADIO_OPTIONS = (1, 10)
CHECKBOX_OPTIONS = (1, 10)
OVERFLOW_OPTIONS = (1, 5)

PLACEHOLDER_MAX = 150
PLAIN_TEXT_INPUT_MAX = 3000

CONFIRM_TITLE_MAX = 100
CONFIRM_TEXT_MAX = 300
CONFIRM_BUTTON_MAX = 30

VIEW_TYPES = ("modal", "home")
VIEW_TITLE_MAX = 24
VIEW_BUTTON_MAX = 24
PRIVATE_METADATA_MAX = 3000
CALLBACK_ID_MAX = 255
EXTERNAL_ID_MAX = 255

TEXT_TYPES = ("plain_text", "mrkdwn")
SELECTS = (
    "static_select", "external_select", "users_select", "conversations_select", "channels_select",
)
MULTI_SELECTS = tuple(f"multi_{s}" for s in SELECTS)
PICKERS = ("datepicker", "timepicker", "datetimepicker")
CHOICES = ("radio_buttons", "checkboxes")
TEXT_INPUTS = (
    "plain_text_input", "email_text_input", "url_text_input", "number_input", "rich_text_input",
)
ACTIONS_ELEMENT_TYPES = frozenset(("button", "overflow", *SELECTS, *MULTI_SELECTS, *PICKERS, *CHOICES))
ACCESSORY_ELEMENT_TYPES = ACTIONS_ELEMENT_TYPES | {"image"}
INPUT_ELEMENT_TYPES = frozenset((*SELECTS, *MULTI_SELECTS, *PICKERS, *CHOICES, *TEXT_INPUTS))
RICH_TEXT_ELEMENTS = ("rich_text_section", "rich_text_list", "rich_text_preformatted", "rich_text_quote")

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


# --------------------------------------------------------------------------- helpers
class _Errors:
    """Collects error strings tagged with a JSON pointer."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, problem: str) -> None:
        self.items.append(f"{problem} [json-pointer:{path}]")


def _check_str(errs: _Errors, obj: dict, key: str, path: str, *, max_len: int, required: bool = False) -> None:
    """A string field: non-empty when present (or required), at most max_len chars."""
    if key not in obj or obj[key] is None:
        if required:
            errs.add(f"{path}/{key}", "missing required field")
        return
    value = obj[key]
    if not isinstance(value, str):
        errs.add(f"{path}/{key}", f"must be a string (got {type(value).__name__})")
    elif len(value) > max_len:
        errs.add(f"{path}/{key}", f"must be at most {max_len} characters (got {len(value)})")


def _check_text(errs: _Errors, value: Any, path: str, *, max_len: int, plain_only: bool = False) -> None:
    """A text composition object: {"type": plain_text|mrkdwn, "text": non-empty str}."""
    if not isinstance(value, dict):
        errs.add(path, "must be a text object")
        return
    allowed = ("plain_text",) if plain_only else TEXT_TYPES
    if value.get("type") not in allowed:
        errs.add(f"{path}/type", f"must be one of {list(allowed)} (got {value.get('type')!r})")
    text = value.get("text")
    if not isinstance(text, str):
        errs.add(f"{path}/text", "missing required field (must be a string)")
    elif not text:
        errs.add(f"{path}/text", "must be more than 0 characters")
    elif len(text) > max_len:
        errs.add(f"{path}/text", f"must be at most {max_len} characters (got {len(text)})")


def _check_opt_text(errs: _Errors, obj: dict, key: str, path: str, *, max_len: int,
                    plain_only: bool = True, required: bool = False) -> None:
    """A text object under obj[key] that may be absent unless required."""
    if obj.get(key) is None:
        if required:
            errs.add(f"{path}/{key}", "missing required field")
        return
    _check_text(errs, obj[key], f"{path}/{key}", max_len=max_len, plain_only=plain_only)


def _check_list(errs: _Errors, value: Any, path: str, bounds: tuple[int, int]) -> list:
    """A list whose length lies within bounds; returns it (or [] when not a list)."""
    lo, hi = bounds
    if not isinstance(value, list):
        errs.add(path, "must be an array")
        return []
    if len(value) < lo:
        errs.add(path, f"must have at least {lo} item(s) (got {len(value)})")
    elif len(value) > hi:
        errs.add(path, f"must have at most {hi} items (got {len(value)})")
    return value


def _check_url(errs: _Errors, obj: dict, key: str, path: str, *, required: bool = False) -> None:
    _check_str(errs, obj, key, path, max_len=MAX_URL, required=required)


# --------------------------------------------------------------------------- composition objects
def _check_option(errs: _Errors, option: Any, path: str, *, allow_mrkdwn: bool = False) -> None:
    if not isinstance(option, dict):
        errs.add(path, "must be an option object")
        return
    _check_opt_text(errs, option, "text", path, max_len=OPTION_TEXT_MAX, plain_only=not allow_mrkdwn, required=True)
    _check_str(errs, option, "value", path, max_len=OPTION_VALUE_MAX, required=True)
    _check_opt_text(errs, option, "description", path, max_len=OPTION_DESCRIPTION_MAX, plain_only=not allow_mrkdwn)
    _check_url(errs, option, "url", path)


def _check_options(errs: _Errors, options: Any, path: str, bounds: tuple[int, int], *,
                   allow_mrkdwn: bool = False) -> None:
    for i, option in enumerate(_check_list(errs, options, path, bounds)):
        _check_option(errs, option, f"{path}/{i}", allow_mrkdwn=allow_mrkdwn)


def _check_option_groups(errs: _Errors, groups: Any, path: str) -> None:
    for i, group in enumerate(_check_list(errs, groups, path, OPTION_GROUPS)):
        gpath = f"{path}/{i}"
        if not isinstance(group, dict):
            errs.add(gpath, "must be an option group object")
            continue
        _check_opt_text(errs, group, "label", gpath, max_len=OPTION_GROUP_LABEL_MAX, required=True)
        _check_options(errs, group.get("options"), f"{gpath}/options", SELECT_OPTIONS)


def _check_confirm(errs: _Errors, element: dict, path: str) -> None:
    confirm = element.get("confirm")
    if confirm is None:
        return
    cpath = f"{path}/confirm"
    if not isinstance(confirm, dict):
        errs.add(cpath, "must be a confirmation dialog object")
        return
    _check_opt_text(errs, confirm, "title", cpath, max_len=CONFIRM_TITLE_MAX, required=True)
    _check_opt_text(errs, confirm, "text", cpath, max_len=CONFIRM_TEXT_MAX, plain_only=False, required=True)
    _check_opt_text(errs, confirm, "confirm", cpath, max_len=CONFIRM_BUTTON_MAX, required=True)
    _check_opt_text(errs, confirm, "deny", cpath, max_len=CONFIRM_BUTTON_MAX, required=True)
    _check_style(errs, confirm, cpath)


def _check_style(errs: _Errors, obj: dict, path: str) -> None:
    if "style" in obj and obj["style"] not in STYLES:
        errs.add(f"{path}/style", f"must be one of {list(STYLES)} (got {obj['style']!r})")


def _check_placeholder(errs: _Errors, element: dict, path: str) -> None:
    _check_opt_text(errs, element, "placeholder", path, max_len=PLACEHOLDER_MAX)


# --------------------------------------------------------------------------- elements
def _check_button(errs: _Errors, el: dict, path: str) -> None:
    _check_opt_text(errs, el, "text", path, max_len=BUTTON_TEXT_MAX, required=True)
    _check_str(errs, el, "value", path, max_len=BUTTON_VALUE_MAX)
    _check_url(errs, el, "url", path)
    _check_str(errs, el, "accessibility_label", path, max_len=BUTTON_ACCESSIBILITY_LABEL_MAX)
    _check_style(errs, el, path)
    _check_confirm(errs, el, path)


def _check_overflow(errs: _Errors, el: dict, path: str) -> None:
    _check_options(errs, el.get("options"), f"{path}/options", OVERFLOW_OPTIONS)
    _check_confirm(errs, el, path)


def _check_image_element(errs: _Errors, el: dict, path: str) -> None:
    if "image_url" not in el and "slack_file" not in el:
        errs.add(path, "must provide image_url or slack_file")
    _check_url(errs, el, "image_url", path)
    _check_str(errs, el, "alt_text", path, max_len=IMAGE_ALT_TEXT_MAX, required=True)


def _check_select(errs: _Errors, el: dict, path: str) -> None:
    """Every select / multi-select menu type."""
    kind = el["type"]
    _check_placeholder(errs, el, path)
    _check_confirm(errs, el, path)
    if kind in ("static_select", "multi_static_select"):
        has_options, has_groups = "options" in el, "option_groups" in el
        if has_options == has_groups:
            errs.add(path, "must provide exactly one of options or option_groups")
        if has_options:
            _check_options(errs, el["options"], f"{path}/options", SELECT_OPTIONS)
        if has_groups:
            _check_option_groups(errs, el["option_groups"], f"{path}/option_groups")
    if "min_query_length" in el and not _is_int(el["min_query_length"], minimum=0):
        errs.add(f"{path}/min_query_length", "must be a non-negative integer")
    if "max_selected_items" in el and not _is_int(el["max_selected_items"], minimum=1):
        errs.add(f"{path}/max_selected_items", "must be an integer >= 1")
    if "initial_option" in el:
        _check_option(errs, el["initial_option"], f"{path}/initial_option")
    for i, option in enumerate(el.get("initial_options") or []):
        _check_option(errs, option, f"{path}/initial_options/{i}")


def _check_datepicker(errs: _Errors, el: dict, path: str) -> None:
    _check_placeholder(errs, el, path)
    _check_confirm(errs, el, path)
    if "initial_date" in el and not _DATE_RE.match(str(el["initial_date"])):
        errs.add(f"{path}/initial_date", "must be formatted YYYY-MM-DD")


def _check_timepicker(errs: _Errors, el: dict, path: str) -> None:
    _check_placeholder(errs, el, path)
    _check_confirm(errs, el, path)
    if "initial_time" in el and not _TIME_RE.match(str(el["initial_time"])):
        errs.add(f"{path}/initial_time", "must be formatted HH:mm (24h)")


def _check_datetimepicker(errs: _Errors, el: dict, path: str) -> None:
    _check_confirm(errs, el, path)
    if "initial_date_time" in el and not _is_int(el["initial_date_time"], minimum=0):
        errs.add(f"{path}/initial_date_time", "must be a UNIX timestamp in seconds")


def _check_choices(errs: _Errors, el: dict, path: str) -> None:
    """radio_buttons and checkboxes: option text may be mrkdwn."""
    bounds = RADIO_OPTIONS if el["type"] == "radio_buttons" else CHECKBOX_OPTIONS
    _check_options(errs, el.get("options"), f"{path}/options", bounds, allow_mrkdwn=True)
    _check_confirm(errs, el, path)


def _check_plain_text_input(errs: _Errors, el: dict, path: str) -> None:
    _check_placeholder(errs, el, path)
    _check_str(errs, el, "initial_value", path, max_len=PLAIN_TEXT_INPUT_MAX)
    min_len, max_len = el.get("min_length"), el.get("max_length")
    if min_len is not None and not _is_int(min_len, minimum=0, maximum=PLAIN_TEXT_INPUT_MAX):
        errs.add(f"{path}/min_length", f"must be an integer between 0 and {PLAIN_TEXT_INPUT_MAX}")
    if max_len is not None and not _is_int(max_len, minimum=1, maximum=PLAIN_TEXT_INPUT_MAX):
        errs.add(f"{path}/max_length", f"must be an integer between 1 and {PLAIN_TEXT_INPUT_MAX}")
    if _is_int(min_len) and _is_int(max_len) and min_len > max_len:
        errs.add(f"{path}/min_length", "must not exceed max_length")


def _check_simple_input(errs: _Errors, el: dict, path: str) -> None:
    """email_text_input, url_text_input, rich_text_input."""
    _check_placeholder(errs, el, path)
    if isinstance(el.get("initial_value"), str):
        _check_str(errs, el, "initial_value", path, max_len=PLAIN_TEXT_INPUT_MAX)


def _check_number_input(errs: _Errors, el: dict, path: str) -> None:
    _check_placeholder(errs, el, path)
    if not isinstance(el.get("is_decimal_allowed"), bool):
        errs.add(f"{path}/is_decimal_allowed", "missing required boolean field")
    numbers: dict[str, float] = {}
    for key in ("initial_value", "min_value", "max_value"):
        if key in el:
            try:
                numbers[key] = float(el[key])
            except (TypeError, ValueError):
                errs.add(f"{path}/{key}", "must be a number formatted as a string")
    if "min_value" in numbers and "max_value" in numbers and numbers["min_value"] > numbers["max_value"]:
        errs.add(f"{path}/min_value", "must not exceed max_value")


ELEMENT_CHECKERS: dict[str, Callable[[_Errors, dict, str], None]] = {
    "button": _check_button,
    "overflow": _check_overflow,
    "image": _check_image_element,
    **{kind: _check_select for kind in (*SELECTS, *MULTI_SELECTS)},
    "datepicker": _check_datepicker,
    "timepicker": _check_timepicker,
    "datetimepicker": _check_datetimepicker,
    "radio_buttons": _check_choices,
    "checkboxes": _check_choices,
    "plain_text_input": _check_plain_text_input,
    "email_text_input": _check_simple_input,
    "url_text_input": _check_simple_input,
    "rich_text_input": _check_simple_input,
    "number_input": _check_number_input,
}


def _check_element(errs: _Errors, el: Any, path: str, allowed: frozenset[str]) -> str | None:
    """Validate one block element; returns its action_id (if any) for uniqueness checks."""
    if not isinstance(el, dict):
        errs.add(path, "must be a block element object")
        return None
    kind = el.get("type")
    if kind not in allowed:
        errs.add(f"{path}/type", f"element type {kind!r} is not allowed here (allowed: {sorted(allowed)})")
        return None
    _check_str(errs, el, "action_id", path, max_len=MAX_ACTION_ID)
    ELEMENT_CHECKERS[kind](errs, el, path)
    action_id = el.get("action_id")
    return action_id if isinstance(action_id, str) else None


# --------------------------------------------------------------------------- blocks
def _check_section(errs: _Errors, block: dict, path: str) -> None:
    if block.get("text") is None and block.get("fields") is None:
        errs.add(path, "section must have text or fields")
    _check_opt_text(errs, block, "text", path, max_len=SECTION_TEXT_MAX, plain_only=False)
    if block.get("fields") is not None:
        fields = _check_list(errs, block["fields"], f"{path}/fields", (1, SECTION_FIELDS_MAX))
        for i, field in enumerate(fields):
            _check_text(errs, field, f"{path}/fields/{i}", max_len=SECTION_FIELD_TEXT_MAX)
    if block.get("accessory") is not None:
        _check_element(errs, block["accessory"], f"{path}/accessory", ACCESSORY_ELEMENT_TYPES)


def _check_header(errs: _Errors, block: dict, path: str) -> None:
    _check_opt_text(errs, block, "text", path, max_len=HEADER_TEXT_MAX, required=True)


def _check_divider(errs: _Errors, block: dict, path: str) -> None:
    """Dividers carry nothing but an optional block_id."""


def _check_context(errs: _Errors, block: dict, path: str) -> None:
    elements = _check_list(errs, block.get("elements"), f"{path}/elements", CONTEXT_ELEMENTS)
    for i, el in enumerate(elements):
        epath = f"{path}/elements/{i}"
        if isinstance(el, dict) and el.get("type") == "image":
            _check_image_element(errs, el, epath)
        else:
            _check_text(errs, el, epath, max_len=SECTION_TEXT_MAX)


def _check_actions(errs: _Errors, block: dict, path: str) -> None:
    elements = _check_list(errs, block.get("elements"), f"{path}/elements", ACTIONS_ELEMENTS)
    seen: set[str] = set()
    for i, el in enumerate(elements):
        action_id = _check_element(errs, el, f"{path}/elements/{i}", ACTIONS_ELEMENT_TYPES)
        if action_id is None:
            continue
        if action_id in seen:
            errs.add(f"{path}/elements/{i}/action_id", f"duplicate action_id {action_id!r} in block")
        seen.add(action_id)


def _check_input(errs: _Errors, block: dict, path: str) -> None:
    _check_opt_text(errs, block, "label", path, max_len=INPUT_LABEL_MAX, required=True)
    _check_opt_text(errs, block, "hint", path, max_len=INPUT_HINT_MAX)
    if block.get("element") is None:
        errs.add(f"{path}/element", "missing required field")
    else:
        _check_element(errs, block["element"], f"{path}/element", INPUT_ELEMENT_TYPES)
    for key in ("optional", "dispatch_action"):
        if key in block and not isinstance(block[key], bool):
            errs.add(f"{path}/{key}", "must be a boolean")


def _check_image_block(errs: _Errors, block: dict, path: str) -> None:
    _check_image_element(errs, block, path)
    _check_opt_text(errs, block, "title", path, max_len=IMAGE_TITLE_MAX)


def _check_rich_text(errs: _Errors, block: dict, path: str) -> None:
    elements = _check_list(errs, block.get("elements"), f"{path}/elements", (1, 10_000))
    for i, el in enumerate(elements):
        epath = f"{path}/elements/{i}"
        if not isinstance(el, dict) or el.get("type") not in RICH_TEXT_ELEMENTS:
            errs.add(f"{epath}/type", f"must be one of {list(RICH_TEXT_ELEMENTS)}")
        elif not isinstance(el.get("elements"), list):
            errs.add(f"{epath}/elements", "must be an array")


def _check_file(errs: _Errors, block: dict, path: str) -> None:
    _check_str(errs, block, "external_id", path, max_len=EXTERNAL_ID_MAX, required=True)
    if block.get("source") != "remote":
        errs.add(f"{path}/source", "must be 'remote'")


BLOCK_CHECKERS: dict[str, Callable[[_Errors, dict, str], None]] = {
    "section": _check_section,
    "header": _check_header,
    "divider": _check_divider,
    "context": _check_context,
    "actions": _check_actions,
    "input": _check_input,
    "image": _check_image_block,
    "rich_text": _check_rich_text,
    "file": _check_file,
}


def _check_block(errs: _Errors, block: Any, path: str, surface: str, block_ids: set[str]) -> None:
    if not isinstance(block, dict):
        errs.add(path, "must be a block object")
        return
    kind = block.get("type")
    if kind not in BLOCK_CHECKERS:
        errs.add(f"{path}/type", f"unsupported block type {kind!r}")
        return
    if kind == "input" and surface == "message":
        errs.add(f"{path}/type", "input blocks are only allowed in modals and home tabs")
    if "block_id" in block:
        _check_str(errs, block, "block_id", path, max_len=MAX_BLOCK_ID)
        block_id = block["block_id"]
        if isinstance(block_id, str):
            if block_id in block_ids:
                errs.add(f"{path}/block_id", f"duplicate block_id {block_id!r}")
            block_ids.add(block_id)
    BLOCK_CHECKERS[kind](errs, block, path)


def _validate_blocks(errs: _Errors, blocks: Any, surface: str, root: str) -> None:
    if surface not in MAX_BLOCKS:
        raise ValueError(f"unknown surface {surface!r}; expected one of {sorted(MAX_BLOCKS)}")
    if not isinstance(blocks, list):
        errs.add(root, "must be an array of blocks")
        return
    limit = MAX_BLOCKS[surface]
    if len(blocks) > limit:
        errs.add(root, f"must have at most {limit} blocks in a {surface} (got {len(blocks)})")
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        _check_block(errs, block, f"{root}/{i}", surface, block_ids)


def _is_int(value: Any, *, minimum: int | None = None, maximum: int | None = None) -> bool:
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    return (minimum is None or value >= minimum) and (maximum is None or value <= maximum)


# --------------------------------------------------------------------------- public API
def validate_blocks(blocks: list, surface: str) -> list[str]:
    """Validate a list of blocks for a surface ("message", "modal" or "home")."""
    errs = _Errors()
    _validate_blocks(errs, blocks, surface, "/blocks")
    return errs.items


def validate_view(view: dict) -> list[str]:
    """Validate a modal or home view payload as views.open/push/update/publish would."""
    errs = _Errors()
    if not isinstance(view, dict):
        errs.add("/view", "must be a view object")
        return errs.items
    kind = view.get("type")
    if kind not in VIEW_TYPES:
        errs.add("/view/type", f"must be one of {list(VIEW_TYPES)} (got {kind!r})")
        return errs.items
    if "blocks" not in view:
        errs.add("/view/blocks", "missing required field")
    else:
        _validate_blocks(errs, view["blocks"], kind, "/view/blocks")
    if kind == "modal":
        _check_modal_chrome(errs, view)
    _check_str(errs, view, "private_metadata", "/view", max_len=PRIVATE_METADATA_MAX)
    _check_str(errs, view, "callback_id", "/view", max_len=CALLBACK_ID_MAX)
    _check_str(errs, view, "external_id", "/view", max_len=EXTERNAL_ID_MAX)
    return errs.items


def _check_modal_chrome(errs: _Errors, view: dict) -> None:
    """Title/submit/close of a modal, and the submit requirement for input blocks."""
    _check_opt_text(errs, view, "title", "/view", max_len=VIEW_TITLE_MAX, required=True)
    _check_opt_text(errs, view, "submit", "/view", max_len=VIEW_BUTTON_MAX)
    _check_opt_text(errs, view, "close", "/view", max_len=VIEW_BUTTON_MAX)
    blocks = view.get("blocks") if isinstance(view.get("blocks"), list) else []
    has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
    if has_input and view.get("submit") is None:
        errs.add("/view/submit", "a modal containing input blocks must have a submit button")
