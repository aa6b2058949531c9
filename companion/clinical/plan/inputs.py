"""What planning works from and yields: a treatment session (:class:`SessionInfo`), the patient's
time zone, preferred time and quiet hours (:class:`PatientTiming`), and a planned check-in
(:class:`PlannedPrompt`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from companion.clinical.localtime import QuietHours

__all__ = ["DEFAULT_SESSION_DURATION", "PatientTiming", "PlannedPrompt", "SessionInfo"]

DEFAULT_SESSION_DURATION = timedelta(hours=2)
"""Planning length of a session whose end has not been recorded."""


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")


@dataclass(frozen=True)
class SessionInfo:
    """A treatment session. Times are timezone-aware (UTC by convention)."""

    id: int
    started_at: datetime
    ended_at: datetime | None
    modality: str

    def __post_init__(self) -> None:
        _require_aware(self.started_at, "started_at")
        if self.ended_at is not None:
            _require_aware(self.ended_at, "ended_at")
            if self.ended_at < self.started_at:
                raise ValueError(f"session {self.id} ends before it starts")

    @property
    def planning_end(self) -> datetime:
        """The recorded end, or the start plus :data:`DEFAULT_SESSION_DURATION`."""
        if self.ended_at is not None:
            return self.ended_at
        return self.started_at + DEFAULT_SESSION_DURATION


@dataclass(frozen=True)
class PatientTiming:
    """A patient's time zone, preferred check-in time (local) and quiet hours."""

    tz: ZoneInfo
    preferred_time: time = time(10, 0)
    quiet: QuietHours = field(default_factory=QuietHours)


@dataclass(frozen=True)
class PlannedPrompt:
    """One check-in to send. ``slot`` is unique per patient and instrument (see
    :mod:`companion.clinical.plan.prompts`)."""

    instrument: str
    slot: str
    due_at: datetime
    expires_at: datetime
    session_id: int | None
