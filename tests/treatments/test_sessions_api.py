from __future__ import annotations

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.models import TreatmentSession
from tests.conftest import World

GOOD = {
    "modality": "intranasal",
    "started_at": "2026-11-26T14:00:00-05:00",
    "ended_at": "2026-11-26T16:05:00-05:00",
    "dose_mg": 84,
    "location": "Room 2",
}


async def test_record_correct_and_list(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    member = await world.staff(clinic)
    headers = world.headers(member)
    patient = await world.patient(clinic)
    base = f"/api/v1/patients/{patient.id}/sessions"
    created = await client.post(base, json=GOOD, headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["started_at"] == "2026-11-26T19:00:00Z"
    assert body["recorded_by"] == member.id
    sid = body["id"]

    corrected = await client.patch(f"{base}/{sid}", json={"ended_at": "2026-11-26T21:30:00Z"}, headers=headers)
    assert corrected.status_code == 200 and corrected.json()["ended_at"] == "2026-11-26T21:30:00Z"

    await client.post(base, json={**GOOD, "started_at": "2026-11-20T15:00:00Z", "ended_at": None}, headers=headers)
    listed = await client.get(base, headers=headers)
    assert [s["started_at"] for s in listed.json()] == ["2026-11-26T19:00:00Z", "2026-11-20T15:00:00Z"]


async def _count(session: AsyncSession) -> int:
    return (await session.execute(select(func.count()).select_from(TreatmentSession))).scalar_one()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ended_at": "2026-11-26T13:00:00-05:00"}, "ended_at"),
        ({"started_at": "2026-11-26T14:00:00"}, "started_at"),
        ({"modality": "vapour"}, "modality"),
        ({"dose_mg": -5}, "dose_mg"),
        ({"dose_mg": "lots"}, "dose_mg"),
        ({"location": "x" * 201}, "location"),
        ({"notes": "x" * 4001}, "notes"),
        ({"patient_id": 99}, "patient_id"),
    ],
)
async def test_bad_session_input_names_the_field_and_changes_nothing(
    client: AsyncClient, world: World, session: AsyncSession, change: dict, field: str
) -> None:
    clinic = await world.clinic()
    headers = world.headers(await world.staff(clinic))
    patient = await world.patient(clinic)
    response = await client.post(f"/api/v1/patients/{patient.id}/sessions", json={**GOOD, **change}, headers=headers)
    assert response.status_code == 400, response.text
    assert field in {e.get("key") for e in response.json()["extra"]}, response.json()
    assert await _count(session) == 0


async def test_a_correction_cannot_make_a_session_end_before_it_starts(
    client: AsyncClient, world: World, session: AsyncSession
) -> None:
    clinic = await world.clinic()
    headers = world.headers(await world.staff(clinic))
    patient = await world.patient(clinic)
    base = f"/api/v1/patients/{patient.id}/sessions"
    sid = (await client.post(base, json=GOOD, headers=headers)).json()["id"]
    response = await client.patch(f"{base}/{sid}", json={"started_at": "2026-11-27T00:00:00Z"}, headers=headers)
    assert response.status_code == 400
    assert response.json()["extra"][0]["key"] == "ended_at"
    row = await session.get(TreatmentSession, sid)
    assert row is not None and row.started_at.isoformat() == "2026-11-26T19:00:00+00:00"


async def test_a_session_of_another_patient_is_not_found(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    headers = world.headers(await world.staff(clinic))
    first = await world.patient(clinic, reference="P-1", phone="+12025550111")
    second = await world.patient(clinic, reference="P-2", phone="+12025550112")
    sid = (await client.post(f"/api/v1/patients/{first.id}/sessions", json=GOOD, headers=headers)).json()["id"]
    response = await client.patch(
        f"/api/v1/patients/{second.id}/sessions/{sid}", json={"location": "Elsewhere"}, headers=headers
    )
    assert response.status_code == 404
