from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from companion.models.base import created_at_field

DEFAULT_BUSINESS_HOURS: dict[str, list[str]] = {
    day: ["09:00", "17:00"] for day in ("mon", "tue", "wed", "thu", "fri")
}


class Clinic(SQLModel, table=True):
    __tablename__ = "clinic"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    timezone: str = Field(max_length=64)
    business_hours: dict[str, Any] = Field(
        default_factory=lambda: dict(DEFAULT_BUSINESS_HOURS), sa_column=Column(JSON, nullable=False)
    )
    sms_sender: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_at_field()
