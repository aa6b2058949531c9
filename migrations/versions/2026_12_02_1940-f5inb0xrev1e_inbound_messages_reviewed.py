"""inbound messages reviewed: by whom and when, and the clinic's inbox index

Revision ID: f5inb0xrev1e
Revises: c3p7v0ers10n
Create Date: 2026-12-02 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import companion.db_types


revision: str = 'f5inb0xrev1e'
down_revision: str | None = 'c3p7v0ers10n'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('inbound_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reviewed_at', companion.db_types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reviewed_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_inbound_message_reviewed_by', 'staff_member', ['reviewed_by'], ['id'])
        batch_op.create_index('ix_inbound_message_clinic_review', ['clinic_id', 'needs_review', 'received_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inbound_message', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_message_clinic_review')
        batch_op.drop_constraint('fk_inbound_message_reviewed_by', type_='foreignkey')
        batch_op.drop_column('reviewed_by')
        batch_op.drop_column('reviewed_at')
