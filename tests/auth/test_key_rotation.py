"""Rotating the secret key: with the new key first and the old one second, everything the old key
signed keeps working and everything new is signed with the new key; a key not listed opens nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth import tokens
from companion.auth.links import link_token
from companion.auth.patient_services import request_code
from companion.clock import FrozenClock
from companion.models import OutboundMessage
from companion.settings import Settings
from tests.checkins.helpers import make_prompt
from tests.conftest import PASSWORD, World

OLD = "the-previous-key-" + "o" * 32
NEW = "the-current-key-" + "n" * 32
STRANGER = "a-key-never-configured-" + "s" * 32
PHONE = "+12025550142"


@pytest.fixture
def previous(migrated: str) -> Settings:
    """The settings before the rotation: the old key alone."""
    return Settings(database_url=migrated, secret_key=OLD, public_base_url="https://companion.example.org")


@pytest.fixture
def settings(previous: Settings) -> Settings:
    """The app runs after the rotation: the new key first, the old one second."""
    return previous.model_copy(update={"secret_key": f"{NEW}, {OLD}"})


def _bearer(key: str, claims: tokens.TokenClaims) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.issue(key, claims)}"}


async def test_staff_tokens_of_the_old_key_still_work_and_strangers_do_not(
    client: AsyncClient, world: World, clock: FrozenClock
) -> None:
    clinic = await world.clinic()
    member = await world.staff(clinic, "clinician")
    claims = tokens.make_claims("staff", member.id or 0, clinic.id or 0, "clinician", clock.now(), timedelta(hours=1))
    assert (await client.get("/api/v1/patients", headers=_bearer(OLD, claims))).status_code == 200
    assert (await client.get("/api/v1/patients", headers=_bearer(NEW, claims))).status_code == 200
    refused = await client.get("/api/v1/patients", headers=_bearer(STRANGER, claims))
    assert refused.status_code == 401 and "bad signature" in refused.json()["detail"]


async def test_a_new_sign_in_is_signed_with_the_first_key(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    await world.staff(clinic, email="rotate@example.org")
    response = await client.post("/api/v1/auth/staff/login", json={"email": "rotate@example.org", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["access_token"]
    assert tokens.verify([NEW], token, world.clock.now()).kind == "staff"
    with pytest.raises(tokens.TokenError):
        tokens.verify([OLD], token, world.clock.now())


async def test_a_code_sent_before_the_rotation_signs_in_after_it(
    client: AsyncClient, world: World, session: AsyncSession, clock: FrozenClock, previous: Settings
) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone=PHONE)
    await request_code(session, clock, previous, PHONE, "203.0.113.9")
    await session.commit()
    body = (await session.execute(select(OutboundMessage.body))).scalar_one()
    code = re.search(r"\b(\d{6})\b", body)
    assert code is not None
    response = await client.post("/api/v1/auth/patient/verify", json={"phone": PHONE, "code": code.group(1)})
    assert response.status_code == 200, response.text
    assert tokens.verify([NEW], response.json()["access_token"], clock.now()).kind == "patient"


async def test_a_link_sent_before_the_rotation_opens_after_it(
    client: AsyncClient, world: World, session: AsyncSession, clock: FrozenClock, previous: Settings
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PHONE)
    old_link = await make_prompt(session, clock, patient.id or 0, "mood", slot="old")
    stranger_link = await make_prompt(session, clock, patient.id or 0, "mood", slot="stranger")
    old_token = link_token(previous, old_link)
    stranger_token = link_token(previous.model_copy(update={"secret_key": STRANGER}), stranger_link)
    await session.commit()
    opened = await client.post("/api/v1/auth/patient/link", json={"token": old_token})
    assert opened.status_code == 200 and opened.json()["prompt_id"] == old_link.id
    assert (await client.post("/api/v1/auth/patient/link", json={"token": stranger_token})).status_code == 401
