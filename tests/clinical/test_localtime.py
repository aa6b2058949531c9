from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from companion.clinical.localtime import QuietHours, local_midnight_after, resolve_local

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
KOLKATA = ZoneInfo("Asia/Kolkata")
HAVANA = ZoneInfo("America/Havana")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "day", "at", "expected_utc", "expected_local"),
    [
        # Ordinary days either side of the changes: 10:00 stays 10:00 local.
        (NEW_YORK, date(2026, 3, 7), time(10), "2026-03-07 15:00", "2026-03-07 10:00-05:00"),
        (NEW_YORK, date(2026, 3, 8), time(10), "2026-03-08 14:00", "2026-03-08 10:00-04:00"),
        (NEW_YORK, date(2026, 10, 31), time(10), "2026-10-31 14:00", "2026-10-31 10:00-04:00"),
        (NEW_YORK, date(2026, 11, 1), time(10), "2026-11-01 15:00", "2026-11-01 10:00-05:00"),
        (LONDON, date(2026, 3, 28), time(10), "2026-03-28 10:00", "2026-03-28 10:00+00:00"),
        (LONDON, date(2026, 3, 29), time(10), "2026-03-29 09:00", "2026-03-29 10:00+01:00"),
        (LONDON, date(2026, 10, 25), time(10), "2026-10-25 10:00", "2026-10-25 10:00+00:00"),
        # Spring-forward gap: moved forward by the length of the gap.
        (NEW_YORK, date(2026, 3, 8), time(2, 30), "2026-03-08 07:30", "2026-03-08 03:30-04:00"),
        (NEW_YORK, date(2026, 3, 8), time(2, 0), "2026-03-08 07:00", "2026-03-08 03:00-04:00"),
        (LONDON, date(2026, 3, 29), time(1, 30), "2026-03-29 01:30", "2026-03-29 02:30+01:00"),
        # Autumn fold: the first occurrence (the earlier instant).
        (NEW_YORK, date(2026, 11, 1), time(1, 30), "2026-11-01 05:30", "2026-11-01 01:30-04:00"),
        (LONDON, date(2026, 10, 25), time(1, 30), "2026-10-25 00:30", "2026-10-25 01:30+01:00"),
        # Half-hour offset, no DST.
        (KOLKATA, date(2026, 3, 8), time(10), "2026-03-08 04:30", "2026-03-08 10:00+05:30"),
        # A zone whose clocks jump at midnight: midnight does not exist that day.
        (HAVANA, date(2026, 3, 8), time(0), "2026-03-08 05:00", "2026-03-08 01:00-04:00"),
    ],
)
def test_resolve_local(tz: ZoneInfo, day: date, at: time, expected_utc: str, expected_local: str) -> None:
    resolved = resolve_local(day, at, tz)
    assert resolved == utc(expected_utc)
    assert resolved.tzinfo is UTC
    # Compared as text: equality between an ambiguous local time and a fixed offset is always false.
    assert resolved.astimezone(tz).isoformat(sep=" ", timespec="minutes") == expected_local


def test_resolve_local_ignores_tzinfo_and_fold_on_the_time() -> None:
    tagged = time(1, 30, tzinfo=timezone(timedelta(hours=3)), fold=1)
    assert resolve_local(date(2026, 11, 1), tagged, NEW_YORK) == utc("2026-11-01 05:30")


@pytest.mark.parametrize(
    ("quiet", "local_time", "inside"),
    [
        (QuietHours(), time(20, 59), False),
        (QuietHours(), time(21, 0), True),
        (QuietHours(), time(23, 59), True),
        (QuietHours(), time(0, 0), True),
        (QuietHours(), time(7, 59, 59), True),
        (QuietHours(), time(8, 0), False),
        (QuietHours(), time(12, 0), False),
        (QuietHours(time(13), time(15)), time(12, 59), False),
        (QuietHours(time(13), time(15)), time(13, 0), True),
        (QuietHours(time(13), time(15)), time(15, 0), False),
        (QuietHours(time(0), time(0)), time(0, 0), False),
        (QuietHours(time(0), time(0)), time(23, 0), False),
    ],
)
def test_quiet_hours_contains(quiet: QuietHours, local_time: time, inside: bool) -> None:
    assert quiet.contains(local_time) is inside


