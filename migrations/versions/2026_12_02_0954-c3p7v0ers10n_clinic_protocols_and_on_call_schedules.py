"""clinic protocols and on-call schedules

Revision ID: c3p7v0ers10n
Revises: b2th20771e00
Create Date: 2026-12-02 09:54:29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import companion.db_types


revision: str = 'c3p7v0ers10n'
down_revision: str | None = 'b2th20771e00'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('oncall_position',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('rotation', sa.JSON(), nullable=False),
    sa.Column('handoff', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('updated_at', companion.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('clinic_id', 'name', name='uq_oncall_position_clinic_name')
    )
    with op.batch_alter_table('oncall_position', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oncall_position_clinic_id'), ['clinic_id'], unique=False)

    op.create_table('oncall_override',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', companion.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', companion.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created_at', companion.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['staff_member.id'], ),
    sa.ForeignKeyConstraint(['position_id'], ['oncall_position.id'], ),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_member.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('oncall_override', schema=None) as batch_op:
        batch_op.create_index('ix_oncall_override_position_ends', ['position_id', 'ends_at'], unique=False)

    op.create_table('protocol_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', companion.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['staff_member.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('clinic_id', 'number', name='uq_protocol_version_clinic_number')
    )
    with op.batch_alter_table('protocol_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_protocol_version_clinic_id'), ['clinic_id'], unique=False)

    op.create_table('active_protocol',
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('activated_at', companion.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('activated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['activated_by'], ['staff_member.id'], ),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ),
    sa.ForeignKeyConstraint(['version_id'], ['protocol_version.id'], ),
    sa.PrimaryKeyConstraint('clinic_id')
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.add_column(sa.Column('protocol_version_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_alert_protocol_version_id', 'protocol_version', ['protocol_version_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_constraint('fk_alert_protocol_version_id', type_='foreignkey')
        batch_op.drop_column('protocol_version_id')

    op.drop_table('active_protocol')
    with op.batch_alter_table('protocol_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_protocol_version_clinic_id'))

    op.drop_table('protocol_version')
    with op.batch_alter_table('oncall_override', schema=None) as batch_op:
        batch_op.drop_index('ix_oncall_override_position_ends')

    op.drop_table('oncall_override')
    with op.batch_alter_table('oncall_position', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oncall_position_clinic_id'))

    op.drop_table('oncall_position')
