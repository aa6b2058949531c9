"""sms consent pending until the patient replies YES to the welcome; the one resend of the welcome

A new patient's ``sms_consent`` is ``pending`` (a string column: nothing to alter); existing
patients stay as they are. ``sms_welcome_sent_at`` records when the welcome was sent and ``sms_welcome_resent_at`` the
one resend staff may ask for.
Downgrading turns a pending patient into ``opted_out`` (the earlier code knows no pending; opted
out is the state in which it sends nothing routine and a YES or START opts the patient in).

Revision ID: e7w3lc0me5ms
Revises: w3bpush0sub1
Create Date: 2026-12-03 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import companion.db_types


revision: str = 'e7w3lc0me5ms'
down_revision: str | None = 'w3bpush0sub1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_welcome_sent_at', companion.db_types.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('sms_welcome_resent_at', companion.db_types.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    op.execute(
        "UPDATE patient SET sms_consent = 'opted_out', sms_consent_source = 'downgrade:pending' "
        "WHERE sms_consent = 'pending'"
    )
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.drop_column('sms_welcome_resent_at')
        batch_op.drop_column('sms_welcome_sent_at')
