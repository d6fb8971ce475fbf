"""Tandem's version: the one written in pyproject.toml (CHANGELOG.md says what each one changed)."""

from __future__ import annotations

import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def version() -> str:
    return str(tomllib.loads(PYPROJECT.read_text())["project"]["version"])
