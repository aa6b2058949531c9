"""The bounds of a period given in a query (``since``, ``until``): a date, read in the clinic's
time zone (``since`` from its first moment, ``until`` through its last), or a datetime with an
offset. Anything else is refused with a 400 naming the parameter."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from companion.clinical.localtime import resolve_local
from companion.errors import InvalidInput
from companion.validation import EARLIEST, LATEST, OUT_OF_RANGE, require_aware

FORMAT_HINT = "give a date (2026-11-27) or a datetime with an offset (2026-11-27T09:00:00Z)"


def parse_bound(text: str, field: str, tz: ZoneInfo, *, end: bool) -> datetime:
    """The instant a bound stands for: a date as ``since`` is its local midnight, as ``until`` the
    next local midnight (exclusive), so ``until=2026-11-27`` includes all of that day."""
    value = text.strip()
    if len(value) == 10:
        try:
            day = date.fromisoformat(value)
        except ValueError as exc:
            raise InvalidInput(f"{field}: {FORMAT_HINT}", field=field) from exc
        if not EARLIEST.year <= day.year < LATEST.year:
            raise InvalidInput(f"{field}: {OUT_OF_RANGE}", field=field)
        return resolve_local(day + timedelta(days=1) if end else day, time(0), tz)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(f"{field}: {FORMAT_HINT}", field=field) from exc
    try:
        return require_aware(moment)
    except ValueError as exc:
        raise InvalidInput(f"{field}: {exc}", field=field) from exc


def parse_period(
    since: str | None, until: str | None, tz: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    start = parse_bound(since, "since", tz, end=False) if since else None
    stop = parse_bound(until, "until", tz, end=True) if until else None
    if start is not None and stop is not None and stop <= start:
        raise InvalidInput("until must come after since", field="until")
    return start, stop
