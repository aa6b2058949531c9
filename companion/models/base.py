"""Helpers shared by the table models."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column
from sqlmodel import Field

from companion.clock import utcnow
from companion.db_types import UTCDateTime


def created_at_field() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
