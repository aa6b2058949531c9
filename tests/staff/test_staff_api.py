from __future__ import annotations

import pytest
from httpx import AsyncClient

from tests.conftest import World


async def test_admin_manages_staff_and_the_new_member_can_sign_in(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    headers = world.headers(await world.staff(clinic, "admin"))
    created = await client.post(
        "/api/v1/staff",
        json={"name": "Nurse Kim", "email": "Kim@Example.org", "phone": "202-555-0160", "role": "staff",
              "password": "a long enough password"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["email"] == "kim@example.org" and body["phone"] == "+12025550160"
    assert "password" not in body and "password_hash" not in body
    login = await client.post("/api/v1/auth/staff/login",
                              json={"email": "kim@example.org", "password": "a long enough password"})
    assert login.status_code == 200 and login.json()["role"] == "staff"
    duplicate = await client.post(
        "/api/v1/staff",
        json={"name": "Kim 2", "email": "KIM@example.org", "role": "staff", "password": "another long one"},
        headers=headers,
    )
    assert duplicate.status_code == 409 and duplicate.json()["extra"][0]["key"] == "email"


@pytest.mark.parametrize(
    ("change", "field"),
    [({"email": "not-an-email"}, "email"), ({"role": "owner"}, "role"), ({"password": "short"}, "password"),
     ({"phone": "12"}, "phone"), ({"superuser": True}, "superuser")],
)
async def test_bad_staff_input_is_refused(client: AsyncClient, world: World, change: dict, field: str) -> None:
    clinic = await world.clinic()
    headers = world.headers(await world.staff(clinic, "admin"))
    body = {"name": "X", "email": "x@example.org", "role": "staff", "password": "long enough pw", **change}
    response = await client.post("/api/v1/staff", json=body, headers=headers)
    assert response.status_code == 400
    assert field in {e.get("key") for e in response.json()["extra"]}


async def test_an_admin_cannot_lock_themselves_out(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    admin = await world.staff(clinic, "admin")
    response = await client.patch(f"/api/v1/staff/{admin.id}", json={"role": "staff"}, headers=world.headers(admin))
    assert response.status_code == 409


async def test_admin_updates_clinic_hours_and_bad_hours_are_refused(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    headers = world.headers(await world.staff(clinic, "admin"))
    ok = await client.patch(f"/api/v1/clinics/{clinic.id}",
                            json={"business_hours": {"mon": ["08:00", "18:00"]}, "timezone": "America/Denver"},
                            headers=headers)
    assert ok.status_code == 200 and ok.json()["business_hours"] == {"mon": ["08:00", "18:00"]}
    for hours in ({"funday": ["08:00", "18:00"]}, {"mon": ["18:00", "08:00"]}, {"mon": ["8am", "6pm"]}):
        bad = await client.patch(f"/api/v1/clinics/{clinic.id}", json={"business_hours": hours}, headers=headers)
        assert bad.status_code == 400 and bad.json()["extra"][0]["key"] == "business_hours"
