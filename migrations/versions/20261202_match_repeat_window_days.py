"""programs.repeat_window_days: nobody a member was paired with in the last D days

Revision ID: 20261202_match
Revises: 20261202_priv
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261202_match'
down_revision: str | None = '20261202_priv'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('programs') as batch:
        batch.add_column(sa.Column('repeat_window_days', sa.Integer(), server_default='180', nullable=False))
        batch.create_check_constraint(op.f('ck_programs_repeat_days_range'), 'repeat_window_days BETWEEN 0 AND 730')


def downgrade() -> None:
    with op.batch_alter_table('programs') as batch:
        batch.drop_constraint(op.f('ck_programs_repeat_days_range'), type_='check')
        batch.drop_column('repeat_window_days')
