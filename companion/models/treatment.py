from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from companion.db_types import UTCDateTime
from companion.models.base import created_at_field


class TreatmentModality(StrEnum):
    """How a treatment session's ketamine was given (``TreatmentSession.modality``;
    treatments/schemas.py ``Modality`` is the API's spelling of it)."""

    IV = "iv"
    INTRANASAL = "intranasal"
    ORAL = "oral"
    SUBLINGUAL = "sublingual"
    INTRAMUSCULAR = "intramuscular"


class TreatmentSession(SQLModel, table=True):
    __tablename__ = "treatment_session"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    modality: str = Field(max_length=16)  # a TreatmentModality
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    dose_mg: float | None = Field(default=None)
    location: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))
    recorded_by: int | None = Field(default=None, foreign_key="staff_member.id")
    cancelled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: datetime = created_at_field()
