from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from companion.schemas import Phone, ReadModel, RequestModel

Role = Literal["admin", "clinician", "staff"]
Email = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class StaffCreate(RequestModel):
    name: str = Field(min_length=1, max_length=200)
    email: str = Email
    phone: Phone | None = None
    role: Role
    password: str = Field(min_length=10, max_length=256)


class StaffUpdate(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    phone: Phone | None = None
    role: Role | None = None
    active: bool | None = None
    password: str | None = Field(default=None, min_length=10, max_length=256)


class StaffRead(ReadModel):
    id: int
    clinic_id: int
    name: str
    email: str
    phone: str | None
    role: str
    active: bool
    created_at: datetime
