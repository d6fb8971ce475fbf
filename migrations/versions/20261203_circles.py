"""Circles (issue 15 item 6): programs.grouping ('pairs' | 'circles') and programs.group_size
(3-6, default 4); a pairing's seats may number up to 6 (position 0-5).

Revision ID: 20261203_circles
Revises: 20261203_programs
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261203_circles'
down_revision: str | None = '20261203_programs'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('programs') as batch:
        batch.add_column(sa.Column('grouping', sa.String(length=8), server_default='pairs', nullable=False))
        batch.add_column(sa.Column('group_size', sa.Integer(), server_default='4', nullable=False))
        batch.create_check_constraint(op.f('ck_programs_grouping_allowed'), "grouping IN ('pairs', 'circles')")
        batch.create_check_constraint(op.f('ck_programs_group_size_range'), 'group_size BETWEEN 3 AND 6')
    with op.batch_alter_table('pairing_members') as batch:
        batch.drop_constraint(op.f('ck_pairing_members_position_range'), type_='check')
        batch.create_check_constraint(op.f('ck_pairing_members_position_range'), 'position BETWEEN 0 AND 5')


def downgrade() -> None:
    # Circles' seats beyond a trio's cannot be kept under the old rule: those seats go
    # (the circle's pairing and its sessions stay, with its first three members).
    op.execute("DELETE FROM pairing_members WHERE position > 2")
    with op.batch_alter_table('pairing_members') as batch:
        batch.drop_constraint(op.f('ck_pairing_members_position_range'), type_='check')
        batch.create_check_constraint(op.f('ck_pairing_members_position_range'), 'position BETWEEN 0 AND 2')
    with op.batch_alter_table('programs') as batch:
        batch.drop_constraint(op.f('ck_programs_group_size_range'), type_='check')
        batch.drop_constraint(op.f('ck_programs_grouping_allowed'), type_='check')
        batch.drop_column('group_size')
        batch.drop_column('grouping')
