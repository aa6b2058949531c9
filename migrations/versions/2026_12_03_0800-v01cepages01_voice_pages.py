"""voice pages: an outbox row's channel (sms or voice) and a page's call

Revision ID: v01cepages01
Revises: f5inb0xrev1e
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'v01cepages01'
down_revision: str | None = 'f5inb0xrev1e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        # Every row stored before is a text.
        batch_op.add_column(sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False,
                                      server_default='sms'))
    with op.batch_alter_table('alert_page', schema=None) as batch_op:
        batch_op.add_column(sa.Column('call_message_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_alert_page_call_message_id', 'outbound_message', ['call_message_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('alert_page', schema=None) as batch_op:
        batch_op.drop_constraint('fk_alert_page_call_message_id', type_='foreignkey')
        batch_op.drop_column('call_message_id')
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.drop_column('channel')
