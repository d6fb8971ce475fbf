"""pairing_members.left_at (a trio goes on without a leaver), members.account_type and
programs.allow_multi_channel_guests (guests, external people and bots; issue 11)

Revision ID: 20261202_trio
Revises: 20261202_cal
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261202_trio'
down_revision: str | None = '20261202_cal'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACCOUNT_TYPES = "account_type IN ('full', 'multi_channel_guest', 'single_channel_guest', 'external', 'bot')"


def upgrade() -> None:
    with op.batch_alter_table('pairing_members') as batch:
        batch.add_column(sa.Column('left_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('members') as batch:
        batch.add_column(sa.Column('account_type', sa.String(length=24), server_default='full', nullable=False))
        batch.create_check_constraint(op.f('ck_members_account_type_allowed'), ACCOUNT_TYPES)
    with op.batch_alter_table('programs') as batch:
        batch.add_column(sa.Column('allow_multi_channel_guests', sa.Boolean(), server_default=sa.false(),
                                   nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('programs') as batch:
        batch.drop_column('allow_multi_channel_guests')
    with op.batch_alter_table('members') as batch:
        batch.drop_constraint(op.f('ck_members_account_type_allowed'), type_='check')
        batch.drop_column('account_type')
    with op.batch_alter_table('pairing_members') as batch:
        batch.drop_column('left_at')
