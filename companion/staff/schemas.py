from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from companion.models import SetupKind
from companion.schemas import Phone, ReadModel, RequestModel

Role = Literal["admin", "clinician", "staff"]
Email = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class StaffCreate(RequestModel):
    name: str = Field(min_length=1, max_length=200)
    email: str = Email
    phone: Phone | None = None
    role: Role
    password: str = Field(min_length=10, max_length=256)


class StaffInvite(RequestModel):
    """A new member who sets their own password through the link they are sent."""

    name: str = Field(min_length=1, max_length=200)
    email: str = Email
    phone: Phone | None = None
    role: Role


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
    # Sign-in refused or held back until then (the lockout, or the account's backoff); None: free.
    locked_until: datetime | None = None
    # An invitation or reset whose link is still open, and until when it works.
    pending_link: SetupKind | None = None
    link_expires_at: datetime | None = None


class StaffLinkRead(BaseModel):
    """An invitation or reset just issued: the link is shown this once and never again."""

    staff: StaffRead
    kind: SetupKind
    link: str
    expires_at: datetime
    sent_by_sms: bool  # queued to the member's phone; without a phone the admin passes it on

