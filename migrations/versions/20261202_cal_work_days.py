"""members.work_days: the weekdays a person works (issue 12)

Revision ID: 20261202_cal
Revises: 20261202_rel
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261202_cal'
down_revision: str | None = '20261202_rel'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('members') as batch_op:
        batch_op.add_column(sa.Column('work_days', sa.String(length=16), server_default='0,1,2,3,4', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('members') as batch_op:
        batch_op.drop_column('work_days')
