from __future__ import annotations

from datetime import datetime, time
from typing import Literal

from pydantic import Field

from companion.schemas import LocalTime, Phone, ReadModel, RequestModel, TimeZoneName

Channel = Literal["sms", "app", "both"]
PatientStatus = Literal["active", "paused", "discharged"]
Reference = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*$")


class PatientCreate(RequestModel):
    reference: str = Reference
    display_name: str = Field(min_length=1, max_length=200)
    phone: Phone
    timezone: TimeZoneName
    preferred_checkin_time: LocalTime = time(10, 0)
    channel: Channel = "sms"


class PatientUpdate(RequestModel):
    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    phone: Phone | None = None
    timezone: TimeZoneName | None = None
    preferred_checkin_time: LocalTime | None = None
    channel: Channel | None = None
    status: Literal["active", "paused"] | None = None


class PatientRead(ReadModel):
    id: int
    clinic_id: int
    reference: str
    display_name: str
    phone: str
    timezone: str
    preferred_checkin_time: time
    channel: str
    sms_consent: str
    sms_consent_changed_at: datetime | None
    sms_consent_source: str | None
    sms_welcome_sent_at: datetime | None
    sms_welcome_resent_at: datetime | None
    status: str
    created_at: datetime


class MoodPoint(ReadModel):
    at: datetime
    value: int


class LatestScore(ReadModel):
    total: int
    band: str | None
    at: datetime


class PatientOverview(ReadModel):
    """One row of the dashboard's patient list: the latest scores, the mood trend and what needs attention."""

    id: int
    reference: str
    display_name: str
    status: str
    sms_consent: str
    channel: str
    latest_mood: MoodPoint | None
    mood_trend: list[MoodPoint]
    mood_baseline: float | None
    phq9: LatestScore | None
    gad7: LatestScore | None
    missed_checkins: int
    missed_in_a_row: int
    open_alerts: int
    highest_open_severity: str | None
    # False: no text (no consent) and no push (no device with notifications on) reaches the patient;
    # prompts and reminders wait in the app, and unanswered ones show as missed (docs/push.md).
    reached_outside_app: bool = True


class PatientOverviewPage(ReadModel):
    items: list[PatientOverview]
    total: int
    limit: int
    offset: int
    clinic_timezone: str
