from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from companion.db_types import UTCDateTime


class AlertStatus(StrEnum):
    """``Alert.status``."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class AlertSeverity(StrEnum):
    """``Alert.severity``: the severity of the rule that opened it (the clinical core's ``Severity``,
    clinical/permissions.py and clinical/rules/params.py, which cannot import this package)."""

    URGENT = "urgent"
    HIGH = "high"
    ROUTINE = "routine"


class EscalationEndReason(StrEnum):
    """Why an alert's escalation stopped (``Alert.escalation_end_reason``): the clinical core's
    ``StopReason`` (clinical/escalation.py)."""

    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    EXHAUSTED = "exhausted"
    NO_STEPS = "no_steps"


class Alert(SQLModel, table=True):
    """A concerning finding that a person must look at. Its escalation chain and the protocol
    version are snapshotted when it opens, so editing the protocol never changes a running climb."""

    __tablename__ = "alert"
    __table_args__ = (
        Index("ix_alert_status_next_step", "status", "next_step_at"),
        Index("ix_alert_patient_status", "patient_id", "status"),
        Index("ix_alert_clinic_code", "clinic_id", "ack_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    patient_id: int = Field(foreign_key="patient.id")
    kind: str = Field(max_length=24)  # the protocol's chain name, e.g. crisis, medical, same_day, routine
    severity: str = Field(max_length=8)  # an AlertSeverity
    status: str = Field(default=AlertStatus.OPEN, max_length=16)
    ack_code: str = Field(max_length=8)
    protocol_version: str = Field(max_length=64)  # the label of the version
    protocol_version_id: int | None = Field(default=None, foreign_key="protocol_version.id")  # None: the seed file
    chain: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    findings: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    opened_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    pass_no: int | None = Field(default=None)
    step_index: int | None = Field(default=None)
    next_step_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    escalation_ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    escalation_end_reason: str | None = Field(default=None, max_length=16)  # an EscalationEndReason
    safety_reply_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    acknowledged_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    acknowledged_by: int | None = Field(default=None, foreign_key="staff_member.id")
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    resolved_by: int | None = Field(default=None, foreign_key="staff_member.id")
    resolution_note: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))


class AlertPage(SQLModel, table=True):
    """One page of one person for one step of an alert's chain (never two for the same step)."""

    __tablename__ = "alert_page"
    __table_args__ = (
        UniqueConstraint("alert_id", "pass_no", "step_index", "staff_id", name="uq_alert_page_step_staff"),
    )

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alert.id", index=True)
    staff_id: int = Field(foreign_key="staff_member.id", index=True)
    pass_no: int
    step_index: int
    target: str = Field(max_length=64)
    # Indexed for the foreign-key checks of the message purge (clinics/retention.py).
    message_id: int | None = Field(default=None, foreign_key="outbound_message.id", index=True)  # the SMS page
    call_message_id: int | None = Field(default=None, foreign_key="outbound_message.id", index=True)  # the voice page
    paged_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
