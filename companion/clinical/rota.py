"""Clinic time: business hours and the weekly on-call rota.

Both are read in one time zone: the protocol's ``[business_hours] timezone`` when it names one,
otherwise the clinic's own time zone, which the caller passes in.

Business hours. Each weekday has at most one opening interval ``[opens, closes)`` in local wall
time; a day without an interval is closed. Closing may be ``24:00`` (open until midnight).

On-call rota. A position (on_call_clinician, nurse_on_duty, ...) has a ``rotation`` of staff
emails that take turns week by week, handing over at a local weekday and time (``mon 09:00``).
Weeks are counted in handoffs since a fixed epoch (the first handoff on or after
:data:`ROTA_EPOCH`), so the person on duty depends only on the instant, never on when the protocol
was loaded: week ``n`` is covered by ``rotation[n % len(rotation)]``. A handoff time that does not
exist on a DST day moves forward by the gap; one that occurs twice takes its first occurrence (see
:func:`~companion.clinical.localtime.resolve_local`).

Overrides (cover for leave, swaps) take precedence over the rotation for ``[start, end)``; when
overrides overlap, the one listed last wins.

Pure: no I/O and no clock reads; the instant is always a parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from companion.clinical.localtime import resolve_local

__all__ = [
    "DAY_END",
    "ROTA_EPOCH",
    "WEEKDAYS",
    "BusinessHours",
    "Handoff",
    "OpeningHours",
    "Override",
    "PositionRota",
    "format_minutes",
    "last_handoff",
    "next_handoff",
    "on_duty",
    "parse_hhmm",
    "week_index",
    "zone",
]

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday names as written in the protocol; index 0 is Monday, as in :meth:`date.weekday`."""

ROTA_EPOCH = date(2024, 1, 1)
"""Week 0 of every rota is the week that starts at the first handoff on or after this Monday."""

DAY_END = 24 * 60
"""``24:00`` in minutes after midnight: a closing time at the end of the day."""

_HHMM = re.compile(r"(\d{2}):(\d{2})")


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")


def parse_hhmm(text: str, *, allow_day_end: bool = False) -> int:
    """``"09:30"`` -> 570 minutes after midnight. ``"24:00"`` only with ``allow_day_end``."""
    match = _HHMM.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a time (write HH:MM, e.g. 09:00)")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if allow_day_end and hours == 24 and minutes == 0:
        return DAY_END
    if hours > 23 or minutes > 59:
        raise ValueError(f"{text!r} is not a time of day")
    return hours * 60 + minutes


def format_minutes(minutes: int) -> str:
    """570 -> ``"09:30"``; :data:`DAY_END` -> ``"24:00"``."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (ValueError if there is no such zone)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


@dataclass(frozen=True)
class OpeningHours:
    """One day's opening interval, ``[opens, closes)`` in minutes after local midnight."""

    opens: int
    closes: int

    def __post_init__(self) -> None:
        if not 0 <= self.opens < DAY_END or not 0 < self.closes <= DAY_END:
            raise ValueError("opening hours must lie within the day")
        if self.closes <= self.opens:
            raise ValueError(f"closing {format_minutes(self.closes)} is not after opening {format_minutes(self.opens)}")

    def __str__(self) -> str:
        return f"{format_minutes(self.opens)}-{format_minutes(self.closes)}"


@dataclass(frozen=True)
class BusinessHours:
    """Opening hours per weekday (0 = Monday); a weekday that is absent is closed.

    ``timezone`` None means "the clinic's own time zone", given when the hours are read.
    """

    days: Mapping[int, OpeningHours] = field(default_factory=dict)
    timezone: str | None = None

    def __post_init__(self) -> None:
        if any(day not in range(7) for day in self.days):
            raise ValueError("weekdays run from 0 (Monday) to 6 (Sunday)")
        if self.timezone is not None:
            zone(self.timezone)
        object.__setattr__(self, "days", MappingProxyType(dict(sorted(self.days.items()))))

    def zone_for(self, clinic_tz_name: str) -> ZoneInfo:
        """The time zone the hours (and the rota) are read in."""
        return zone(self.timezone if self.timezone is not None else clinic_tz_name)

    def is_business_hours(self, at_utc: datetime, clinic_tz_name: str) -> bool:
        """Whether the clinic is open at ``at_utc`` (local wall time, ``[opens, closes)``)."""
        _require_aware(at_utc, "at_utc")
        local = at_utc.astimezone(self.zone_for(clinic_tz_name))
        hours = self.days.get(local.weekday())
        if hours is None:
            return False
        minute = local.hour * 60 + local.minute
        return hours.opens <= minute < hours.closes


