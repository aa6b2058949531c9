"""What a signed-in patient may change about their own check-ins."""

from __future__ import annotations

from datetime import time
from typing import Any, Self

from pydantic import ValidationInfo, field_validator, model_validator

from companion.patients.schemas import Channel
from companion.schemas import LocalTime, RequestModel

SETTINGS_FIELDS = ("preferred_checkin_time", "channel", "quiet_start", "quiet_end")
QUIET_HOURS_SAME = "quiet hours must start and end at different times"


class PatientSettingsUpdate(RequestModel):
    """Each field is optional; a field that is sent must carry a value (null clears nothing)."""

    preferred_checkin_time: LocalTime | None = None
    channel: Channel | None = None
    quiet_start: LocalTime | None = None
    quiet_end: LocalTime | None = None

    @field_validator(*SETTINGS_FIELDS)
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Only fields that were sent are validated: an explicit null is refused, an absent field is kept.
        if value is None:
            raise ValueError("needs a value")
        return value

    @field_validator("quiet_end")
    @classmethod
    def _quiet_hours_differ(cls, value: time, info: ValidationInfo) -> time:
        if value == info.data.get("quiet_start"):
            raise ValueError(QUIET_HOURS_SAME)
        return value

    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if not self.model_fields_set:
            raise ValueError(f"send at least one of {', '.join(SETTINGS_FIELDS)}")
        return self
