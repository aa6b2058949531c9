from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from companion.db_types import UTCDateTime


class JobHeartbeat(SQLModel, table=True):
    """One row per scheduled job: when it last ran and how it ended. /ready reads it."""

    __tablename__ = "job_heartbeat"

    job_id: str = Field(primary_key=True, max_length=48)
    last_started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    last_finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    last_ok_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    last_error: str | None = Field(default=None, max_length=300)
    runs: int = Field(default=0)
    interval_seconds: int = Field(default=60)


class WorkerProcess(SQLModel, table=True):
    """A running dispatcher, beating while it lives, so another can prove it dead and settle the
    rows it held (messaging/liveness.py)."""

    __tablename__ = "worker_process"

    id: str = Field(primary_key=True, max_length=40)
    kind: str = Field(max_length=16)
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    beat_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
