"""delivery: workspace delivery pause, shared Slack pacing

Revision ID: 20261202_rel
Revises: 20261202_match
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models

revision: str = '20261202_rel'
down_revision: str | None = '20261202_match'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('workspaces') as batch:
        batch.add_column(sa.Column('delivery_paused_until', bot.models.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('delivery_error', sa.String(length=200), nullable=True))
    op.create_table('slack_pacing',
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('bucket', sa.String(length=64), nullable=False),
    sa.Column('next_free', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_slack_pacing_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workspace_id', 'bucket', name=op.f('pk_slack_pacing'))
    )


def downgrade() -> None:
    op.drop_table('slack_pacing')
    with op.batch_alter_table('workspaces') as batch:
        batch.drop_column('delivery_error')
        batch.drop_column('delivery_paused_until')
