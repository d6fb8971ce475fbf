"""20261203_shred moves the wrapped data keys out of the database into the key store, and back
on downgrade; text sealed before the move still opens after it (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import MetaData, Table, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import crypto, keystore
from bot.db import make_key_store, make_sessionmaker
from bot.migrate import downgrade, upgrade
from tests.conftest import DATA_KEY, T0

BEFORE = "20261202_trio"


async def _table(engine: AsyncEngine, name: str) -> Table:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: Table(name, MetaData(), autoload_with=c))


async def _columns(engine: AsyncEngine, table: str) -> set[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: {col["name"] for col in inspect(c).get_columns(table)})


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_keys_move_to_the_key_store_and_back(engine: AsyncEngine) -> None:
    await upgrade(engine)
    await downgrade(engine, BEFORE)
    try:
        assert "member_keys" in await _tables(engine) and "data_key_id" not in await _columns(engine, "members")
        ring = crypto.Keyring.fixed(crypto.parse_data_key(DATA_KEY))
        workspaces, members, member_keys = [await _table(engine, n) for n in ("workspaces", "members", "member_keys")]
        data_key = AESGCM.generate_key(bit_length=256)
        async with engine.begin() as conn:
            ws = (await conn.execute(workspaces.insert().values(team_id="TMIG", created_at=T0)
                                     .returning(workspaces.c.id))).scalar_one()
            mid = (await conn.execute(members.insert().values(
                workspace_id=ws, slack_user_id="UMIG", status="active", tz_offset=0, session_format="turns",
                priority=False, created_at=T0, updated_at=T0).returning(members.c.id))).scalar_one()
            wrapped = ring.wrap(mid, data_key)
            await conn.execute(member_keys.insert().values(member_id=mid, wrapped_key=wrapped))
        nonce = secrets.token_bytes(12)
        sealed = crypto.PREFIX + base64.b64encode(
            nonce + AESGCM(data_key).encrypt(nonce, b"old secret", f"member:{mid}".encode())).decode()

        await upgrade(engine)
        assert "member_keys" not in await _tables(engine)
        store = make_key_store(engine.url.render_as_string(hide_password=False))
        assert keystore.key_id_of(wrapped) in await store.key_ids()
        async with make_sessionmaker(engine, DATA_KEY)() as session:
            assert await crypto.unseal(session, mid, sealed) == "old secret"

        await downgrade(engine, BEFORE)
        member_keys = await _table(engine, "member_keys")
        async with engine.connect() as conn:
            assert (await conn.execute(select(member_keys.c.member_id, member_keys.c.wrapped_key))).all() == [
                (mid, wrapped)]

        await upgrade(engine)  # again: the same key id, one row in the store
        async with make_sessionmaker(engine, DATA_KEY)() as session:
            assert await crypto.unseal(session, mid, sealed) == "old secret"
        members = await _table(engine, "members")
        async with engine.connect() as conn:
            assert await conn.scalar(select(members.c.data_key_id).where(members.c.id == mid)) == \
                keystore.key_id_of(wrapped)
    finally:
        await upgrade(engine)
