from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from companion.clock import utcnow
from companion.db_types import UTCDateTime


class AuditEvent(SQLModel, table=True):
    """Who did what to which record, and when. The detail never holds PHI."""

    __tablename__ = "audit_event"
    # The purge's range (clinics/retention.py).
    __table_args__ = (Index("ix_audit_event_clinic_at", "clinic_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int | None = Field(default=None, foreign_key="clinic.id", index=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64, index=True)
    subject: str = Field(max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
