"""On-call shifts: who holds a position now, since when, until when, and who comes next.

A shift is a maximal interval during which one source holds a position (see
:mod:`~companion.clinical.rota`): either one override, or one rotation week with the overrides cut
out of it. A shift ends at the first instant at which the rota's data could give a different
answer: the end of the override that holds it, the start of an override that would win over it,
or the next handoff. It does not look at who comes next, so a shift ends even when the same
person carries on: a rotation of one person still hands over (to that person) every week, and an
override for the person whose week it is still starts and ends its own shift. That keeps every
boundary a fact of the protocol (a handoff or an override's edge) that anyone can check.

Staff are whatever strings the rotation and overrides hold; they are never read here.

Pure: no I/O and no clock reads; the instant is always a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from companion.clinical.rota import PositionRota, last_handoff, next_handoff, on_duty

__all__ = ["DATE_SHOWN_AFTER", "Shift", "describe_until", "shift_at", "upcoming"]

_WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

DATE_SHOWN_AFTER = timedelta(days=6)
"""An end further ahead than this is written with its date, not only its weekday."""


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")


@dataclass(frozen=True)
class Shift:
    """``staff`` holds the position for ``[start, end)`` (UTC instants).

    ``staff`` is None when nobody does (an empty rotation and no override); ``override`` tells an
    override's shift from a rotation week's.
    """

    staff: str | None
    start: datetime
    end: datetime
    override: bool

    def __post_init__(self) -> None:
        _require_aware(self.start, "start")
        _require_aware(self.end, "end")
        if self.end <= self.start:
            raise ValueError("a shift must end after it starts")


def _winning_override(rota: PositionRota, at_utc: datetime) -> int | None:
    """The index of the override that holds the position at ``at_utc`` (the last listed one that
    covers it), as :func:`~companion.clinical.rota.on_duty` chooses; None when none covers it."""
    for index in range(len(rota.overrides) - 1, -1, -1):
        if rota.overrides[index].covers(at_utc):
            return index
    return None


def shift_at(rota: PositionRota, at_utc: datetime, tz: tzinfo) -> Shift:
    """The shift that holds the position at ``at_utc``; ``tz`` is the zone the handoff is read in.

    Its ``staff`` is :func:`~companion.clinical.rota.on_duty`'s answer for ``at_utc``.

    * An override's shift runs from its start, or from the end of a later-listed override that
      covered it, to its end, or to the start of a later-listed override within it.
    * A rotation week's shift runs from the last handoff, or from the end of an override that
      covered it, to the next handoff, or to the start of any override within it.
    """
    _require_aware(at_utc, "at_utc")
    at_utc = at_utc.astimezone(UTC)
    index = _winning_override(rota, at_utc)
    if index is not None:
        holder = rota.overrides[index]
        # No override listed after the holder covers ``at_utc``: each lies wholly before or after it.
        later = rota.overrides[index + 1 :]
        start = max([holder.start, *(o.end for o in later if holder.start < o.end <= at_utc)])
        end = min([holder.end, *(o.start for o in later if at_utc < o.start < holder.end)])
        return Shift(holder.staff, start.astimezone(UTC), end.astimezone(UTC), override=True)
    # No override covers ``at_utc``: each lies wholly before or after it.
    week_start = last_handoff(rota.handoff, at_utc, tz)
    week_end = next_handoff(rota.handoff, at_utc, tz)
    start = max([week_start, *(o.end for o in rota.overrides if week_start < o.end <= at_utc)])
    end = min([week_end, *(o.start for o in rota.overrides if at_utc < o.start < week_end)])
    return Shift(on_duty(rota, at_utc, tz), start.astimezone(UTC), end.astimezone(UTC), override=False)


def upcoming(rota: PositionRota, at_utc: datetime, tz: tzinfo, count: int = 2) -> list[Shift]:
    """The shift at ``at_utc`` and the ones after it, ``count`` in all, each starting where the
    one before it ends."""
    if count < 0:
        raise ValueError("count must not be negative")
    shifts: list[Shift] = []
    at = at_utc
    while len(shifts) < count:
        shift = shift_at(rota, at, tz)
        shifts.append(shift)
        at = shift.end
    return shifts


def describe_until(shift: Shift, tz: tzinfo, now: datetime) -> str:
    """The shift's end in local wall time for a header: ``"until Mon 09:00"``, with the date when
    the end is more than six days after ``now``: ``"until Mon 14 Dec 09:00"``."""
    _require_aware(now, "now")
    local = shift.end.astimezone(tz)
    weekday = _WEEKDAY_NAMES[local.weekday()]
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if shift.end - now > DATE_SHOWN_AFTER:
        return f"until {weekday} {local.day} {_MONTH_NAMES[local.month - 1]} {clock}"
    return f"until {weekday} {clock}"
