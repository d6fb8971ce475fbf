"""scheduled jobs that fail back off and are reported once: job_failures

Revision ID: 20261204_jobs
Revises: 20261203_circles
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models

revision: str = '20261204_jobs'
down_revision: str | None = '20261203_circles'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('job_failures',
    sa.Column('job', sa.String(length=64), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('first_failed_at', bot.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('retry_at', bot.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('error', sa.String(length=80), nullable=False),
    sa.Column('reported_at', bot.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_job_failures_program_id_programs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job', 'program_id', name=op.f('pk_job_failures'))
    )


def downgrade() -> None:
    op.drop_table('job_failures')
