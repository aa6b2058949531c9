from __future__ import annotations

from datetime import datetime, time
from typing import Any

from pydantic import Field, field_validator

from companion.schemas import AwareDatetime, ReadModel, RequestModel, RowId, TimeZoneName

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def check_business_hours(value: dict[str, Any]) -> dict[str, list[str]]:
    """``{"mon": ["09:00", "17:00"], ...}``; a day left out is closed."""
    checked: dict[str, list[str]] = {}
    for day, span in value.items():
        if day not in DAYS:
            raise ValueError(f"unknown day {day!r}; use {', '.join(DAYS)}")
        if not isinstance(span, list) or len(span) != 2:
            raise ValueError(f"{day}: give [opening, closing] as two HH:MM times")
        try:
            opens, closes = (time.fromisoformat(str(t)) for t in span)
        except ValueError as exc:
            raise ValueError(f"{day}: times must be HH:MM") from exc
        if closes <= opens:
            raise ValueError(f"{day}: closing time must be after opening time")
        checked[day] = [opens.strftime("%H:%M"), closes.strftime("%H:%M")]
    return checked


class ClinicCreate(RequestModel):
    name: str = Field(min_length=1, max_length=200)
    timezone: TimeZoneName
    business_hours: dict[str, list[str]] | None = None
    sms_sender: str | None = Field(default=None, max_length=64)

    _hours = field_validator("business_hours")(lambda v: None if v is None else check_business_hours(v))


# The bounds of a clinic's retention periods (companion/clinics/retention.py): messages are kept at
# least a month (a conversation is read back for weeks), audit rows at least a year; ten years at most.
MESSAGE_RETENTION_DAYS = (30, 3650)
AUDIT_RETENTION_DAYS = (365, 3650)


class ClinicUpdate(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    timezone: TimeZoneName | None = None
    business_hours: dict[str, list[str]] | None = None
    sms_sender: str | None = Field(default=None, max_length=64)
    message_retention_days: int | None = Field(
        default=None, ge=MESSAGE_RETENTION_DAYS[0], le=MESSAGE_RETENTION_DAYS[1],
        description="days the clinic's SMS (in and out) are kept before the purge deletes them",
    )
    audit_retention_days: int | None = Field(
        default=None, ge=AUDIT_RETENTION_DAYS[0], le=AUDIT_RETENTION_DAYS[1],
        description="days the clinic's audit rows are kept before the purge deletes them",
    )

    _hours = field_validator("business_hours")(lambda v: None if v is None else check_business_hours(v))


class ClinicRead(ReadModel):
    id: int
    name: str
    timezone: str
    business_hours: dict[str, Any]
    sms_sender: str | None
    message_retention_days: int
    audit_retention_days: int
    created_at: datetime


class OncallPerson(ReadModel):
    staff_id: int | None
    name: str | None


class OncallShiftRead(ReadModel):
    staff_id: int | None
    name: str | None
    start: datetime
    end: datetime
    until: str  # the end in the clinic's local time, "until Mon 09:00"
    override: bool


class OncallBoardRead(ReadModel):
    position: str
    now: OncallShiftRead
    next: OncallShiftRead
    warning: str | None  # set when nobody who can be paged is on call now


class OncallOverrideRead(ReadModel):
    id: int
    staff: OncallPerson
    starts_at: datetime
    ends_at: datetime
    note: str | None
    created_by: int | None
    created_at: datetime


class OncallPositionRead(ReadModel):
    name: str
    rotation: list[OncallPerson]
    handoff: str
    overrides: list[OncallOverrideRead]
    updated_at: datetime


class OncallPositionWrite(RequestModel):
    rotation: list[RowId] = Field(max_length=52, description="staff ids taking turns, a week each")
    handoff: str = Field(default="mon 09:00", max_length=16, examples=["mon 09:00"],
                         description="a weekday and a local time")


class OncallOverrideCreate(RequestModel):
    staff_id: RowId
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    note: str | None = Field(default=None, max_length=200)
