"""The password pool: argon2 off the event loop, and a cap on the checks waiting for it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from companion.auth.passwords import PasswordPool, hash_password
from companion.errors import TooManyRequests


@pytest.fixture
def pool() -> Iterator[PasswordPool]:
    made = PasswordPool(workers=2, max_pending=2, refusal_pause=0)
    yield made
    made.close()


async def test_hashes_and_checks_in_the_pool(pool: PasswordPool) -> None:
    hashed = await pool.hash("correct horse")
    async with pool.slot() as slot:
        assert await slot.verify(hashed, "correct horse")
        assert not await slot.verify(hashed, "wrong horse")
        assert not await slot.verify(None, "correct horse")
        assert not await slot.verify("not a hash", "correct horse")
    assert pool.pending == 0


async def test_the_loop_runs_while_a_password_is_checked(pool: PasswordPool) -> None:
    hashed = hash_password("correct horse")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(tick())
    async with pool.slot() as slot:
        assert await slot.verify(hashed, "correct horse")
    ticker.cancel()
    assert ticks > 1


async def test_beyond_the_cap_a_check_is_refused_at_once_with_retry_after(pool: PasswordPool) -> None:
    async with pool.slot(), pool.slot():
        with pytest.raises(TooManyRequests) as refused:
            async with pool.slot():
                pass
        assert refused.value.headers == {"Retry-After": "1"} and refused.value.status_code == 429
    async with pool.slot():
        assert pool.pending == 1
    assert pool.pending == 0


def test_a_pool_needs_a_worker_and_a_slot() -> None:
    with pytest.raises(ValueError):
        PasswordPool(workers=0, max_pending=1)
