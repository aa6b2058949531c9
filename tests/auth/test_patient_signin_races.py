"""Many guesses at one sign-in code at once (SQLite and PostgreSQL alike): only the guesses that
were counted are ever checked, so at most ``patient_code_max_attempts`` of them, and the right
code signs in only when it was one of those."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest
from httpx import AsyncClient
from sqlalchemy import select

from companion.auth import patient_services
from companion.db import create_sessionmaker
from companion.models import PatientLoginCode
from tests.conftest import World

CODE_URL = "/api/v1/auth/patient/code"
VERIFY_URL = "/api/v1/auth/patient/verify"


@pytest.mark.settings(patient_backoff_free_per_phone=10_000)
async def test_of_a_hundred_concurrent_guesses_at_most_the_limit_are_checked(
    client: AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic)
    checked: list[str] = []
    real = patient_services.code_matches

    def counting(secret: str, phone: str, code: str, code_hash: str | None) -> bool:
        if code_hash is not None:
            checked.append(code)
        return real(secret, phone, code, code_hash)

    monkeypatch.setattr(patient_services, "code_matches", counting)
    monkeypatch.setattr(patient_services, "new_code", lambda: "424242")
    limit = world.settings.patient_code_max_attempts
    rng = random.Random(7)
    for _trial in range(5):
        checked.clear()
        assert (await client.post(CODE_URL, json={"phone": patient.phone})).status_code == 202
        guesses = [f"{n:06d}" for n in rng.sample(range(1_000_000), 100) if n != 424242][:99]
        guesses.insert(rng.randrange(100), "424242")
        answers = await asyncio.gather(
            *(client.post(VERIFY_URL, json={"phone": patient.phone, "code": g}) for g in guesses)
        )
        statuses = Counter(a.status_code for a in answers)
        assert len(checked) <= limit
        assert statuses[200] == (1 if "424242" in checked else 0)
        assert statuses[401] == 100 - statuses[200], statuses
        async with create_sessionmaker(world.engine)() as session:
            newest = (
                await session.execute(select(PatientLoginCode).order_by(PatientLoginCode.id.desc()).limit(1))  # type: ignore[union-attr]
            ).scalar_one()
        # Every counted guess was checked and every checked guess counted; with no success, the code
        # took exactly its limit.
        assert newest.attempts == len(checked)
        assert (newest.used_at is not None) == (statuses[200] == 1)
        if statuses[200] == 0:
            assert len(checked) == limit
