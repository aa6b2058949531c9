from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum

from sqlalchemy import Column, Time, UniqueConstraint
from sqlmodel import Field, SQLModel

from companion.db_types import UTCDateTime
from companion.models.base import created_at_field


class PatientStatus(StrEnum):
    """``Patient.status`` (patients/schemas.py ``PatientStatus`` is the API's spelling of it)."""

    ACTIVE = "active"
    PAUSED = "paused"
    DISCHARGED = "discharged"


class PatientChannel(StrEnum):
    """How a patient is asked to check in (``Patient.channel``; patients/schemas.py ``Channel``)."""

    SMS = "sms"
    APP = "app"
    BOTH = "both"


class SmsConsent(StrEnum):
    """``Patient.sms_consent``: whether texts may be sent to the patient (docs/sms.md, "Consent").

    A new patient is ``pending`` until they reply YES to the welcome: until then nothing routine
    is sent to them, while safety replies and replies to their own messages are."""

    PENDING = "pending"
    OPTED_IN = "opted_in"
    OPTED_OUT = "opted_out"


class Patient(SQLModel, table=True):
    __tablename__ = "patient"
    __table_args__ = (
        UniqueConstraint("clinic_id", "reference", name="uq_patient_clinic_reference"),
        UniqueConstraint("clinic_id", "phone", name="uq_patient_clinic_phone"),
    )

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    reference: str = Field(max_length=32)
    display_name: str = Field(max_length=200)
    phone: str = Field(max_length=20, index=True)
    timezone: str = Field(max_length=64)
    preferred_checkin_time: time = Field(sa_column=Column(Time(), nullable=False))
    quiet_start: time = Field(default=time(21, 0), sa_column=Column(Time(), nullable=False, server_default="21:00:00"))
    quiet_end: time = Field(default=time(8, 0), sa_column=Column(Time(), nullable=False, server_default="08:00:00"))
    channel: str = Field(default=PatientChannel.SMS, max_length=8)
    sms_consent: str = Field(default=SmsConsent.PENDING, max_length=16)
    sms_consent_changed_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    sms_consent_source: str | None = Field(default=None, max_length=32)
    # The welcome asking for YES (not sent to an app-only patient), and the one resend staff may
    # ask for while the patient has not answered it.
    sms_welcome_sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    sms_welcome_resent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    status: str = Field(default=PatientStatus.ACTIVE, max_length=16)
    # Carried in every patient token; a new phone number increments it, ending older tokens.
    token_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = created_at_field()
