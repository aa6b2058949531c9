"""safety plan versions: each save of a patient's safety plan, by whom and when

Revision ID: s4f3p1an0001
Revises: v01cepages01
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import companion.db_types


revision: str = 's4f3p1an0001'
down_revision: str | None = 'v01cepages01'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('safety_plan_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('saved_by', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('saved_at', companion.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('based_on', sa.Integer(), nullable=True),
    sa.Column('client_ref', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], ),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_member.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('patient_id', 'client_ref', name='uq_safety_plan_patient_client_ref'),
    sa.UniqueConstraint('patient_id', 'version', name='uq_safety_plan_patient_version')
    )
    with op.batch_alter_table('safety_plan_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safety_plan_version_clinic_id'), ['clinic_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('safety_plan_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safety_plan_version_clinic_id'))
    op.drop_table('safety_plan_version')
