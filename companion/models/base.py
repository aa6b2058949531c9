"""Helpers shared by the table models."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Table
from sqlmodel import Field, SQLModel

from companion.clock import utcnow
from companion.db_types import UTCDateTime


def created_at_field() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a table model, for statements written against its columns (``.c``)."""
    return model.__table__  # type: ignore[attr-defined]  # SQLModel does not declare __table__
