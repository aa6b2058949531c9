"""Staff sign-in under pressure: counts that concurrent attempts cannot slip past (SQLite and
PostgreSQL alike), backoff per account and per client address, and the lockout as the outer bound."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from httpx import AsyncClient
from litestar import Litestar
from sqlalchemy import select

from companion.clock import FrozenClock
from companion.db import create_sessionmaker
from companion.models import AuditEvent, StaffMember
from tests.conftest import PASSWORD, World

LOGIN = "/api/v1/auth/staff/login"
NO_BACKOFF = {"login_backoff_free_per_account": 1000, "login_backoff_free_per_address": 1000}


async def _login(client: AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(LOGIN, json={"email": email, "password": password})


async def _audit(world: World, action: str) -> list[AuditEvent]:
    async with create_sessionmaker(world.engine)() as session:
        return list((await session.execute(select(AuditEvent).where(AuditEvent.action == action))).scalars())


async def _member(world: World, member_id: int | None) -> StaffMember:
    async with create_sessionmaker(world.engine)() as session:
        member = await session.get(StaffMember, member_id)
        assert member is not None
        return member


@pytest.fixture
async def elsewhere(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="https://companion.example.org") as made:
        yield made


@pytest.mark.settings(password_max_pending=64, **NO_BACKOFF)
async def test_concurrent_wrong_passwords_count_exactly_up_to_the_lock(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    member = await world.staff(clinic, email="race@example.org")
    answers = await asyncio.gather(*(_login(client, "race@example.org", f"wrong {i}") for i in range(50)))
    limit = world.settings.login_max_failures
    assert Counter(a.status_code for a in answers) == {401: limit, 423: 50 - limit}
    assert len(await _audit(world, "staff.locked")) == 1
    stored = await _member(world, member.id)
    assert stored.locked_until is not None and stored.locked_until > world.clock.now()
    assert (await _login(client, "race@example.org", PASSWORD)).status_code == 423


@pytest.mark.settings(password_max_pending=64, login_backoff_free_per_address=1000)
async def test_an_account_backs_off_then_starts_afresh_on_success(
    client: AsyncClient, world: World, clock: FrozenClock, elsewhere: httpx.AsyncClient
) -> None:
    clinic = await world.clinic()
    member = await world.staff(clinic, email="slow@example.org")
    free = world.settings.login_backoff_free_per_account
    assert free == 3
    answers = await asyncio.gather(*(_login(client, "slow@example.org", "wrong") for _ in range(20)))
    assert Counter(a.status_code for a in answers) == {401: free, 429: 20 - free}
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.headers["retry-after"] == "2" and "wait" in refused.json()["detail"]
    # The wait is the account's, from any address, and even for the right password.
    assert (await _login(elsewhere, "slow@example.org", PASSWORD)).status_code == 429
    clock.advance(seconds=2)
    assert (await _login(client, "slow@example.org", "wrong")).status_code == 401
    assert (await _login(client, "slow@example.org", PASSWORD)).headers["retry-after"] == "4"
    clock.advance(seconds=4)
    assert (await _login(client, "slow@example.org", PASSWORD)).status_code == 200
    stored = await _member(world, member.id)
    assert stored.failed_logins == 0 and stored.locked_until is None
    for _ in range(free):
        assert (await _login(client, "slow@example.org", "wrong")).status_code == 401


@pytest.mark.settings(login_backoff_free_per_account=1000)
async def test_an_address_backs_off_across_accounts_and_unknown_emails(
    client: AsyncClient, world: World, clock: FrozenClock, elsewhere: httpx.AsyncClient
) -> None:
    clinic = await world.clinic()
    await world.staff(clinic, email="known@example.org")
    free = world.settings.login_backoff_free_per_address
    for index in range(free):
        email = "known@example.org" if index % 4 == 1 else f"nobody{index}@example.org"
        assert (await _login(elsewhere, email, "wrong")).status_code == 401
    refused = await _login(elsewhere, "known@example.org", PASSWORD)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "2"
    # Another address is not held back.
    assert (await _login(client, "known@example.org", PASSWORD)).status_code == 200
    # A success from the address gives back its own attempt, not the wait it was let through with
    # (one address may serve a whole clinic, and a guesser may hold one good password).
    clock.advance(seconds=2)
    assert (await _login(elsewhere, "known@example.org", PASSWORD)).status_code == 200
    assert (await _login(elsewhere, "nobody@example.org", "wrong")).headers["retry-after"] == "4"
    clock.advance(seconds=4)
    assert (await _login(elsewhere, "nobody@example.org", "wrong")).status_code == 401
    assert (await _login(elsewhere, "nobody@example.org", "wrong")).headers["retry-after"] == "4"
    clock.advance(seconds=4)
    assert (await _login(elsewhere, "nobody@example.org", "wrong")).status_code == 401
    assert (await _login(elsewhere, "nobody@example.org", "wrong")).headers["retry-after"] == "8"


async def test_the_lockout_still_holds_after_the_backoff_and_then_ends(
    client: AsyncClient, world: World, clock: FrozenClock
) -> None:
    clinic = await world.clinic()
    await world.staff(clinic, email="outer@example.org")
    statuses = []
    for _ in range(world.settings.login_max_failures):
        response = await _login(client, "outer@example.org", "wrong")
        while response.status_code == 429:
            clock.advance(seconds=int(response.headers["retry-after"]))
            response = await _login(client, "outer@example.org", "wrong")
        statuses.append(response.status_code)
    assert statuses == [401] * world.settings.login_max_failures
    clock.advance(minutes=world.settings.login_lockout_minutes - 1)
    assert (await _login(client, "outer@example.org", PASSWORD)).status_code == 423
    clock.advance(minutes=1)
    assert (await _login(client, "outer@example.org", PASSWORD)).status_code == 200


@pytest.mark.settings(password_max_pending=2, **NO_BACKOFF)
async def test_checks_beyond_the_cap_are_refused_and_count_nothing(
    client: AsyncClient, world: World
) -> None:
    clinic = await world.clinic()
    member = await world.staff(clinic, email="busy@example.org")
    answers = await asyncio.gather(*(_login(client, "busy@example.org", "wrong") for _ in range(6)))
    busy = [a for a in answers if a.status_code == 429]
    assert Counter(a.status_code for a in answers) == {401: 2, 429: 4}
    assert {a.headers["retry-after"] for a in busy} == {"1"}
    assert (await _member(world, member.id)).failed_logins == 2
