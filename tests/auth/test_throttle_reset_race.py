"""A sign-in that succeeds resets its key's count (deletes the row) while other attempts for the key
are being counted: such an attempt is counted afresh, never refused as too soon (a 429 for an
attempt the backoff allows)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from companion.auth import throttle
from companion.auth.backoff import Backoff
from companion.clock import FrozenClock
from companion.errors import TooManyRequests

RULE = Backoff(free=3, cap_seconds=300, forget=timedelta(hours=1))


async def test_an_attempt_whose_row_a_success_just_deleted_is_counted_afresh(
    session: AsyncSession, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = throttle._ensure_row
    calls = 0

    async def then_reset(conn: AsyncConnection, scope: str, key: str, now: object) -> None:
        nonlocal calls
        calls += 1
        await real(conn, scope, key, now)  # type: ignore[arg-type]
        if calls == 1:  # the success's reset lands between the row's insert and the count
            await conn.execute(delete(throttle.T).where(throttle.T.c.scope == scope, throttle.T.c.key == key))

    monkeypatch.setattr(throttle, "_ensure_row", then_reset)
    assert await throttle.claim(session, throttle.PATIENT_PHONE, "+12025550142", RULE, clock.now(), "too many") == 1
    assert calls == 2


async def test_an_attempt_too_soon_is_still_refused(session: AsyncSession, clock: FrozenClock) -> None:
    for expected in (1, 2, 3):
        assert await throttle.claim(session, throttle.PATIENT_PHONE, "+12025550143", RULE, clock.now(), "x") == expected
    with pytest.raises(TooManyRequests):
        await throttle.claim(session, throttle.PATIENT_PHONE, "+12025550143", RULE, clock.now(), "x")
