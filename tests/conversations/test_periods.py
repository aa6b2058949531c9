"""The bounds of a period in a query: dates in the clinic's time zone, datetimes with an offset."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from companion.conversations.periods import parse_bound, parse_period
from companion.errors import InvalidInput

NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(("text", "end", "expected"), [
    ("2026-11-27", False, datetime(2026, 11, 27, 5, 0, tzinfo=UTC)),  # local midnight, EST
    ("2026-11-27", True, datetime(2026, 11, 28, 5, 0, tzinfo=UTC)),  # through the whole day
    ("2026-07-01", False, datetime(2026, 7, 1, 4, 0, tzinfo=UTC)),  # EDT
    ("2026-11-01", True, datetime(2026, 11, 2, 5, 0, tzinfo=UTC)),  # a 25-hour day
    ("2026-11-27T09:00:00Z", False, datetime(2026, 11, 27, 9, 0, tzinfo=UTC)),
    ("2026-11-27T09:00:00-05:00", True, datetime(2026, 11, 27, 14, 0, tzinfo=UTC)),
    (" 2026-11-27T09:00+01:00 ", False, datetime(2026, 11, 27, 8, 0, tzinfo=UTC)),
])
def test_bounds(text: str, end: bool, expected: datetime) -> None:
    assert parse_bound(text, "since", NEW_YORK, end=end) == expected


@pytest.mark.parametrize(("text", "says"), [
    ("yesterday", "give a date"),
    ("2026-13-01", "give a date"),
    ("2026-11-27T09:00:00", "time zone offset"),  # no offset: which 09:00?
    ("0001-01-01", "between"),
    ("9999-12-31", "between"),
    ("2026-11-27T09:00:00+25:00", "give a date"),
])
def test_bad_bounds_name_the_parameter(text: str, says: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_bound(text, "until", NEW_YORK, end=True)
    assert refused.value.field == "until" and says in refused.value.message


def test_a_period_ends_after_it_starts() -> None:
    assert parse_period("2026-11-27", "2026-11-27", NEW_YORK)[1] == datetime(2026, 11, 28, 5, 0, tzinfo=UTC)
    assert parse_period(None, None, NEW_YORK) == (None, None)
    with pytest.raises(InvalidInput) as refused:
        parse_period("2026-11-27T12:00:00Z", "2026-11-27T12:00:00Z", NEW_YORK)
    assert refused.value.field == "until"
