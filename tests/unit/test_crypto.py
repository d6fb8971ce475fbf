"""bot/crypto.py and TANDEM_DATA_KEY: the key file is made once, PostgreSQL needs the key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings, require_data_key
from bot.crypto import Keyring, load_or_create_key_file, new_data_key_text, open_with, parse_data_key


def test_the_sqlite_key_file_is_generated_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "tandem-data.key"
    first = load_or_create_key_file(path)
    assert load_or_create_key_file(path) == first and len(first) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_postgresql_needs_a_data_key_and_sqlite_does_not() -> None:
    with pytest.raises(ConfigError, match="TANDEM_DATA_KEY"):
        require_data_key(load_settings(require_slack=False, DATABASE_URL="postgresql://u@h/db"))
    require_data_key(load_settings(require_slack=False, DATABASE_URL="postgresql://u@h/db",
                                   TANDEM_DATA_KEY=new_data_key_text()))
    require_data_key(load_settings(require_slack=False, DATABASE_URL="sqlite:///x/tandem.db"))
    with pytest.raises(ConfigError, match="TANDEM_DATA_KEY"):
        load_settings(require_slack=False, TANDEM_DATA_KEY="too-short")


def test_block_hash_is_keyed_and_wrapping_is_bound_to_the_member() -> None:
    a, b = Keyring.fixed(parse_data_key(new_data_key_text())), Keyring.fixed(parse_data_key(new_data_key_text()))
    assert a.block_hash("U1") == a.block_hash("U1") != b.block_hash("U1")
    wrapped = a.wrap(7, b"k" * 32)
    assert a.unwrap(7, wrapped) == b"k" * 32
    assert a.unwrap(8, wrapped) is None and b.unwrap(7, wrapped) is None
    assert open_with(None, 7, "enc1:AAAA") is None and open_with(None, 7, "plain") == "plain"
