from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from companion.db_types import UTCDateTime


class SavedBy(StrEnum):
    """``SafetyPlanVersion.saved_by``: who wrote a version of the plan."""

    PATIENT = "patient"
    STAFF = "staff"


class SafetyPlanVersion(SQLModel, table=True):
    """One saved version of a patient's safety plan. Each save is a new row, numbered from 1 for the
    patient; the highest is the current plan. No row is ever changed or deleted (docs/clinical.md,
    "The safety plan")."""

    __tablename__ = "safety_plan_version"
    __table_args__ = (
        UniqueConstraint("patient_id", "version", name="uq_safety_plan_patient_version"),
        UniqueConstraint("patient_id", "client_ref", name="uq_safety_plan_patient_client_ref"),
    )

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    patient_id: int = Field(foreign_key="patient.id")
    version: int
    # The six sections and the reason for living (clinical/safety_plan.py SafetyPlanContent.stored()).
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    saved_by: str = Field(max_length=8)  # a SavedBy
    staff_id: int | None = Field(default=None, foreign_key="staff_member.id")  # when saved by staff
    saved_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # The version the writer's copy began from (None: they began from no plan), as they sent it.
    based_on: int | None = Field(default=None)
    # Made on the patient's device, so a save sent twice (from the offline outbox) is stored once.
    client_ref: str | None = Field(default=None, max_length=64)
