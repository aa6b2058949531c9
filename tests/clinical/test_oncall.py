from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest

from companion.clinical.oncall import Shift, describe_until, shift_at, upcoming
from companion.clinical.rota import Handoff, Override, PositionRota, last_handoff, next_handoff, on_duty

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
PLUS_TWO = timezone(timedelta(hours=2))
MICROSECOND = timedelta(microseconds=1)

MON_0900 = Handoff(0, time(9, 0))
SUN_0230 = Handoff(6, time(2, 30))
SUN_0200 = Handoff(6, time(2, 0))
SUN_0130 = Handoff(6, time(1, 30))
THREE = ("a", "b", "c")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def cover(staff: str, start: str, end: str) -> Override:
    return Override(staff, utc(start), utc(end))


# (staff, start UTC, end UTC, override)
Row = tuple[str | None, str, str, bool]

# The New York week Mon 2026-03-09 09:00 EDT (13:00 UTC) to Mon 2026-03-16 is "a"'s; "b" has the next.
SHIFT_CASES: list[tuple[str, PositionRota, tzinfo, str, int, list[Row]]] = [
    (
        "plain weekly rotation of three",
        PositionRota(THREE, MON_0900),
        NEW_YORK,
        "2026-06-10 12:00",
        4,
        [
            ("b", "2026-06-08 13:00", "2026-06-15 13:00", False),
            ("c", "2026-06-15 13:00", "2026-06-22 13:00", False),
            ("a", "2026-06-22 13:00", "2026-06-29 13:00", False),
            ("b", "2026-06-29 13:00", "2026-07-06 13:00", False),
        ],
    ),
    (
        "at the handoff itself the new week holds",
        PositionRota(THREE, MON_0900),
        NEW_YORK,
        "2026-06-15 13:00",
        1,
        [("c", "2026-06-15 13:00", "2026-06-22 13:00", False)],
    ),
    (
        "a Monday handoff across spring-forward: a 167-hour week",
        PositionRota(THREE, MON_0900),
        NEW_YORK,
        "2026-03-05 12:00",
        2,
        [
            ("c", "2026-03-02 14:00", "2026-03-09 13:00", False),
            ("a", "2026-03-09 13:00", "2026-03-16 13:00", False),
        ],
    ),
    (
        "02:30 on spring-forward day does not exist: moved forward by the gap to 03:30 EDT",
        PositionRota(THREE, SUN_0230),
        NEW_YORK,
        "2026-03-05 12:00",
        3,
        [
            ("b", "2026-03-01 07:30", "2026-03-08 07:30", False),
            ("c", "2026-03-08 07:30", "2026-03-15 06:30", False),
            ("a", "2026-03-15 06:30", "2026-03-22 06:30", False),
        ],
    ),
    (
        "02:00 on spring-forward day becomes 03:00 EDT",
        PositionRota(THREE, SUN_0200),
        NEW_YORK,
        "2026-03-05 12:00",
        2,
        [
            ("b", "2026-03-01 07:00", "2026-03-08 07:00", False),
            ("c", "2026-03-08 07:00", "2026-03-15 06:00", False),
        ],
    ),
    (
        "01:30 on fall-back day happens twice: the handoff is the first, 01:30 EDT",
        PositionRota(THREE, SUN_0130),
        NEW_YORK,
        "2026-10-30 12:00",
        3,
        [
            ("c", "2026-10-25 05:30", "2026-11-01 05:30", False),
            ("a", "2026-11-01 05:30", "2026-11-08 06:30", False),
            ("b", "2026-11-08 06:30", "2026-11-15 06:30", False),
        ],
    ),
    (
        "01:15 EDT on fall-back day is still before the handoff",
        PositionRota(THREE, SUN_0130),
        NEW_YORK,
        "2026-11-01 05:15",
        1,
        [("c", "2026-10-25 05:30", "2026-11-01 05:30", False)],
    ),
    (
        "01:00 EST, the repeated hour, is after the handoff",
        PositionRota(THREE, SUN_0130),
        NEW_YORK,
        "2026-11-01 06:00",
        1,
        [("a", "2026-11-01 05:30", "2026-11-08 06:30", False)],
    ),
    (
        "London: 01:30 on spring-forward day becomes 02:30 BST",
        PositionRota(THREE, SUN_0130),
        LONDON,
        "2026-03-25 12:00",
        2,
        [
            ("b", "2026-03-22 01:30", "2026-03-29 01:30", False),
            ("c", "2026-03-29 01:30", "2026-04-05 00:30", False),
        ],
    ),
    (
        "London: 01:30 on fall-back day is the first, 01:30 BST",
        PositionRota(THREE, SUN_0130),
        LONDON,
        "2026-10-20 12:00",
        2,
        [
            ("b", "2026-10-18 00:30", "2026-10-25 00:30", False),
            ("c", "2026-10-25 00:30", "2026-11-01 01:30", False),
        ],
    ),
    (
        "London: a Monday 09:00 handoff moves from 09:00 to 08:00 UTC",
        PositionRota(THREE, MON_0900),
        LONDON,
        "2026-03-25 12:00",
        2,
        [
            ("c", "2026-03-23 09:00", "2026-03-30 08:00", False),
            ("a", "2026-03-30 08:00", "2026-04-06 08:00", False),
        ],
    ),
    (
        "a fixed-offset zone",
        PositionRota(THREE, MON_0900),
        PLUS_TWO,
        "2026-06-10 12:00",
        2,
        [
            ("b", "2026-06-08 07:00", "2026-06-15 07:00", False),
            ("c", "2026-06-15 07:00", "2026-06-22 07:00", False),
        ],
    ),
    (
        "an override mid-week splits the week before / override / after",
        PositionRota(THREE, MON_0900, (cover("x", "2026-03-11 18:00", "2026-03-13 18:00"),)),
        NEW_YORK,
        "2026-03-10 12:00",
        4,
        [
            ("a", "2026-03-09 13:00", "2026-03-11 18:00", False),
            ("x", "2026-03-11 18:00", "2026-03-13 18:00", True),
            ("a", "2026-03-13 18:00", "2026-03-16 13:00", False),
            ("b", "2026-03-16 13:00", "2026-03-23 13:00", False),
        ],
    ),
    (
        "asked from inside the override, the shift is the override's",
        PositionRota(THREE, MON_0900, (cover("x", "2026-03-11 18:00", "2026-03-13 18:00"),)),
        NEW_YORK,
        "2026-03-12 00:00",
        2,
        [
            ("x", "2026-03-11 18:00", "2026-03-13 18:00", True),
            ("a", "2026-03-13 18:00", "2026-03-16 13:00", False),
        ],
    ),
    (
        "overlapping overrides: the one listed last wins, the earlier resumes after it",
        PositionRota(
            THREE,
            MON_0900,
            (
                cover("x", "2026-03-11 00:00", "2026-03-13 00:00"),
                cover("y", "2026-03-12 00:00", "2026-03-12 12:00"),
            ),
        ),
        NEW_YORK,
        "2026-03-10 12:00",
        5,
        [
            ("a", "2026-03-09 13:00", "2026-03-11 00:00", False),
            ("x", "2026-03-11 00:00", "2026-03-12 00:00", True),
            ("y", "2026-03-12 00:00", "2026-03-12 12:00", True),
            ("x", "2026-03-12 12:00", "2026-03-13 00:00", True),
            ("a", "2026-03-13 00:00", "2026-03-16 13:00", False),
        ],
    ),
    (
        "overlapping overrides listed the other way round: the wider one hides the other",
        PositionRota(
            THREE,
            MON_0900,
            (
                cover("y", "2026-03-12 00:00", "2026-03-12 12:00"),
                cover("x", "2026-03-11 00:00", "2026-03-13 00:00"),
            ),
        ),
        NEW_YORK,
        "2026-03-10 12:00",
        3,
        [
            ("a", "2026-03-09 13:00", "2026-03-11 00:00", False),
            ("x", "2026-03-11 00:00", "2026-03-13 00:00", True),
            ("a", "2026-03-13 00:00", "2026-03-16 13:00", False),
        ],
    ),
    (
        "overlapping overrides, the later one starting inside and running past the earlier",
        PositionRota(
            THREE,
            MON_0900,
            (
                cover("x", "2026-03-11 00:00", "2026-03-12 00:00"),
                cover("y", "2026-03-11 12:00", "2026-03-12 12:00"),
            ),
        ),
        NEW_YORK,
        "2026-03-11 06:00",
        3,
        [
            ("x", "2026-03-11 00:00", "2026-03-11 12:00", True),
            ("y", "2026-03-11 12:00", "2026-03-12 12:00", True),
            ("a", "2026-03-12 12:00", "2026-03-16 13:00", False),
        ],
    ),
    (
        "an override across a handoff: the next week starts when it ends",
        PositionRota(THREE, MON_0900, (cover("x", "2026-03-15 00:00", "2026-03-17 00:00"),)),
        NEW_YORK,
        "2026-03-14 00:00",
        3,
        [
            ("a", "2026-03-09 13:00", "2026-03-15 00:00", False),
            ("x", "2026-03-15 00:00", "2026-03-17 00:00", True),
            ("b", "2026-03-17 00:00", "2026-03-23 13:00", False),
        ],
    ),
    (
        "back-to-back overrides for the same person are two shifts",
        PositionRota(
            THREE,
            MON_0900,
            (cover("x", "2026-03-11 00:00", "2026-03-12 00:00"), cover("x", "2026-03-12 00:00", "2026-03-13 00:00")),
        ),
        NEW_YORK,
        "2026-03-11 06:00",
        3,
        [
            ("x", "2026-03-11 00:00", "2026-03-12 00:00", True),
            ("x", "2026-03-12 00:00", "2026-03-13 00:00", True),
            ("a", "2026-03-13 00:00", "2026-03-16 13:00", False),
        ],
    ),
    (
        "an override for the person whose week it is still has its own shift",
        PositionRota(THREE, MON_0900, (cover("a", "2026-03-11 00:00", "2026-03-12 00:00"),)),
        NEW_YORK,
        "2026-03-10 00:00",
        3,
        [
            ("a", "2026-03-09 13:00", "2026-03-11 00:00", False),
            ("a", "2026-03-11 00:00", "2026-03-12 00:00", True),
            ("a", "2026-03-12 00:00", "2026-03-16 13:00", False),
        ],
    ),
    (
        "an override written with a local offset",
        PositionRota(
            THREE,
            MON_0900,
            (
                Override(
                    "x",
                    datetime.fromisoformat("2026-03-11T14:00-04:00"),
                    datetime.fromisoformat("2026-03-13T14:00-04:00"),
                ),
            ),
        ),
        NEW_YORK,
        "2026-03-10 12:00",
        3,
        [
            ("a", "2026-03-09 13:00", "2026-03-11 18:00", False),
            ("x", "2026-03-11 18:00", "2026-03-13 18:00", True),
            ("a", "2026-03-13 18:00", "2026-03-16 13:00", False),
        ],
    ),
    (
        "a rotation of one person still hands over every week",
        PositionRota(("a",), MON_0900),
        NEW_YORK,
        "2026-06-10 12:00",
        3,
        [
            ("a", "2026-06-08 13:00", "2026-06-15 13:00", False),
            ("a", "2026-06-15 13:00", "2026-06-22 13:00", False),
            ("a", "2026-06-22 13:00", "2026-06-29 13:00", False),
        ],
    ),
    (
        "an empty rotation: nobody until the next override, and after it until the handoff",
        PositionRota((), MON_0900, (cover("x", "2026-03-11 18:00", "2026-03-13 18:00"),)),
        NEW_YORK,
        "2026-03-10 12:00",
        4,
        [
            (None, "2026-03-09 13:00", "2026-03-11 18:00", False),
            ("x", "2026-03-11 18:00", "2026-03-13 18:00", True),
            (None, "2026-03-13 18:00", "2026-03-16 13:00", False),
            (None, "2026-03-16 13:00", "2026-03-23 13:00", False),
        ],
    ),
    (
        "an empty rotation and no override: nobody, week by week",
        PositionRota((), MON_0900),
        NEW_YORK,
        "2026-03-10 12:00",
        2,
        [
            (None, "2026-03-09 13:00", "2026-03-16 13:00", False),
            (None, "2026-03-16 13:00", "2026-03-23 13:00", False),
        ],
    ),
]

