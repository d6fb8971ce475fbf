"""members' data keys move out of the database into the key store (crypto-shredding that holds for backups)

`member_keys` rows are copied into the key store (`bot/keystore.py`: `data_keys`,
a separate database), each member row keeps only the key's id
(`members.data_key_id`), and `member_keys` is dropped. Downgrade copies the keys back
into `member_keys`; the key-store rows stay (ids are hashes of the wrapped keys, so
upgrading again makes no duplicates). Offline (`--sql`) mode emits the schema
change only: keys cannot be copied there.

Revision ID: 20261203_shred
Revises: 20261202_trio
Create Date: 2026-12-03
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.pool import NullPool

revision: str = '20261203_shred'
down_revision: str | None = '20261202_trio'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The key store's table as this revision knows it (bot/keystore.py defines the live one).
_store_metadata = sa.MetaData()
_data_keys = sa.Table(
    'data_keys', _store_metadata,
    sa.Column('key_id', sa.String(64), primary_key=True),
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=False),
)
_member_keys = sa.table('member_keys', sa.column('member_id', sa.Integer()),
                        sa.column('wrapped_key', sa.LargeBinary()))
_members = sa.table('members', sa.column('id', sa.Integer()), sa.column('data_key_id', sa.String(64)))


def _store() -> sa.Engine:
    url = context.config.attributes.get('keys_url')
    if not url:
        raise RuntimeError("the key store's URL is missing (migrate with `app.py migrate` or bot.migrate)")
    # A sync engine over the async driver: migrations run inside SQLAlchemy's greenlet.
    engine = sa.create_engine(url, poolclass=NullPool)
    _store_metadata.create_all(engine)
    return engine


def upgrade() -> None:
    op.add_column('members', sa.Column('data_key_id', sa.String(length=64), nullable=True))
    if not context.is_offline_mode():
        bind = op.get_bind()
        rows = bind.execute(sa.select(_member_keys.c.member_id, _member_keys.c.wrapped_key)).all()
        if rows:
            store = _store()
            try:
                with store.begin() as conn:
                    have = set(conn.scalars(sa.select(_data_keys.c.key_id)))
                    for member_id, wrapped in rows:
                        key_id = hashlib.sha256(bytes(wrapped)).hexdigest()[:32]
                        if key_id not in have:
                            conn.execute(_data_keys.insert().values(key_id=key_id, wrapped_key=bytes(wrapped)))
                            have.add(key_id)
                        bind.execute(_members.update().where(_members.c.id == member_id).values(data_key_id=key_id))
            finally:
                store.dispose()
    op.drop_table('member_keys')


def downgrade() -> None:
    op.create_table(
        'member_keys',
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('wrapped_key', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_keys_member_id_members'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('member_id', name=op.f('pk_member_keys')),
    )
    if not context.is_offline_mode():
        bind = op.get_bind()
        rows = bind.execute(sa.select(_members.c.id, _members.c.data_key_id)
                            .where(_members.c.data_key_id.is_not(None))).all()
        if rows:
            store = _store()
            try:
                with store.connect() as conn:
                    keys = dict(conn.execute(sa.select(_data_keys.c.key_id, _data_keys.c.wrapped_key)
                                             .where(_data_keys.c.key_id.in_([k for _, k in rows]))).all())
            finally:
                store.dispose()
            for member_id, key_id in rows:
                if key_id in keys:
                    bind.execute(_member_keys.insert().values(member_id=member_id, wrapped_key=bytes(keys[key_id])))
    # A plain ALTER TABLE … DROP COLUMN (SQLite 3.35+), not batch mode: recreating `members`
    # on SQLite would drop the table, and its ON DELETE CASCADE would empty every table that
    # refers to members (member_keys, just filled, among them).
    op.drop_column('members', 'data_key_id')
