from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from companion.schemas import AwareDatetime, ReadModel, RequestModel

Modality = Literal["iv", "intranasal", "oral", "sublingual", "intramuscular"]


class TreatmentSessionCreate(RequestModel):
    modality: Modality
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None
    dose_mg: float | None = Field(default=None, gt=0, le=2000)
    location: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=4000)

    @field_validator("ended_at")
    @classmethod
    def _ends_after_start(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        started = info.data.get("started_at")
        if value is not None and started is not None and value < started:
            raise ValueError("a session cannot end before it starts")
        return value


class TreatmentSessionUpdate(RequestModel):
    modality: Modality | None = None
    started_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    dose_mg: float | None = Field(default=None, gt=0, le=2000)
    location: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=4000)


class TreatmentSessionRead(ReadModel):
    id: int
    patient_id: int
    modality: str
    started_at: datetime
    ended_at: datetime | None
    dose_mg: float | None
    location: str | None
    notes: str | None
    recorded_by: int | None
    cancelled_at: datetime | None
    created_at: datetime