CASE_IDS = [case[0] for case in SHIFT_CASES]


def expected_shifts(rows: list[Row]) -> list[Shift]:
    return [Shift(staff, utc(start), utc(end), override) for staff, start, end, override in rows]


def samples(shift: Shift) -> list[datetime]:
    """Instants spread over the shift: its first and last microsecond, and 47 evenly between."""
    span = shift.end - shift.start
    return [shift.start + span * k / 48 for k in range(48)] + [shift.end - MICROSECOND]


@pytest.mark.parametrize(("name", "rota", "tz", "at", "count", "rows"), SHIFT_CASES, ids=CASE_IDS)
def test_upcoming(name: str, rota: PositionRota, tz: tzinfo, at: str, count: int, rows: list[Row]) -> None:
    shifts = upcoming(rota, utc(at), tz, count)
    assert shifts == expected_shifts(rows)
    assert shifts[0] == shift_at(rota, utc(at), tz)
    assert all(shift.start.utcoffset() == timedelta(0) == shift.end.utcoffset() for shift in shifts)


@pytest.mark.parametrize(("name", "rota", "tz", "at", "count", "rows"), SHIFT_CASES, ids=CASE_IDS)
def test_shifts_agree_with_on_duty(
    name: str, rota: PositionRota, tz: tzinfo, at: str, count: int, rows: list[Row]
) -> None:
    for shift in upcoming(rota, utc(at), tz, count):
        for instant in samples(shift):
            assert on_duty(rota, instant, tz) == shift.staff, instant
            # Every instant inside a shift belongs to that same shift, and no other.
            assert shift_at(rota, instant, tz) == shift, instant
        # Maximal: the instant before the start and the end itself belong to other shifts.
        assert shift_at(rota, shift.start - MICROSECOND, tz).end == shift.start
        assert shift_at(rota, shift.end, tz).start == shift.end


