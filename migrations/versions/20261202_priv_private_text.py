"""private text: member data keys, hashed blocks, wider sealed columns, k >= 3, retention

Revision ID: 20261202_priv
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261202_priv'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WIDENED = (
    ('goals', 'what', 300, False), ('goals', 'measure', 300, True), ('goals', 'why', 300, True),
    ('feedback', 'takeaway', 1000, True), ('feedback', 'experiment', 1000, True),
    ('pairing_members', 'retro_learned', 1000, True),
)


def upgrade() -> None:
    op.create_table(
        'member_keys',
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('wrapped_key', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_keys_member_id_members'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('member_id', name=op.f('pk_member_keys')),
    )
    with op.batch_alter_table('member_blocks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blocked_hash', sa.String(length=80), nullable=True))
    op.execute("UPDATE member_blocks SET blocked_hash = 'legacy:' || blocked_user_id")
    with op.batch_alter_table('member_blocks', schema=None, recreate='always') as batch_op:
        batch_op.drop_constraint('pk_member_blocks', type_='primary')
        batch_op.alter_column('blocked_hash', existing_type=sa.String(length=80), nullable=False)
        batch_op.alter_column('blocked_user_id', existing_type=sa.String(length=64), nullable=True)
        batch_op.create_primary_key('pk_member_blocks', ['member_id', 'blocked_hash'])
    for table, column, length, nullable in _WIDENED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.String(length=length), type_=sa.Text(),
                                  existing_nullable=nullable)
    op.execute("UPDATE programs SET min_group_size = 3 WHERE min_group_size < 3")
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('private_text_retention_days', sa.Integer(), server_default='365',
                                      nullable=False))
        batch_op.drop_constraint(op.f('ck_programs_min_group_range'), type_='check')
        batch_op.create_check_constraint(op.f('ck_programs_min_group_range'), 'min_group_size BETWEEN 3 AND 100')
        batch_op.create_check_constraint(op.f('ck_programs_retention_range'),
                                         'private_text_retention_days BETWEEN 1 AND 3650')


def downgrade() -> None:
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_programs_retention_range'), type_='check')
        batch_op.drop_constraint(op.f('ck_programs_min_group_range'), type_='check')
        batch_op.create_check_constraint(op.f('ck_programs_min_group_range'), 'min_group_size BETWEEN 1 AND 100')
        batch_op.drop_column('private_text_retention_days')
    for table, column, length, nullable in _WIDENED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.Text(), type_=sa.String(length=length),
                                  existing_nullable=nullable)
    # Hashed blocks whose user id was cleared (a forgotten person) cannot go back.
    op.execute("DELETE FROM member_blocks WHERE blocked_user_id IS NULL")
    with op.batch_alter_table('member_blocks', schema=None, recreate='always') as batch_op:
        batch_op.drop_constraint('pk_member_blocks', type_='primary')
        batch_op.alter_column('blocked_user_id', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_primary_key('pk_member_blocks', ['member_id', 'blocked_user_id'])
        batch_op.drop_column('blocked_hash')
    op.drop_table('member_keys')
