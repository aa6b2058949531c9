"""The backoff rule (pure, table-driven)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from companion.auth.backoff import Backoff, retry_after_seconds

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
RULE = Backoff(free=3, cap_seconds=300, forget=timedelta(hours=1))


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(0, 0), (1, 0), (2, 0), (3, 2), (4, 4), (5, 8), (10, 256), (11, 300), (12, 300), (10_000, 300)],
)
def test_the_wait_doubles_after_the_free_attempts_up_to_the_cap(attempts: int, seconds: int) -> None:
    assert RULE.delay(attempts) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("rule", "waits"),
    [
        (RULE, [2, 4, 8, 16, 32, 64, 128, 256, 300]),
        (Backoff(free=1, cap_seconds=5, forget=timedelta(hours=1)), [2, 4, 5]),
        (Backoff(free=10_000, cap_seconds=1, forget=timedelta(hours=1)), [1]),
        (Backoff(free=2, cap_seconds=8, forget=timedelta(hours=1)), [2, 4, 8]),
    ],
)
def test_the_schedule_starts_at_the_first_wait_and_ends_at_the_cap(rule: Backoff, waits: list[int]) -> None:
    assert [(at - NOW).total_seconds() for at in rule.schedule(NOW)] == waits


@pytest.mark.parametrize(
    ("allowed_in", "expected"),
    [(timedelta(seconds=2), 2), (timedelta(seconds=1.2), 2), (timedelta(0), 1), (timedelta(seconds=-5), 1)],
)
def test_retry_after_is_whole_seconds_rounded_up(allowed_in: timedelta, expected: int) -> None:
    assert retry_after_seconds(NOW, NOW + allowed_in) == expected
