"""token versions: a change that must end sessions increments them

Revision ID: a1k3y5t0ken0
Revises: 7cc8c7d6e716
Create Date: 2026-12-01 23:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'a1k3y5t0ken0'
down_revision: str | None = '7cc8c7d6e716'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows start at 0, the version that tokens issued before this revision carry (none
    # named, read as 0), so nobody is signed out by the upgrade itself.
    with op.batch_alter_table('staff_member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_version', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_version', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.drop_column('token_version')
    with op.batch_alter_table('staff_member', schema=None) as batch_op:
        batch_op.drop_column('token_version')
