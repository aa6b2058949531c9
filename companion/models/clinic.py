from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from companion.models.base import created_at_field

DEFAULT_BUSINESS_HOURS: dict[str, list[str]] = {
    day: ["09:00", "17:00"] for day in ("mon", "tue", "wed", "thu", "fri")
}
# How long a clinic keeps its SMS (inbound and outbound) and its audit rows before the purge job
# deletes them (companion/clinics/retention.py); six years for the audit log, as HIPAA asks of
# the records of who did what.
DEFAULT_MESSAGE_RETENTION_DAYS = 730
DEFAULT_AUDIT_RETENTION_DAYS = 2190


class Clinic(SQLModel, table=True):
    __tablename__ = "clinic"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    timezone: str = Field(max_length=64)
    business_hours: dict[str, Any] = Field(
        default_factory=lambda: dict(DEFAULT_BUSINESS_HOURS), sa_column=Column(JSON, nullable=False)
    )
    sms_sender: str | None = Field(default=None, max_length=64)
    message_retention_days: int = Field(
        default=DEFAULT_MESSAGE_RETENTION_DAYS,
        sa_column_kwargs={"server_default": str(DEFAULT_MESSAGE_RETENTION_DAYS)},
    )
    audit_retention_days: int = Field(
        default=DEFAULT_AUDIT_RETENTION_DAYS,
        sa_column_kwargs={"server_default": str(DEFAULT_AUDIT_RETENTION_DAYS)},
    )
    created_at: datetime = created_at_field()
