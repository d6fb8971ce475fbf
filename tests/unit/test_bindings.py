"""The binding table in handlers/__init__.py binds every id the Block Kit builders use."""

from __future__ import annotations

import ast
from pathlib import Path

from bot import ids
from bot.commands import ADMIN_COMMANDS, MEMBER_COMMANDS
from handlers import BINDINGS, bound

BLOCKS = Path(__file__).resolve().parents[2] / "bot" / "blocks"
NEVER_SUBMITTED = {ids.INFO_VIEW}  # a one-line answer with a Close button only
TYPE_AHEAD = {ids.OFFERS[1], ids.WANTS[1]}  # external selects: their options are loaded by action id


def _ids_used_by_builders() -> set[str]:
    """Every `ids.NAME` in bot/blocks whose value is an action id or callback id ("tandem_…")."""
    used = set()
    for path in BLOCKS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "ids":
                value = getattr(ids, node.attr)
                if isinstance(value, str) and value.startswith("tandem_"):
                    used.add(value)
    return used


def test_every_id_the_builders_use_is_bound() -> None:
    used = _ids_used_by_builders()
    assert len(used) > 30  # the scan found the builders' ids at all
    interactive = set(bound("button")) | set(bound("modal_button")) | set(bound("view"))
    assert used - NEVER_SUBMITTED - interactive == set()


def test_every_bound_action_and_view_is_used_by_a_builder() -> None:
    used = _ids_used_by_builders()
    interactive = set(bound("button")) | set(bound("modal_button")) | set(bound("view"))
    assert interactive - used == set()


def test_every_command_verb_and_type_ahead_is_bound() -> None:
    verbs = set(bound("command"))
    assert verbs == (set(MEMBER_COMMANDS) | set(ADMIN_COMMANDS)) - {"help"}
    assert set(bound("options")) == TYPE_AHEAD


def test_each_id_is_bound_once() -> None:
    surface = {"button": "action", "modal_button": "action"}  # both are Bolt action listeners
    pairs = [(surface.get(b.kind, b.kind), b.id) for b in BINDINGS]
    assert len(pairs) == len(set(pairs))
