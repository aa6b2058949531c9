"""dispatcher identity: who holds an outbox row, and which dispatchers are alive

Revision ID: d5c4a5h0f11e
Revises: a1k3y5t0ken0
Create Date: 2026-12-01 23:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import companion.db_types


revision: str = 'd5c4a5h0f11e'
down_revision: str | None = 'a1k3y5t0ken0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'worker_process',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('started_at', companion.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('beat_at', companion.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('worker_process', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_worker_process_beat_at'), ['beat_at'], unique=False)
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbound_message_claimed_by'), ['claimed_by'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbound_message_claimed_by'))
        batch_op.drop_column('claimed_by')
    with op.batch_alter_table('worker_process', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worker_process_beat_at'))
    op.drop_table('worker_process')
