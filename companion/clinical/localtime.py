"""Patients' wall-clock time: DST-safe resolution of local times, quiet hours, local midnights.

Instants go in and come out as timezone-aware UTC datetimes. Local dates and times are read in
the patient's IANA time zone, so a 10:00 check-in stays at 10:00 local across a DST change.

Pure: no I/O and no clock reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

__all__ = ["QuietHours", "local_midnight_after", "resolve_local"]


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")


def _wall(value: time) -> time:
    """The wall-clock part of a time: no tzinfo, no fold."""
    if value.tzinfo is None and not value.fold:
        return value
    return value.replace(tzinfo=None, fold=0)


# Planning resolves the same few thousand (day, time, zone) triples for every patient who shares
# them; the answer depends on nothing else, so it is kept.
@lru_cache(maxsize=65536)
def resolve_local(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant at which the wall clock in ``tz`` shows ``at`` on ``day``.

    Rule for the two DST edge cases:

    * A local time that does not exist (the spring-forward gap) is moved forward by the length of
      the gap: 02:30 on 2026-03-08 in America/New_York becomes 03:30 EDT (07:30 UTC).
    * A local time that occurs twice (the autumn fold) takes its first occurrence, the earlier
      instant: 01:30 on 2026-11-01 in America/New_York is 01:30 EDT (05:30 UTC), not 01:30 EST.

    Any tzinfo or fold carried by ``at`` is ignored; only its wall-clock value counts.
    """
    wall = datetime.combine(day, _wall(at))
    first = wall.replace(tzinfo=tz, fold=0)
    second = wall.replace(tzinfo=tz, fold=1)
    first_offset = first.utcoffset()
    second_offset = second.utcoffset()
    if first_offset == second_offset:
        return first.astimezone(UTC)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall:
        # The wall time occurs twice: take the earlier instant.
        return min(first.astimezone(UTC), second.astimezone(UTC))
    # The wall time falls in a gap. fold=0 carries the offset in force before the transition and
    # fold=1 the offset after it; their difference is the length of the gap.
    assert first_offset is not None and second_offset is not None
    gap = abs(second_offset - first_offset)
    return (wall + gap).replace(tzinfo=tz, fold=0).astimezone(UTC)


def local_midnight_after(dt_utc: datetime, tz: ZoneInfo) -> datetime:
    """The first local midnight strictly after ``dt_utc``, as a UTC instant.

    Computed on local dates, so a 23-hour or 25-hour day is handled; in a zone whose clocks jump
    at midnight (midnight does not exist that day) it is the first instant of the new day, by
    :func:`resolve_local`'s rule.
    """
    _require_aware(dt_utc, "dt_utc")
    local_day = dt_utc.astimezone(tz).date()
    return resolve_local(local_day + timedelta(days=1), time(0, 0), tz)


@dataclass(frozen=True)
class QuietHours:
    """Local hours in which routine messages are held (default 21:00-08:00).

    The interval is ``[start, end)``. When ``start`` is later than ``end`` it wraps midnight;
    ``start == end`` means there are no quiet hours. Safety replies and staff pages ignore quiet
    hours; that choice is made by the caller, not here.
    """

    start: time = time(21, 0)
    end: time = time(8, 0)

    def contains(self, local_time: time) -> bool:
        """Whether a local wall-clock time falls inside quiet hours."""
        start, end, value = _wall(self.start), _wall(self.end), _wall(local_time)
        if start == end:
            return False
        if start < end:
            return start <= value < end
        return value >= start or value < end

    def move_out(self, dt_utc: datetime, tz: ZoneInfo) -> datetime:
        """``dt_utc`` (as UTC) if it is outside quiet hours, else the end of those quiet hours.

        For quiet hours that wrap midnight, a time after ``start`` moves to ``end`` on the next
        local day and a time before ``end`` moves to ``end`` on the same local day.
        """
        _require_aware(dt_utc, "dt_utc")
        return _moved_out(self, dt_utc, tz)


# Planning moves the same due times out of the same quiet hours for every patient who shares a
# zone and a preferred time; the answer depends on nothing else, so it is kept.
@lru_cache(maxsize=65536)
def _moved_out(quiet: QuietHours, dt_utc: datetime, tz: ZoneInfo) -> datetime:
    local = dt_utc.astimezone(tz)
    if not quiet.contains(local.time()):
        return dt_utc.astimezone(UTC)
    day = local.date()
    wraps = _wall(quiet.start) > _wall(quiet.end)
    if wraps and local.time() >= _wall(quiet.start):
        day += timedelta(days=1)
    return resolve_local(day, quiet.end, tz)
