from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from companion.db_types import UTCDateTime
from companion.models.base import created_at_field


class PromptStatus(StrEnum):
    """``Prompt.status``: planned, released (open), then answered, expired or cancelled."""

    PLANNED = "planned"
    OPEN = "open"
    ANSWERED = "answered"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class PromptChannel(StrEnum):
    """Where a released prompt is answered (``Prompt.channel``); the same values as the clinical
    core's ``Channel`` (clinical/instruments/questions.py), which cannot import this package."""

    SMS = "sms"
    APP = "app"


class CheckInStatus(StrEnum):
    """``CheckIn.status``."""

    PARTIAL = "partial"
    COMPLETE = "complete"


class Prompt(SQLModel, table=True):
    """A planned check-in: due at a time, released to the patient, answered or expired.

    One row per patient, instrument and slot, so planning twice never asks twice.
    """

    __tablename__ = "prompt"
    __table_args__ = (
        UniqueConstraint("patient_id", "instrument", "slot", name="uq_prompt_patient_instrument_slot"),
        Index("ix_prompt_status_due", "status", "due_at"),
        Index("ix_prompt_patient_status", "patient_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    patient_id: int = Field(foreign_key="patient.id")
    instrument: str = Field(max_length=16)
    instrument_version: str = Field(max_length=16)
    slot: str = Field(max_length=48)
    session_id: int | None = Field(default=None, foreign_key="treatment_session.id")
    status: str = Field(default=PromptStatus.PLANNED, max_length=16)
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    reminder_due_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    released_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    reminded_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    channel: str | None = Field(default=None, max_length=8)  # a PromptChannel once released
    current_question: str | None = Field(default=None, max_length=32)
    invalid_replies: int = Field(default=0)
    link_nonce: str | None = Field(default=None, max_length=32)
    link_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: datetime = created_at_field()


class CheckIn(SQLModel, table=True):
    """One check-in: the answers to one prompt or one app submission, with its score."""

    __tablename__ = "checkin"
    __table_args__ = (
        UniqueConstraint("patient_id", "client_ref", name="uq_checkin_patient_client_ref"),
        Index("ix_checkin_patient_started", "patient_id", "started_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    patient_id: int = Field(foreign_key="patient.id")
    prompt_id: int | None = Field(default=None, foreign_key="prompt.id", index=True)
    instrument: str = Field(max_length=16)
    instrument_version: str = Field(max_length=16)
    source: str = Field(max_length=8)
    status: str = Field(default=CheckInStatus.PARTIAL, max_length=16)
    client_ref: str | None = Field(default=None, max_length=64)
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    completed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    total: int | None = Field(default=None)
    band: str | None = Field(default=None, max_length=24)
    flags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Answer(SQLModel, table=True):
    """Each answer as it arrived; a later answer to the same question supersedes, never erases."""

    __tablename__ = "checkin_answer"

    id: int | None = Field(default=None, primary_key=True)
    checkin_id: int = Field(foreign_key="checkin.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    question_key: str = Field(max_length=32)
    value: Any = Field(sa_column=Column(JSON, nullable=False))
    source: str = Field(max_length=8)
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # The SMS the answer came in; None once the purge has deleted it (clinics/retention.py).
    inbound_message_id: int | None = Field(default=None, foreign_key="inbound_message.id", index=True)


class PatientLoginCode(SQLModel, table=True):
    """A one-time sign-in code sent by SMS. Also the record the rate limits count."""

    __tablename__ = "patient_login_code"
    __table_args__ = (
        Index("ix_login_code_phone_created", "phone", "created_at"),
        Index("ix_login_code_client_created", "client_address", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=20)
    patient_id: int | None = Field(default=None, foreign_key="patient.id")
    code_hash: str | None = Field(default=None, max_length=128)
    client_address: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    attempts: int = Field(default=0)
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