@pytest.mark.parametrize(("name", "rota", "tz", "at", "count", "rows"), SHIFT_CASES, ids=CASE_IDS)
def test_every_shift_ends_at_a_handoff_or_an_override_edge(
    name: str, rota: PositionRota, tz: tzinfo, at: str, count: int, rows: list[Row]
) -> None:
    edges = {edge for override in rota.overrides for edge in (override.start, override.end)}
    for shift in upcoming(rota, utc(at), tz, count):
        at_handoff = last_handoff(rota.handoff, shift.end, tz) == shift.end
        assert at_handoff or shift.end in edges


@pytest.mark.parametrize(
    ("handoff", "tz", "at", "expected"),
    [
        (MON_0900, NEW_YORK, "2026-06-10 12:00", "2026-06-15 13:00"),
        # Strictly after: at a handoff, the next one is a week on.
        (MON_0900, NEW_YORK, "2026-06-15 13:00", "2026-06-22 13:00"),
        (MON_0900, NEW_YORK, "2026-06-15 12:59", "2026-06-15 13:00"),
        (SUN_0230, NEW_YORK, "2026-03-08 07:29", "2026-03-08 07:30"),
        (SUN_0230, NEW_YORK, "2026-03-08 07:30", "2026-03-15 06:30"),
        (SUN_0130, NEW_YORK, "2026-11-01 05:29", "2026-11-01 05:30"),
        (SUN_0130, NEW_YORK, "2026-11-01 06:15", "2026-11-08 06:30"),
        (SUN_0130, LONDON, "2026-03-29 01:00", "2026-03-29 01:30"),
        (SUN_0130, LONDON, "2026-10-25 00:00", "2026-10-25 00:30"),
    ],
)
def test_next_handoff(handoff: Handoff, tz: tzinfo, at: str, expected: str) -> None:
    assert next_handoff(handoff, utc(at), tz) == utc(expected)


