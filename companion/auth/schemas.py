from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class StaffLogin(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=256)


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    role: str | None = None


class StaffSetup(BaseModel):
    """A set-your-password link spent: the token from the link and the member's new password."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=5, max_length=200)
    password: str = Field(min_length=10, max_length=256)


class StaffSetupDone(BaseModel):
    email: str
