"""Through the app: X-Forwarded-For counts only when it comes from a trusted proxy."""

from __future__ import annotations

import pytest
from httpx import AsyncClient
from sqlalchemy import select

from companion.db import create_sessionmaker
from companion.models import PatientLoginCode
from tests.conftest import World


async def _addresses(world: World) -> list[str]:
    async with create_sessionmaker(world.engine)() as session:
        rows = await session.execute(select(PatientLoginCode.client_address).order_by(PatientLoginCode.id))
        return list(rows.scalars())


async def _ask(client: AsyncClient, forwarded_for: str) -> int:
    response = await client.post("/api/v1/auth/patient/code", json={"phone": "+12025550142"},
                                 headers={"X-Forwarded-For": forwarded_for})
    return response.status_code


async def test_an_untrusted_peer_cannot_choose_its_address(client: AsyncClient, world: World) -> None:
    assert world.settings.trusted_proxies == []
    assert await _ask(client, "198.51.100.1") == 202
    assert await _ask(client, "198.51.100.2") == 202
    assert await _addresses(world) == ["127.0.0.1", "127.0.0.1"]


@pytest.mark.settings(trusted_proxies=["127.0.0.0/8"])
async def test_behind_a_trusted_proxy_each_client_counts_apart(client: AsyncClient, world: World) -> None:
    assert await _ask(client, "203.0.113.50, 198.51.100.1") == 202
    assert await _ask(client, "198.51.100.2") == 202
    assert await _addresses(world) == ["198.51.100.1", "198.51.100.2"]
    # The backoff for staff sign-ins follows the forwarded client too.
    free = world.settings.login_backoff_free_per_address
    for _ in range(free):
        response = await client.post("/api/v1/auth/staff/login", json={"email": "x@example.org", "password": "x"},
                                     headers={"X-Forwarded-For": "198.51.100.1"})
        assert response.status_code == 401
    for forwarded, status in (("198.51.100.1", 429), ("198.51.100.2", 401)):
        response = await client.post("/api/v1/auth/staff/login", json={"email": "x@example.org", "password": "x"},
                                     headers={"X-Forwarded-For": forwarded})
        assert response.status_code == status
