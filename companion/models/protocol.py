"""Each clinic's safety protocol, stored and versioned, and its on-call schedule (docs/protocol.md).

A :class:`ProtocolVersion` is the TOML text of one version as it was accepted: kept for ever and
never changed. :class:`ActiveProtocol` says which version a clinic uses now (one row per clinic,
so exactly one is active); activating an older version is a roll-back. Alerts name the version
they were raised under.

The on-call schedule is rows, not protocol versions: an :class:`OncallPosition` (a weekly rotation
of staff with its handoff, read in the clinic's time zone) and its :class:`OncallOverride` rows
(cover for ``[starts_at, ends_at)``; the one created last wins where they overlap).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, event, inspect
from sqlmodel import Field, SQLModel

from companion.db_types import UTCDateTime
from companion.models.base import created_at_field


class ProtocolVersion(SQLModel, table=True):
    __tablename__ = "protocol_version"
    __table_args__ = (UniqueConstraint("clinic_id", "number", name="uq_protocol_version_clinic_number"),)

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    number: int  # 1, 2, ... per clinic
    label: str = Field(max_length=64)  # the file's own ``version``, stamped on alerts
    text: str = Field(sa_column=Column(Text(), nullable=False))
    digest: str = Field(max_length=64)  # sha256 of ``text``
    origin: str = Field(max_length=16)  # cli | api | dashboard | demo
    created_at: datetime = created_at_field()
    created_by: int | None = Field(default=None, foreign_key="staff_member.id")


class StoredVersionChanged(RuntimeError):
    """A stored protocol version was about to be changed: versions are kept as they were accepted."""


@event.listens_for(ProtocolVersion, "before_update")
def _versions_never_change(_mapper: Any, _connection: Any, target: ProtocolVersion) -> None:
    """A flush that would change a stored version raises instead (a new text is a new version)."""
    state = inspect(target)
    changed = sorted(attr.key for attr in state.attrs if attr.history.has_changes())
    if changed:
        raise StoredVersionChanged(
            f"protocol version {target.number} of clinic {target.clinic_id} is stored and never changed "
            f"(tried to change {', '.join(changed)}); store a new version instead"
        )


class ActiveProtocol(SQLModel, table=True):
    __tablename__ = "active_protocol"

    clinic_id: int = Field(foreign_key="clinic.id", primary_key=True)
    version_id: int = Field(foreign_key="protocol_version.id")
    activated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    activated_by: int | None = Field(default=None, foreign_key="staff_member.id")


class OncallPosition(SQLModel, table=True):
    __tablename__ = "oncall_position"
    __table_args__ = (UniqueConstraint("clinic_id", "name", name="uq_oncall_position_clinic_name"),)

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    name: str = Field(max_length=40)  # the protocol's "oncall:<name>"
    rotation: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # staff ids, a week each
    handoff: str = Field(default="mon 09:00", max_length=16)  # local weekday and time
    updated_at: datetime = created_at_field()


class OncallOverride(SQLModel, table=True):
    __tablename__ = "oncall_override"
    __table_args__ = (Index("ix_oncall_override_position_ends", "position_id", "ends_at"),)

    id: int | None = Field(default=None, primary_key=True)
    position_id: int = Field(foreign_key="oncall_position.id")
    staff_id: int = Field(foreign_key="staff_member.id")
    starts_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    note: str | None = Field(default=None, max_length=200)
    created_at: datetime = created_at_field()
    created_by: int | None = Field(default=None, foreign_key="staff_member.id")
