"""A patient's own settings: preferred time, channel and quiet hours, with re-planning and audit."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.models import AuditEvent, Patient, Prompt
from tests.conftest import World

NY = ZoneInfo("America/New_York")
SETTINGS = "/api/v1/me/settings"


async def _planned(session: AsyncSession, patient_id: int | None) -> list[str]:
    query = (
        select(Prompt)
        .where(Prompt.patient_id == patient_id, Prompt.status == "planned")
        .order_by(Prompt.due_at, Prompt.id)
        .execution_options(populate_existing=True)
    )
    return [f"{p.instrument}@{p.due_at.astimezone(NY):%m-%d %H:%M}" for p in (await session.execute(query)).scalars()]


async def _settings_events(session: AsyncSession) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == "patient.settings").order_by(AuditEvent.id)
    return list((await session.execute(query.execution_options(populate_existing=True))).scalars())


async def test_the_profile_shows_quiet_hours(client: AsyncClient, world: World) -> None:
    patient = await world.patient(await world.clinic())
    me = await client.get("/api/v1/me", headers=world.patient_headers(patient))
    assert me.status_code == 200
    body = me.json()
    assert (body["preferred_checkin_time"], body["quiet_start"], body["quiet_end"]) == ("10:00:00", "21:00:00",
                                                                                       "08:00:00")
    assert body["channel"] == "sms"


async def test_a_patient_changes_their_settings_and_the_plan_follows(
    client: AsyncClient, world: World, session: AsyncSession
) -> None:
    clinic = await world.clinic()
    staff_headers = world.headers(await world.staff(clinic))
    patient = await world.patient(clinic)
    headers = world.patient_headers(patient)
    recorded = await client.post(f"/api/v1/patients/{patient.id}/sessions", headers=staff_headers, json={
        "modality": "iv", "started_at": "2026-11-27T14:00:00Z", "ended_at": "2026-11-27T15:00:00Z"})
    assert recorded.status_code == 201, recorded.text
    before = await _planned(session, patient.id)
    assert "mood@11-28 10:00" in before

    response = await client.patch(SETTINGS, headers=headers, json={
        "preferred_checkin_time": "08:30", "channel": "both", "quiet_start": "22:00", "quiet_end": "07:00"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["preferred_checkin_time"], body["channel"], body["quiet_start"], body["quiet_end"]) == (
        "08:30:00", "both", "22:00:00", "07:00:00")
    me = (await client.get("/api/v1/me", headers=headers)).json()
    assert (me["preferred_checkin_time"], me["channel"], me["quiet_start"], me["quiet_end"]) == (
        "08:30:00", "both", "22:00:00", "07:00:00")

    after = await _planned(session, patient.id)
    assert "mood@11-28 08:30" in after and "mood@11-28 10:00" not in after
    assert [p for p in after if not p.startswith("mood@")] == [p for p in before if not p.startswith("mood@")]

    [event] = await _settings_events(session)
    assert event.actor == f"patient:{patient.id}" and event.subject == f"patient:{patient.id}"
    assert event.clinic_id == clinic.id
    assert event.detail == {"fields": ["channel", "preferred_checkin_time", "quiet_end", "quiet_start"]}


async def test_quiet_hours_move_a_prompt_out_of_them(
    client: AsyncClient, world: World, session: AsyncSession
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic)
    staff_headers = world.headers(await world.staff(clinic))
    await client.post(f"/api/v1/patients/{patient.id}/sessions", headers=staff_headers, json={
        "modality": "iv", "started_at": "2026-11-27T14:00:00Z", "ended_at": "2026-11-27T15:00:00Z"})
    assert "mood@11-28 10:00" in await _planned(session, patient.id)
    # Quiet until 11:00: the 10:00 prompt waits for the end of the quiet hours.
    response = await client.patch(SETTINGS, headers=world.patient_headers(patient), json={"quiet_end": "11:00"})
    assert response.status_code == 200, response.text
    after = await _planned(session, patient.id)
    assert "mood@11-28 11:00" in after and "mood@11-28 10:00" not in after
    [event] = await _settings_events(session)
    assert event.detail == {"fields": ["quiet_end"]}


async def test_sending_the_same_settings_changes_nothing(
    client: AsyncClient, world: World, session: AsyncSession
) -> None:
    patient = await world.patient(await world.clinic())
    response = await client.patch(SETTINGS, headers=world.patient_headers(patient),
                                  json={"preferred_checkin_time": "10:00", "channel": "sms"})
    assert response.status_code == 200, response.text
    assert await _settings_events(session) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"preferred_checkin_time": "25:00"}, "preferred_checkin_time"),
        ({"preferred_checkin_time": "nine"}, "preferred_checkin_time"),
        ({"preferred_checkin_time": "09:00+02:00"}, "preferred_checkin_time"),
        ({"preferred_checkin_time": 900}, "preferred_checkin_time"),
        ({"channel": "email"}, "channel"),
        ({"quiet_start": "23:00", "quiet_end": "23:00"}, "quiet_end"),
        ({"channel": None}, "channel"),
        ({"quiet_start": None, "quiet_end": "06:00"}, "quiet_start"),
        ({}, None),
        ({"timezone": "Europe/London"}, "timezone"),
        ({"phone": "+12025550199"}, "phone"),
    ],
)
async def test_invalid_settings_are_refused_and_nothing_changes(
    client: AsyncClient, world: World, session: AsyncSession, change: dict[str, Any], field: str | None
) -> None:
    patient = await world.patient(await world.clinic())
    response = await client.patch(SETTINGS, headers=world.patient_headers(patient), json=change)
    assert response.status_code == 400, response.text
    if field is not None:
        assert field in [e.get("key") for e in response.json()["extra"]]
    stored = (await session.execute(
        select(Patient).where(Patient.id == patient.id).execution_options(populate_existing=True))).scalar_one()
    assert (stored.preferred_checkin_time, stored.channel, stored.timezone, stored.phone) == (
        patient.preferred_checkin_time, "sms", patient.timezone, patient.phone)
    assert await _settings_events(session) == []


async def test_quiet_hours_may_not_start_where_the_stored_ones_end(
    client: AsyncClient, world: World, session: AsyncSession
) -> None:
    patient = await world.patient(await world.clinic())
    response = await client.patch(SETTINGS, headers=world.patient_headers(patient), json={"quiet_start": "08:00"})
    assert response.status_code == 400
    assert response.json()["extra"][0]["key"] == "quiet_start"
    assert "different times" in response.json()["detail"]
    assert await _settings_events(session) == []


async def test_only_the_patient_themselves_may_change_settings(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic)
    other = await world.patient(clinic, reference="P-2", phone="+12025550143")
    change = {"preferred_checkin_time": "07:00"}
    assert (await client.patch(SETTINGS, json=change)).status_code == 401
    staff = world.headers(await world.staff(clinic, "admin"))
    assert (await client.patch(SETTINGS, headers=staff, json=change)).status_code == 401
    mine = await client.patch(SETTINGS, headers=world.patient_headers(patient), json=change)
    assert mine.status_code == 200 and mine.json()["reference"] == "P-1042"
    theirs = (await client.get("/api/v1/me", headers=world.patient_headers(other))).json()
    assert theirs["preferred_checkin_time"] == "10:00:00"


async def test_a_discharged_patient_cannot_change_settings(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic)
    staff = world.headers(await world.staff(clinic, "admin"))
    assert (await client.post(f"/api/v1/patients/{patient.id}/discharge", headers=staff)).status_code == 200
    response = await client.patch(SETTINGS, headers=world.patient_headers(patient), json={"channel": "app"})
    assert response.status_code == 401
