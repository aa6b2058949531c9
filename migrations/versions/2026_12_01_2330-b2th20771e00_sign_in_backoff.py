"""sign-in backoff per account, address and number

Revision ID: b2th20771e00
Revises: d5c4a5h0f11e
Create Date: 2026-12-01 23:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import companion.db_types


revision: str = 'b2th20771e00'
down_revision: str | None = 'd5c4a5h0f11e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'sign_in_throttle',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('allowed_at', companion.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('updated_at', companion.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('scope', 'key', name='uq_sign_in_throttle_scope_key'),
    )


def downgrade() -> None:
    op.drop_table('sign_in_throttle')