@dataclass(frozen=True)
class Handoff:
    """When one week of a rota hands over to the next: a local weekday (0 = Monday) and time."""

    weekday: int = 0
    at: time = time(9, 0)

    def __post_init__(self) -> None:
        if self.weekday not in range(7):
            raise ValueError("weekdays run from 0 (Monday) to 6 (Sunday)")

    @classmethod
    def parse(cls, text: str) -> Handoff:
        """``"mon 09:00"`` -> ``Handoff(0, time(9, 0))``."""
        parts = text.split()
        if len(parts) != 2 or parts[0].lower() not in WEEKDAYS:
            raise ValueError(f"{text!r} is not a handoff (write a weekday and a time, e.g. 'mon 09:00')")
        minutes = parse_hhmm(parts[1])
        return cls(WEEKDAYS.index(parts[0].lower()), time(minutes // 60, minutes % 60))

    def __str__(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.at:%H:%M}"


@dataclass(frozen=True)
class Override:
    """``staff`` holds the position for ``[start, end)`` instead of the rotation."""

    staff: str
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _require_aware(self.start, "start")
        _require_aware(self.end, "end")
        if self.end <= self.start:
            raise ValueError("an override must end after it starts")

    def covers(self, at_utc: datetime) -> bool:
        return self.start <= at_utc < self.end


@dataclass(frozen=True)
class PositionRota:
    """Who takes turns at one on-call position, when they hand over, and the overrides."""

    rotation: tuple[str, ...]
    handoff: Handoff = field(default_factory=Handoff)
    overrides: tuple[Override, ...] = ()


def last_handoff(handoff: Handoff, at_utc: datetime, tz: tzinfo) -> datetime:
    """The latest handoff instant at or before ``at_utc`` (UTC)."""
    _require_aware(at_utc, "at_utc")
    zone_info = tz if isinstance(tz, ZoneInfo) else None
    local_day = at_utc.astimezone(tz).date()
    day = local_day - timedelta(days=(local_day.weekday() - handoff.weekday) % 7)
    candidate = _handoff_instant(day, handoff, tz, zone_info)
    if candidate > at_utc:
        candidate = _handoff_instant(day - timedelta(days=7), handoff, tz, zone_info)
    return candidate


def _handoff_instant(day: date, handoff: Handoff, tz: tzinfo, zone_info: ZoneInfo | None) -> datetime:
    if zone_info is not None:
        return resolve_local(day, handoff.at, zone_info)
    return datetime.combine(day, handoff.at, tzinfo=tz)


def _handoff_day(handoff: Handoff, instant: datetime, tz: tzinfo) -> date:
    """The local date a handoff instant belongs to.

    The local date of a handoff is always its weekday, except when a DST gap pushes a late
    evening handoff past midnight; count from the handoff's own weekday either way.
    """
    day = instant.astimezone(tz).date()
    return day - timedelta(days=(day.weekday() - handoff.weekday) % 7)


def next_handoff(handoff: Handoff, at_utc: datetime, tz: tzinfo) -> datetime:
    """The earliest handoff instant strictly after ``at_utc``, a week after :func:`last_handoff`."""
    day = _handoff_day(handoff, last_handoff(handoff, at_utc, tz), tz)
    zone_info = tz if isinstance(tz, ZoneInfo) else None
    return _handoff_instant(day + timedelta(days=7), handoff, tz, zone_info)


def week_index(handoff: Handoff, at_utc: datetime, tz: tzinfo) -> int:
    """How many handoffs have passed since week 0 (negative before it)."""
    day = _handoff_day(handoff, last_handoff(handoff, at_utc, tz), tz)
    first = ROTA_EPOCH + timedelta(days=(handoff.weekday - ROTA_EPOCH.weekday()) % 7)
    return (day - first).days // 7


def on_duty(position_rota: PositionRota, at_utc: datetime, tz: tzinfo) -> str | None:
    """The email of whoever holds the position at ``at_utc``: the last override that covers the
    instant, else the rotation's turn for the week; None for an empty rotation and no override."""
    _require_aware(at_utc, "at_utc")
    for override in reversed(position_rota.overrides):
        if override.covers(at_utc):
            return override.staff
    if not position_rota.rotation:
        return None
    index = week_index(position_rota.handoff, at_utc, tz)
    return position_rota.rotation[index % len(position_rota.rotation)]
