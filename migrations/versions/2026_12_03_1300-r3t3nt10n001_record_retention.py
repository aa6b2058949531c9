"""each clinic's retention periods for its messages and audit rows; the indexes the purge needs

``message_retention_days`` and ``audit_retention_days`` on ``clinic`` (existing clinics get the
defaults: two years of messages, six years of audit rows). The purge job reads old rows by clinic
and age, so ``(clinic_id, created_at)`` on the outbox, ``(clinic_id, received_at)`` on inbound
messages and ``(clinic_id, at)`` on audit rows; and the columns that refer to a message get an
index, so deleting one does not scan the tables that may point at it.

Revision ID: r3t3nt10n001
Revises: e7w3lc0me5ms
Create Date: 2026-12-03 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'r3t3nt10n001'
down_revision: str | None = 'e7w3lc0me5ms'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('clinic', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_retention_days', sa.Integer(), nullable=False, server_default='730'))
        batch_op.add_column(sa.Column('audit_retention_days', sa.Integer(), nullable=False, server_default='2190'))
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbound_message_clinic_created', ['clinic_id', 'created_at'], unique=False)
        batch_op.create_index('ix_outbound_message_retry_of', ['retry_of'], unique=False)
    with op.batch_alter_table('inbound_message', schema=None) as batch_op:
        batch_op.create_index('ix_inbound_message_clinic_received', ['clinic_id', 'received_at'], unique=False)
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_clinic_at', ['clinic_id', 'at'], unique=False)
    with op.batch_alter_table('alert_page', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_page_message_id'), ['message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_page_call_message_id'), ['call_message_id'], unique=False)
    with op.batch_alter_table('push_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_message_fallback_message_id'), ['fallback_message_id'],
                              unique=False)
    with op.batch_alter_table('checkin_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_answer_inbound_message_id'), ['inbound_message_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('checkin_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_answer_inbound_message_id'))
    with op.batch_alter_table('push_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_message_fallback_message_id'))
    with op.batch_alter_table('alert_page', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_page_call_message_id'))
        batch_op.drop_index(batch_op.f('ix_alert_page_message_id'))
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_clinic_at')
    with op.batch_alter_table('inbound_message', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_message_clinic_received')
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbound_message_retry_of')
        batch_op.drop_index('ix_outbound_message_clinic_created')
    with op.batch_alter_table('clinic', schema=None) as batch_op:
        batch_op.drop_column('audit_retention_days')
        batch_op.drop_column('message_retention_days')
