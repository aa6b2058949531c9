from __future__ import annotations

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.models import AuditEvent, Patient
from tests.conftest import World

NEW = {
    "reference": "P-2001",
    "display_name": "Morgan Lee",
    "phone": "(202) 555-0199",
    "timezone": "Europe/London",
    "preferred_checkin_time": "09:30",
    "channel": "both",
}


async def test_create_read_update_list_and_discharge(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    headers = world.headers(await world.staff(clinic, "clinician"))
    created = await client.post("/api/v1/patients", json=NEW, headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["phone"] == "+12025550199"
    assert body["preferred_checkin_time"] == "09:30:00"
    assert body["status"] == "active"
    pid = body["id"]

    read = await client.get(f"/api/v1/patients/{pid}", headers=headers)
    assert read.status_code == 200 and read.json()["reference"] == "P-2001"

    updated = await client.patch(f"/api/v1/patients/{pid}", json={"timezone": "Asia/Kolkata"}, headers=headers)
    assert updated.status_code == 200 and updated.json()["timezone"] == "Asia/Kolkata"

    await world.patient(clinic, reference="P-3000", phone="+12025550130")
    listed = await client.get("/api/v1/patients", params={"search": "p-2"}, headers=headers)
    assert [p["reference"] for p in listed.json()["items"]] == ["P-2001"]
    paged = await client.get("/api/v1/patients", params={"limit": 1, "offset": 1}, headers=headers)
    assert paged.json()["total"] == 2 and [p["reference"] for p in paged.json()["items"]] == ["P-3000"]

    discharged = await client.post(f"/api/v1/patients/{pid}/discharge", headers=headers)
    assert discharged.status_code == 200 and discharged.json()["status"] == "discharged"
    active = await client.get("/api/v1/patients", params={"status": "active"}, headers=headers)
    assert [p["reference"] for p in active.json()["items"]] == ["P-3000"]


async def test_duplicate_reference_or_phone_is_a_conflict_naming_the_field(
    client: AsyncClient, world: World
) -> None:
    clinic = await world.clinic()
    headers = world.headers(await world.staff(clinic))
    assert (await client.post("/api/v1/patients", json=NEW, headers=headers)).status_code == 201
    again = await client.post("/api/v1/patients", json=NEW, headers=headers)
    assert again.status_code == 409 and again.json()["extra"][0]["key"] == "reference"
    same_phone = await client.post("/api/v1/patients", json={**NEW, "reference": "P-9"}, headers=headers)
    assert same_phone.status_code == 409 and same_phone.json()["extra"][0]["key"] == "phone"


async def test_the_same_phone_may_belong_to_patients_of_different_clinics(
    client: AsyncClient, world: World
) -> None:
    for name in ("A", "B"):
        clinic = await world.clinic(name)
        headers = world.headers(await world.staff(clinic))
        assert (await client.post("/api/v1/patients", json=NEW, headers=headers)).status_code == 201


async def _count(session: AsyncSession, model: type) -> int:
    return (await session.execute(select(func.count()).select_from(model))).scalar_one()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"phone": "+1 202 555 01"}, "phone"),
        ({"phone": "not a number"}, "phone"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "EST5EDT-nope"}, "timezone"),
        ({"display_name": "x" * 201}, "display_name"),
        ({"reference": "P " * 40}, "reference"),
        ({"reference": "bad ref!"}, "reference"),
        ({"channel": "pigeon"}, "channel"),
        ({"preferred_checkin_time": "25:00"}, "preferred_checkin_time"),
        ({"preferred_checkin_time": 930}, "preferred_checkin_time"),
        ({"display_name": 42}, "display_name"),
        ({"unexpected": "field"}, "unexpected"),
    ],
)
async def test_bad_patient_input_names_the_field_and_changes_nothing(
    client: AsyncClient, world: World, session: AsyncSession, change: dict, field: str
) -> None:
    clinic = await world.clinic()
    headers = world.headers(await world.staff(clinic))
    before_patients, before_audit = await _count(session, Patient), await _count(session, AuditEvent)
    response = await client.post("/api/v1/patients", json={**NEW, **change}, headers=headers)
    assert response.status_code == 400, response.text
    body = response.json()
    assert field in {e.get("key") for e in body["extra"]}, body
    assert field in body["detail"]
    assert await _count(session, Patient) == before_patients
    assert await _count(session, AuditEvent) == before_audit


@pytest.mark.parametrize(
    ("change", "field"),
    [({"phone": "555"}, "phone"), ({"timezone": "Nowhere/Land"}, "timezone"), ({"status": "discharged"}, "status"),
     ({"clinic_id": 2}, "clinic_id")],
)
async def test_bad_update_changes_nothing(
    client: AsyncClient, world: World, session: AsyncSession, change: dict, field: str
) -> None:
    clinic = await world.clinic()
    headers = world.headers(await world.staff(clinic))
    patient = await world.patient(clinic)
    response = await client.patch(f"/api/v1/patients/{patient.id}", json=change, headers=headers)
    assert response.status_code == 400
    assert field in {e.get("key") for e in response.json()["extra"]}
    stored = await session.get(Patient, patient.id)
    assert stored is not None and stored.phone == patient.phone and stored.timezone == patient.timezone


async def test_malformed_json_is_a_clear_400(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    headers = {**world.headers(await world.staff(clinic)), "Content-Type": "application/json"}
    response = await client.post("/api/v1/patients", content=b"{not json", headers=headers)
    assert response.status_code == 400
