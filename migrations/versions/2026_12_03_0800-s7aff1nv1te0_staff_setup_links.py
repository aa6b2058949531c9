"""staff set-your-password links: the open link's nonce, kind and expiry

Revision ID: s7aff1nv1te0
Revises: s4f3p1an0001
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import companion.db_types
import sqlmodel.sql.sqltypes


revision: str = 's7aff1nv1te0'
down_revision: str | None = 's4f3p1an0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('staff_member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('setup_nonce', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column('setup_kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True))
        batch_op.add_column(sa.Column('setup_expires_at', companion.db_types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('staff_member', schema=None) as batch_op:
        batch_op.drop_column('setup_expires_at')
        batch_op.drop_column('setup_kind')
        batch_op.drop_column('setup_nonce')
