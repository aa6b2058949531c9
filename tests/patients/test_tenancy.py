"""Staff of clinic A can neither read, list, change nor infer clinic B's patients."""

from __future__ import annotations

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from companion.models import Patient
from tests.conftest import World


async def test_other_clinics_patients_are_invisible(client: AsyncClient, world: World, session: AsyncSession) -> None:
    clinic_a, clinic_b = await world.clinic("A"), await world.clinic("B")
    headers_a = world.headers(await world.staff(clinic_a, "admin"))
    theirs = await world.patient(clinic_b, reference="P-1", phone="+12025550111")
    mine = await world.patient(clinic_a, reference="P-2", phone="+12025550112")
    missing_id = (theirs.id or 0) + 1000

    for pid in (theirs.id, missing_id):
        read = await client.get(f"/api/v1/patients/{pid}", headers=headers_a)
        assert read.status_code == 404
        assert read.json()["detail"] == "patient not found"
    assert (await client.get(f"/api/v1/patients/{theirs.id}", headers=headers_a)).json() == (
        await client.get(f"/api/v1/patients/{missing_id}", headers=headers_a)
    ).json()

    listed = await client.get("/api/v1/patients", params={"search": "P-1"}, headers=headers_a)
    assert listed.json()["items"] == [] and listed.json()["total"] == 0
    everything = await client.get("/api/v1/patients", headers=headers_a)
    assert [p["id"] for p in everything.json()["items"]] == [mine.id]

    changed = await client.patch(f"/api/v1/patients/{theirs.id}", json={"display_name": "X"}, headers=headers_a)
    assert changed.status_code == 404
    assert (await client.post(f"/api/v1/patients/{theirs.id}/discharge", headers=headers_a)).status_code == 404
    sessions = await client.get(f"/api/v1/patients/{theirs.id}/sessions", headers=headers_a)
    assert sessions.status_code == 404
    recorded = await client.post(
        f"/api/v1/patients/{theirs.id}/sessions",
        json={"modality": "iv", "started_at": "2026-11-20T15:00:00Z"},
        headers=headers_a,
    )
    assert recorded.status_code == 404

    stored = await session.get(Patient, theirs.id)
    assert stored is not None and stored.display_name == theirs.display_name and stored.status == "active"


async def test_clinic_and_staff_of_another_clinic_are_invisible(client: AsyncClient, world: World) -> None:
    clinic_a, clinic_b = await world.clinic("A"), await world.clinic("B")
    headers_a = world.headers(await world.staff(clinic_a, "admin"))
    other = await world.staff(clinic_b, "clinician")
    assert (await client.get(f"/api/v1/clinics/{clinic_b.id}", headers=headers_a)).status_code == 404
    assert (await client.patch(f"/api/v1/clinics/{clinic_b.id}", json={"name": "Mine"},
                               headers=headers_a)).status_code == 404
    assert (await client.get(f"/api/v1/staff/{other.id}", headers=headers_a)).status_code == 404
    assert (await client.patch(f"/api/v1/staff/{other.id}", json={"active": False},
                               headers=headers_a)).status_code == 404
    listed = await client.get("/api/v1/staff", headers=headers_a)
    assert other.id not in {m["id"] for m in listed.json()}
    clinics = await client.get("/api/v1/clinics", headers=headers_a)
    assert [c["id"] for c in clinics.json()] == [clinic_a.id]


async def test_a_reference_taken_in_another_clinic_does_not_leak(client: AsyncClient, world: World) -> None:
    clinic_a, clinic_b = await world.clinic("A"), await world.clinic("B")
    await world.patient(clinic_b, reference="P-5", phone="+12025550155")
    headers_a = world.headers(await world.staff(clinic_a))
    response = await client.post(
        "/api/v1/patients",
        json={"reference": "P-5", "display_name": "Sam", "phone": "+12025550155", "timezone": "UTC"},
        headers=headers_a,
    )
    assert response.status_code == 201
