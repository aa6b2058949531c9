"""web push subscriptions and the push outbox

Revision ID: w3bpush0sub1
Revises: s7aff1nv1te0
Create Date: 2026-12-03 07:59:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import companion.db_types


revision: str = 'w3bpush0sub1'
down_revision: str | None = 's7aff1nv1te0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('push_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('endpoint', sa.String(length=1024), nullable=False),
    sa.Column('p256dh', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('auth', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', companion.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_success_at', companion.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
    sa.Column('expired_at', companion.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('endpoint', name='uq_push_subscription_endpoint')
    )
    with op.batch_alter_table('push_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_subscription_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index('ix_push_subscription_patient_active', ['patient_id', 'expired_at'], unique=False)

    op.create_table('push_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('group_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('dedupe_key', sqlmodel.sql.sqltypes.AutoString(length=96), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('tag', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('fallback_body', sa.Text(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('due_at', companion.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', companion.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_at', companion.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', companion.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status_at', companion.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('error_detail', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('fallback_message_id', sa.Integer(), nullable=True),
    sa.Column('created_at', companion.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], ),
    sa.ForeignKeyConstraint(['fallback_message_id'], ['outbound_message.id'], ),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], ),
    sa.ForeignKeyConstraint(['subscription_id'], ['push_subscription.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key', name='uq_push_message_dedupe_key')
    )
    with op.batch_alter_table('push_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_message_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index('ix_push_message_due', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_push_message_group', ['group_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_push_message_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_push_message_subscription_id'), ['subscription_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('push_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_message_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_push_message_patient_id'))
        batch_op.drop_index('ix_push_message_group')
        batch_op.drop_index('ix_push_message_due')
        batch_op.drop_index(batch_op.f('ix_push_message_clinic_id'))

    op.drop_table('push_message')
    with op.batch_alter_table('push_subscription', schema=None) as batch_op:
        batch_op.drop_index('ix_push_subscription_patient_active')
        batch_op.drop_index(batch_op.f('ix_push_subscription_clinic_id'))

    op.drop_table('push_subscription')
