"""A changed password, role or deactivation ends a staff member's sessions; a new phone number ends
a patient's (and the links sent to the old number). Unrelated changes end nothing, and signing in
again works."""

from __future__ import annotations

import re
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import select

from companion.auth.links import link_token
from companion.auth.revocation import SESSION_ENDED, end_staff_sessions
from companion.db import create_sessionmaker
from companion.models import OutboundMessage, Patient, Prompt, StaffMember
from tests.checkins.helpers import make_prompt
from tests.conftest import PASSWORD, World

NEW_PASSWORD = "a brand new passphrase"
NEW_PHONE = "+12025550188"


async def _fresh(world: World, model: Any, row_id: int | None) -> Any:
    async with create_sessionmaker(world.engine)() as session:
        return await session.get(model, row_id)


async def _login(client: AsyncClient, email: str, password: str) -> dict[str, str]:
    response = await client.post("/api/v1/auth/staff/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _patients(client: AsyncClient, headers: dict[str, str]) -> tuple[int, str]:
    response = await client.get("/api/v1/patients", headers=headers)
    return response.status_code, response.json().get("detail", "")


@pytest.mark.parametrize(
    ("change", "password_after", "message"),
    [
        ({"password": NEW_PASSWORD}, NEW_PASSWORD, SESSION_ENDED),
        ({"role": "staff"}, PASSWORD, SESSION_ENDED),
        ({"role": "admin"}, PASSWORD, SESSION_ENDED),
        ({"active": False}, None, "this account is no longer active"),
        ({"name": "Renamed", "password": NEW_PASSWORD}, NEW_PASSWORD, SESSION_ENDED),
    ],
)
async def test_each_change_ends_the_tokens_issued_before_it(
    client: AsyncClient, world: World, change: dict[str, Any], password_after: str | None, message: str
) -> None:
    clinic = await world.clinic()
    admin = await world.staff(clinic, "admin")
    member = await world.staff(clinic, "clinician")
    issued = world.headers(member)
    signed_in = await _login(client, member.email, PASSWORD)
    assert (await _patients(client, issued))[0] == (await _patients(client, signed_in))[0] == 200

    response = await client.patch(f"/api/v1/staff/{member.id}", json=change, headers=world.headers(admin))
    assert response.status_code == 200, response.text

    for headers in (issued, signed_in):
        assert await _patients(client, headers) == (401, message)
    stored = await _fresh(world, StaffMember, member.id)
    assert stored.token_version == 1
    if password_after is not None:
        assert (await _patients(client, await _login(client, member.email, password_after)))[0] == 200
    # The admin who made the change keeps their session.
    assert (await _patients(client, world.headers(admin)))[0] == 200


@pytest.mark.parametrize(
    "change",
    [{"name": "Renamed"}, {"phone": "+12025550111"}, {"phone": None}, {"role": "clinician"}, {"active": True},
     {"role": None, "active": None, "password": None}],
)
async def test_unrelated_or_unchanged_fields_end_nothing(
    client: AsyncClient, world: World, change: dict[str, Any]
) -> None:
    clinic = await world.clinic()
    admin = await world.staff(clinic, "admin")
    member = await world.staff(clinic, "clinician")
    issued = world.headers(member)
    response = await client.patch(f"/api/v1/staff/{member.id}", json=change, headers=world.headers(admin))
    assert response.status_code == 200, response.text
    assert (await _patients(client, issued))[0] == 200
    assert (await _fresh(world, StaffMember, member.id)).token_version == 0
    assert (await _patients(client, await _login(client, member.email, PASSWORD)))[0] == 200


async def test_a_reactivated_account_signs_in_again_but_old_tokens_stay_ended(
    client: AsyncClient, world: World
) -> None:
    clinic = await world.clinic()
    admin = await world.staff(clinic, "admin")
    member = await world.staff(clinic, "clinician")
    issued = world.headers(member)
    for active in (False, True):
        response = await client.patch(f"/api/v1/staff/{member.id}", json={"active": active},
                                      headers=world.headers(admin))
        assert response.status_code == 200
    assert await _patients(client, issued) == (401, SESSION_ENDED)
    assert (await _patients(client, await _login(client, member.email, PASSWORD)))[0] == 200


async def test_an_admin_who_changes_their_own_password_signs_in_again(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    admin = await world.staff(clinic, "admin")
    headers = world.headers(admin)
    response = await client.patch(f"/api/v1/staff/{admin.id}", json={"password": NEW_PASSWORD}, headers=headers)
    assert response.status_code == 200
    assert await _patients(client, headers) == (401, SESSION_ENDED)
    assert (await _patients(client, await _login(client, admin.email, NEW_PASSWORD)))[0] == 200


async def test_the_increment_is_made_by_the_database(world: World) -> None:
    """Two changes at once, each from a row it loaded before the other committed, both count."""
    clinic = await world.clinic()
    member = await world.staff(clinic)
    maker = create_sessionmaker(world.engine)
    async with maker() as first, maker() as second:
        loaded_first = await first.get(StaffMember, member.id)
        await first.commit()  # ends the read; the row stays loaded at version 0
        loaded_second = await second.get(StaffMember, member.id)
        await second.commit()
        assert loaded_first is not None and loaded_second is not None
        await end_staff_sessions(first, loaded_first)
        await first.commit()
        await end_staff_sessions(second, loaded_second)
        await second.commit()
        assert loaded_second.token_version == 2  # the loaded row follows the database
    assert (await _fresh(world, StaffMember, member.id)).token_version == 2


async def _patient_sign_in(client: AsyncClient, world: World, patient_id: int | None, phone: str) -> dict[str, str]:
    assert (await client.post("/api/v1/auth/patient/code", json={"phone": phone})).status_code == 202
    async with create_sessionmaker(world.engine)() as session:
        query = (
            select(OutboundMessage.body)
            .where(OutboundMessage.patient_id == patient_id, OutboundMessage.purpose == "otp",
                   OutboundMessage.to_phone == phone)
            .order_by(OutboundMessage.id.desc())  # type: ignore[union-attr]
        )
        body = (await session.execute(query)).scalars().first()
    assert body is not None
    code = re.search(r"\b(\d{6})\b", body)
    assert code is not None
    response = await client.post("/api/v1/auth/patient/verify", json={"phone": phone, "code": code.group(1)})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _me(client: AsyncClient, headers: dict[str, str]) -> tuple[int, str]:
    response = await client.get("/api/v1/me", headers=headers)
    return response.status_code, response.json().get("detail", "")


async def test_a_new_phone_number_ends_the_patients_sessions_and_links(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    clinician = await world.staff(clinic, "clinician")
    patient = await world.patient(clinic)
    issued = world.patient_headers(patient)
    signed_in = await _patient_sign_in(client, world, patient.id, patient.phone)
    async with create_sessionmaker(world.engine)() as session:
        used = await make_prompt(session, world.clock, patient.id or 0, "mood", slot="used")
        unused = await make_prompt(session, world.clock, patient.id or 0, "mood", slot="unused")
        used_link, unused_link = link_token(world.settings, used), link_token(world.settings, unused)
        await session.commit()
    opened = await client.post("/api/v1/auth/patient/link", json={"token": used_link})
    assert opened.status_code == 200
    from_link = {"Authorization": f"Bearer {opened.json()['access_token']}"}
    assert (await _me(client, from_link))[0] == 200

    response = await client.patch(f"/api/v1/patients/{patient.id}", json={"phone": NEW_PHONE},
                                  headers=world.headers(clinician))
    assert response.status_code == 200, response.text

    for headers in (issued, signed_in, from_link):
        assert await _me(client, headers) == (401, SESSION_ENDED)
    assert (await client.post("/api/v1/auth/patient/link", json={"token": unused_link})).status_code == 401
    assert (await _fresh(world, Prompt, unused.id)).link_nonce is None
    assert (await _fresh(world, Patient, patient.id)).token_version == 1
    # The patient signs in with the new number, and the new token works.
    assert (await _me(client, await _patient_sign_in(client, world, patient.id, NEW_PHONE)))[0] == 200


@pytest.mark.parametrize(
    "change",
    [{"display_name": "Pat Renamed"}, {"phone": "+12025550142"}, {"preferred_checkin_time": "09:30"},
     {"status": "paused"}],
)
async def test_other_patient_changes_end_nothing(client: AsyncClient, world: World, change: dict[str, Any]) -> None:
    clinic = await world.clinic()
    clinician = await world.staff(clinic, "clinician")
    patient = await world.patient(clinic, phone="+12025550142")
    issued = world.patient_headers(patient)
    async with create_sessionmaker(world.engine)() as session:
        prompt = await make_prompt(session, world.clock, patient.id or 0, "mood")
        link = link_token(world.settings, prompt)
        await session.commit()
    response = await client.patch(f"/api/v1/patients/{patient.id}", json=change, headers=world.headers(clinician))
    assert response.status_code == 200, response.text
    assert (await _me(client, issued))[0] == 200
    assert (await _fresh(world, Patient, patient.id)).token_version == 0
    assert (await client.post("/api/v1/auth/patient/link", json={"token": link})).status_code == 200


async def test_a_patients_own_settings_end_nothing(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic)
    headers = world.patient_headers(patient)
    response = await client.patch("/api/v1/me/settings", json={"channel": "app", "quiet_start": "22:00"},
                                  headers=headers)
    assert response.status_code == 200, response.text
    assert (await _me(client, headers))[0] == 200