@pytest.mark.parametrize(
    ("end", "tz", "now", "text"),
    [
        ("2026-03-16 13:00", NEW_YORK, "2026-03-12 09:00", "until Mon 09:00"),
        # Exactly six days ahead: still the weekday only; a microsecond more adds the date.
        ("2026-03-16 13:00", NEW_YORK, "2026-03-10 13:00", "until Mon 09:00"),
        ("2026-03-16 13:00", NEW_YORK, "2026-03-10 12:59:59.999999", "until Mon 16 Mar 09:00"),
        ("2026-12-14 14:00", NEW_YORK, "2026-12-07 14:00", "until Mon 14 Dec 09:00"),
        ("2026-12-07 14:00", NEW_YORK, "2026-11-30 14:00", "until Mon 7 Dec 09:00"),
        # Local wall time: the same instant reads differently in London, in summer time.
        ("2026-03-30 08:00", LONDON, "2026-03-27 12:00", "until Mon 09:00"),
        ("2026-03-30 08:00", NEW_YORK, "2026-03-27 12:00", "until Mon 04:00"),
        # The first 01:30 of the fall-back day, and a local date that is not the UTC one.
        ("2026-11-01 05:30", NEW_YORK, "2026-10-30 12:00", "until Sun 01:30"),
        ("2026-06-13 02:00", NEW_YORK, "2026-06-10 12:00", "until Fri 22:00"),
        ("2026-06-15 07:00", PLUS_TWO, "2026-06-10 12:00", "until Mon 09:00"),
        ("2026-06-15 21:45", NEW_YORK, "2026-06-10 12:00", "until Mon 17:45"),
    ],
)
def test_describe_until(end: str, tz: tzinfo, now: str, text: str) -> None:
    shift = Shift("a", utc(end) - timedelta(days=30), utc(end), override=False)
    assert describe_until(shift, tz, utc(now)) == text


def test_upcoming_zero_and_negative_counts() -> None:
    rota = PositionRota(THREE, MON_0900)
    assert upcoming(rota, utc("2026-06-10 12:00"), NEW_YORK, 0) == []
    with pytest.raises(ValueError, match="count"):
        upcoming(rota, utc("2026-06-10 12:00"), NEW_YORK, -1)


def test_naive_instants_are_refused() -> None:
    rota = PositionRota(THREE, MON_0900)
    with pytest.raises(ValueError, match="timezone-aware"):
        shift_at(rota, datetime(2026, 6, 10, 12), NEW_YORK)
    shift = shift_at(rota, utc("2026-06-10 12:00"), NEW_YORK)
    with pytest.raises(ValueError, match="timezone-aware"):
        describe_until(shift, NEW_YORK, datetime(2026, 6, 10, 12))


def test_a_shift_must_end_after_it_starts() -> None:
    with pytest.raises(ValueError, match="end after"):
        Shift("a", utc("2026-06-10 12:00"), utc("2026-06-10 12:00"), override=False)
