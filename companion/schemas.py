"""Schema building blocks shared by the domains."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from companion.validation import MAX_ROW_ID, check_timezone, normalise_phone, require_aware

T = TypeVar("T")

Phone = Annotated[str, Field(max_length=32), AfterValidator(normalise_phone)]
TimeZoneName = Annotated[str, Field(max_length=64), AfterValidator(check_timezone)]
AwareDatetime = Annotated[datetime, AfterValidator(require_aware)]
# A reference to a stored row in a body: ids start at 1 and fit the database's INTEGER.
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]


def _local_time(value: Any) -> time:
    if isinstance(value, time):
        return value
    if not isinstance(value, str):
        raise ValueError("give a local time as HH:MM, e.g. 09:30")
    try:
        parsed = time.fromisoformat(value)
    except ValueError as exc:
        raise ValueError("give a local time as HH:MM, e.g. 09:30") from exc
    if parsed.tzinfo is not None:
        raise ValueError("a local time has no offset: the patient's time zone applies")
    return parsed


LocalTime = Annotated[time, BeforeValidator(_local_time)]


class RequestModel(BaseModel):
    """Request bodies refuse unknown fields and coerce nothing silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
