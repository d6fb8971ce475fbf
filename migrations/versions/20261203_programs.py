"""Several programs per workspace (issue 15): programs.workspace_id is no longer unique
(one program per channel instead), programs get a name, admins, a pairing cap and a
heads-up lead time; program_members holds each person's opt-in per program;
agenda_items holds the messages members bring to a coming session (a shortcut).

Data: every existing program stays (it becomes its workspace's first program, named
"Peer mentoring"); every member who ever joined gets a membership of it with their
status (deactivated and forgotten people count as left), pause, priority and dates, so
every row is kept. Downgrade refuses while a workspace has several programs (the old
schema cannot hold them); otherwise the members' own status columns, which the app keeps
as the summary of their memberships, carry the state back.

Revision ID: 20261203_programs
Revises: 20261203_oauth
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261203_programs'
down_revision: str | None = '20261203_oauth'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('programs') as batch:
        batch.add_column(sa.Column('name', sa.String(length=80), server_default='Peer mentoring', nullable=False))
        batch.add_column(sa.Column('admin_user_ids', sa.JSON(), server_default='[]', nullable=False))
        batch.add_column(sa.Column('pairing_cap', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('headsup_hours', sa.Integer(), server_default='24', nullable=False))
        batch.create_check_constraint(op.f('ck_programs_headsup_hours_range'), 'headsup_hours BETWEEN 0 AND 168')
        batch.create_check_constraint(op.f('ck_programs_pairing_cap_range'),
                                      'pairing_cap IS NULL OR pairing_cap BETWEEN 1 AND 10')
        batch.drop_constraint(op.f('uq_programs_workspace_id'), type_='unique')
        batch.create_unique_constraint(op.f('uq_programs_workspace_id_channel_id'), ['workspace_id', 'channel_id'])
        batch.create_index(op.f('ix_programs_workspace_id'), ['workspace_id'], unique=False)
    op.create_table(
        'program_members',
        sa.Column('program_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('paused_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('priority', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('skip_round_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active', 'paused', 'left')", name=op.f('ck_program_members_status_allowed')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_program_members_member_id_members'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_program_members_program_id_programs'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('program_id', 'member_id', name=op.f('pk_program_members')),
    )
    op.create_index(op.f('ix_program_members_member_id'), 'program_members', ['member_id'], unique=False)
    op.create_table(
        'agenda_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('permalink', sa.String(length=500), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_agenda_items_member_id_members'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_agenda_items_session_id_sessions'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_items')),
    )
    op.create_index(op.f('ix_agenda_items_session_id'), 'agenda_items', ['session_id'], unique=False)
    # Every member who ever joined belongs to their workspace's (single) program.
    op.execute(
        "INSERT INTO program_members (program_id, member_id, status, paused_until, priority, joined_at, left_at, "
        "updated_at) "
        "SELECT p.id, m.id, "
        "CASE m.status WHEN 'active' THEN 'active' WHEN 'paused' THEN 'paused' ELSE 'left' END, "
        "CASE m.status WHEN 'paused' THEN m.paused_until ELSE NULL END, m.priority, "
        "COALESCE(m.joined_at, m.created_at), "
        "CASE WHEN m.status IN ('active', 'paused') THEN NULL ELSE COALESCE(m.left_at, m.updated_at) END, "
        "m.updated_at "
        "FROM members m JOIN programs p ON p.workspace_id = m.workspace_id "
        "WHERE m.status <> 'invited'"
    )


def downgrade() -> None:
    several = op.get_bind().execute(sa.text(
        "SELECT workspace_id FROM programs GROUP BY workspace_id HAVING COUNT(*) > 1"
    )).first()
    if several is not None:
        raise RuntimeError(
            "cannot downgrade below 20261203_programs: a workspace runs several programs, and the older "
            "schema holds one per workspace. Remove the extra programs first."
        )
    op.drop_index(op.f('ix_agenda_items_session_id'), table_name='agenda_items')
    op.drop_table('agenda_items')
    op.drop_index(op.f('ix_program_members_member_id'), table_name='program_members')
    op.drop_table('program_members')
    with op.batch_alter_table('programs') as batch:
        batch.drop_index(op.f('ix_programs_workspace_id'))
        batch.drop_constraint(op.f('uq_programs_workspace_id_channel_id'), type_='unique')
        batch.create_unique_constraint(op.f('uq_programs_workspace_id'), ['workspace_id'])
        batch.drop_constraint(op.f('ck_programs_pairing_cap_range'), type_='check')
        batch.drop_constraint(op.f('ck_programs_headsup_hours_range'), type_='check')
        batch.drop_column('headsup_hours')
        batch.drop_column('pairing_cap')
        batch.drop_column('admin_user_ids')
        batch.drop_column('name')
