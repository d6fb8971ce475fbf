"""The key store (bot/keystore.py): where it is, keys shared by racing transactions, shredding
that does not wait for the caller's commit."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import crypto, keystore
from bot.db import make_sessionmaker
from bot.models import Member
from tests import factories
from tests.conftest import DATA_KEY


def test_the_key_store_sits_beside_the_database_unless_told() -> None:
    assert keystore.keys_url_for("sqlite:////data/tandem.db") == "sqlite:////data/tandem-keys.db"
    assert keystore.keys_url_for("postgresql://u:pw@db:5432/tandem") == "postgresql://u:pw@db:5432/tandem_keys"
    assert keystore.keys_url_for("postgresql://db/tandem", "postgresql://vault/keys") == "postgresql://vault/keys"
    assert keystore.keys_url_for("sqlite://") == "sqlite://"


async def _member(maker, user_id: str) -> int:  # type: ignore[no-untyped-def]
    async with maker.begin() as session:
        ws = await factories.workspace(session)
        return (await factories.member(session, ws, user_id, offers=["Python"], wants=["Go"])).id


async def test_two_transactions_sealing_a_members_first_text_at_once_share_one_key(engine: AsyncEngine) -> None:
    maker = make_sessionmaker(engine, DATA_KEY)
    mid = await _member(maker, "URACE")
    gate = asyncio.Event()

    async def seal(text: str) -> str:
        async with maker.begin() as session:
            sealed = await crypto.seal(session, mid, text)
            gate.set()
            await asyncio.sleep(0.2)  # hold the transaction open while the other one seals
            return sealed  # type: ignore[return-value]

    async def second() -> str:
        await gate.wait()
        return await seal("second")

    first_text, second_text = await asyncio.gather(seal("first"), second())
    async with maker() as session:
        key_id = await session.scalar(select(Member.data_key_id).where(Member.id == mid))
        assert await crypto.unseal(session, mid, first_text) == "first"
        assert await crypto.unseal(session, mid, second_text) == "second"
        store = crypto.keyring_of(session).store
    assert key_id is not None and await store.get(key_id) is not None


async def test_shredding_takes_effect_even_if_the_forget_me_transaction_rolls_back(engine: AsyncEngine) -> None:
    """The key goes first, in its own commit: a failure later can lose text, never keep a key alive."""
    maker = make_sessionmaker(engine, DATA_KEY)
    mid = await _member(maker, "USHRED")
    async with maker.begin() as session:
        sealed = await crypto.seal(session, mid, "my secret")
        key_id = await session.scalar(select(Member.data_key_id).where(Member.id == mid))
    async with maker() as session:
        await crypto.shred(session, mid)
        await session.rollback()
    async with maker() as session:
        assert await crypto.keyring_of(session).store.get(key_id) is None
        assert await crypto.unseal(session, mid, sealed) is None