@pytest.mark.parametrize(
    ("quiet", "tz", "local_in", "local_out"),
    [
        # After the start: the end of quiet hours on the next local day.
        (QuietHours(), NEW_YORK, "2026-04-06 22:30", "2026-04-07 08:00"),
        (QuietHours(), NEW_YORK, "2026-04-06 21:00", "2026-04-07 08:00"),
        # Before the end: the same local day.
        (QuietHours(), NEW_YORK, "2026-04-07 02:00", "2026-04-07 08:00"),
        (QuietHours(), NEW_YORK, "2026-04-07 00:00", "2026-04-07 08:00"),
        # Outside: unchanged.
        (QuietHours(), NEW_YORK, "2026-04-07 08:00", "2026-04-07 08:00"),
        (QuietHours(), NEW_YORK, "2026-04-07 20:59", "2026-04-07 20:59"),
        # Over the spring-forward night the next morning is 08:00 EDT.
        (QuietHours(), NEW_YORK, "2026-03-07 22:30", "2026-03-08 08:00"),
        (QuietHours(), LONDON, "2026-10-24 23:00", "2026-10-25 08:00"),
        (QuietHours(), KOLKATA, "2026-04-06 21:30", "2026-04-07 08:00"),
        (QuietHours(time(13), time(15)), NEW_YORK, "2026-04-07 14:00", "2026-04-07 15:00"),
        (QuietHours(time(22), time(7)), NEW_YORK, "2026-04-07 06:30", "2026-04-07 07:00"),
    ],
)
def test_quiet_hours_move_out(quiet: QuietHours, tz: ZoneInfo, local_in: str, local_out: str) -> None:
    start = datetime.fromisoformat(local_in).replace(tzinfo=tz).astimezone(UTC)
    moved = quiet.move_out(start, tz)
    assert moved.tzinfo is UTC
    assert moved.astimezone(tz).replace(tzinfo=None) == datetime.fromisoformat(local_out)


def test_move_out_returns_utc_for_other_offsets() -> None:
    aware = datetime(2026, 4, 7, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    moved = QuietHours().move_out(aware, LONDON)
    assert moved == aware
    assert moved.tzinfo is UTC


@pytest.mark.parametrize(
    ("tz", "instant", "expected"),
    [
        (NEW_YORK, "2026-04-06 14:00", "2026-04-07 04:00"),
        # 23-hour and 25-hour days.
        (NEW_YORK, "2026-03-08 14:00", "2026-03-09 04:00"),
        (NEW_YORK, "2026-11-01 14:00", "2026-11-02 05:00"),
        (LONDON, "2026-03-29 09:00", "2026-03-29 23:00"),
        (LONDON, "2026-10-25 09:00", "2026-10-26 00:00"),
        # Exactly at midnight: the following midnight.
        (NEW_YORK, "2026-04-07 04:00", "2026-04-08 04:00"),
        (KOLKATA, "2026-04-06 04:30", "2026-04-06 18:30"),
        # Midnight does not exist on 2026-03-08 in Havana: the day starts at 01:00.
        (HAVANA, "2026-03-07 17:00", "2026-03-08 05:00"),
    ],
)
def test_local_midnight_after(tz: ZoneInfo, instant: str, expected: str) -> None:
    assert local_midnight_after(utc(instant), tz) == utc(expected)


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 4, 6, 12, 0)
    with pytest.raises(ValueError):
        QuietHours().move_out(naive, NEW_YORK)
    with pytest.raises(ValueError):
        local_midnight_after(naive, NEW_YORK)
