from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from companion.db_types import UTCDateTime


class SignInThrottle(SQLModel, table=True):
    """The backoff state of one staff account, client address or patient's number.

    Kept in the database so every replica sees the same count; ``attempts`` counts sign-in
    attempts in a row that did not succeed, ``allowed_at`` is when the next one may be made.
    """

    __tablename__ = "sign_in_throttle"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_sign_in_throttle_scope_key"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=16)
    key: str = Field(max_length=64)
    attempts: int = Field(default=0)
    allowed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
