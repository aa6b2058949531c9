from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from companion.db_types import UTCDateTime
from companion.models.base import created_at_field


class StaffRole(StrEnum):
    """``StaffMember.role``: the clinical core's ``STAFF_ROLES`` (clinical/permissions.py), which
    cannot import this package; staff/schemas.py ``Role`` is the API's spelling of it."""

    ADMIN = "admin"
    CLINICIAN = "clinician"
    STAFF = "staff"


class SetupKind(StrEnum):
    """``StaffMember.setup_kind``: why a set-your-password link was issued."""

    INVITE = "invite"
    RESET = "reset"


class StaffMember(SQLModel, table=True):
    __tablename__ = "staff_member"
    __table_args__ = (UniqueConstraint("email", name="uq_staff_member_email"),)

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    phone: str | None = Field(default=None, max_length=20, index=True)
    role: str = Field(max_length=16)  # a StaffRole
    password_hash: str = Field(max_length=200)
    active: bool = Field(default=True)
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    # Carried in every token; a new password, role or deactivation increments it, ending older tokens.
    token_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # The one set-your-password link open for the member (docs/sign-in.md, "Invitations and
    # resets"): its nonce, kind and expiry; cleared when it is used, replaced or withdrawn.
    setup_nonce: str | None = Field(default=None, max_length=32)
    setup_kind: str | None = Field(default=None, max_length=8)  # a SetupKind
    setup_expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: datetime = created_at_field()
