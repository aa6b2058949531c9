"""Re-planning as rows: recording, moving and cancelling sessions; patient changes; idempotence."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinical.plan import DEFAULT_PLAN
from companion.clock import FrozenClock
from companion.models import Patient, Prompt
from companion.scheduling.services import extend_plans, replan_patient
from tests.conftest import World
from tests.enrolment import answers_yes

NY = ZoneInfo("America/New_York")


async def _prompts(session: AsyncSession, patient_id: int | None, status: str | None = "planned") -> list[Prompt]:
    query = select(Prompt).where(Prompt.patient_id == patient_id).order_by(Prompt.due_at, Prompt.id)
    if status:
        query = query.where(Prompt.status == status)
    return list((await session.execute(query.execution_options(populate_existing=True))).scalars())


def _local(prompt: Prompt) -> str:
    return f"{prompt.instrument}@{prompt.due_at.astimezone(NY):%m-%d %H:%M}"


async def test_recording_a_session_plans_its_aftercare(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 11, 27, 13, 0, tzinfo=UTC))  # 08:00 in New York
    clinic = await world.clinic()
    headers = world.headers(await world.staff(clinic))
    created = await client.post("/api/v1/patients", headers=headers, json={
        "reference": "P-1", "display_name": "Pat", "phone": "+12025550142", "timezone": "America/New_York",
        "preferred_checkin_time": "10:00"})
    pid = created.json()["id"]
    # Nothing is planned for an SMS patient until they reply YES to the welcome.
    assert await _prompts(session, pid, None) == []
    await answers_yes(session, clock, pid)
    # A new patient with no session and no PHQ-9 gets the baseline PHQ-9 at once.
    assert [p.slot for p in await _prompts(session, pid)] == ["phq9:baseline"]
    response = await client.post(f"/api/v1/patients/{pid}/sessions", headers=headers, json={
        "modality": "iv", "started_at": "2026-11-27T14:00:00Z", "ended_at": "2026-11-27T15:00:00Z"})
    assert response.status_code == 201
    # Before a scheduled first session, the baseline is that session's pre-session PHQ-9.
    assert [p.slot for p in await _prompts(session, pid)] == [f"phq9:pre:{response.json()['id']}"]
    assert [p.slot for p in await _prompts(session, pid, "cancelled")] == ["phq9:baseline"]
    clock.set(datetime(2026, 11, 27, 16, 0, tzinfo=UTC))
    await extend_plans(session, clock, DEFAULT_PLAN)
    await session.commit()
    planned = [_local(p) for p in await _prompts(session, pid) if p.expires_at > clock.now()]
    assert planned == ["post_session@11-27 13:00", "mood@11-28 10:00", "mood@11-29 10:00"]


async def test_planning_twice_plans_nothing_new(world: World, session: AsyncSession, clock: FrozenClock) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic)
    stored = await session.get(Patient, patient.id)
    assert stored is not None
    first = await replan_patient(session, clock, stored, DEFAULT_PLAN)
    again = await replan_patient(session, clock, stored, DEFAULT_PLAN)
    await extend_plans(session, clock, DEFAULT_PLAN)
    await session.commit()
    assert (first.created, again.created, again.retimed, again.cancelled) == (1, 0, 0, 0)
    assert len(await _prompts(session, patient.id)) == 1


async def test_moving_and_cancelling_a_session_replans(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 11, 27, 13, 0, tzinfo=UTC))
    clinic = await world.clinic()
    headers = world.headers(await world.staff(clinic))
    patient = await world.patient(clinic)
    base = f"/api/v1/patients/{patient.id}/sessions"
    recorded = await client.post(base, headers=headers, json={
        "modality": "intranasal", "started_at": "2026-11-27T14:00:00Z", "ended_at": "2026-11-27T16:00:00Z"})
    sid = recorded.json()["id"]
    # A session is planned around once it has started (the hourly plan run picks it up).
    assert [p for p in await _prompts(session, patient.id) if p.instrument == "post_session"] == []
    clock.set(datetime(2026, 11, 27, 14, 30, tzinfo=UTC))
    await extend_plans(session, clock, DEFAULT_PLAN)
    await session.commit()
    post = [p for p in await _prompts(session, patient.id) if p.instrument == "post_session"]
    assert [_local(p) for p in post] == ["post_session@11-27 14:00"]
    await client.patch(f"{base}/{sid}", headers=headers, json={"ended_at": "2026-11-27T18:00:00Z"})
    post = [p for p in await _prompts(session, patient.id) if p.instrument == "post_session"]
    assert [_local(p) for p in post] == ["post_session@11-27 16:00"]
    assert post[0].reminder_due_at == post[0].due_at + timedelta(hours=3)
    await client.post(f"{base}/{sid}/cancel", headers=headers)
    assert [p.slot for p in await _prompts(session, patient.id)] == ["phq9:baseline"]
    assert [p.instrument for p in await _prompts(session, patient.id, "cancelled")].count("post_session") == 1
    assert {p.status for p in await _prompts(session, patient.id, "cancelled")} == {"cancelled"}


async def test_a_new_time_zone_or_preferred_time_retimes_future_prompts(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 11, 27, 13, 0, tzinfo=UTC))
    clinic = await world.clinic()
    headers = world.headers(await world.staff(clinic))
    patient = await world.patient(clinic)
    await client.post(f"/api/v1/patients/{patient.id}/sessions", headers=headers, json={
        "modality": "oral", "started_at": "2026-11-26T15:00:00Z", "ended_at": "2026-11-26T16:00:00Z"})
    moods = [p for p in await _prompts(session, patient.id) if p.instrument == "mood"]
    assert [p.due_at.astimezone(NY).time() for p in moods] == [time(10, 0)] * len(moods)
    await client.patch(f"/api/v1/patients/{patient.id}", headers=headers,
                       json={"timezone": "Asia/Kolkata", "preferred_checkin_time": "09:15"})
    kolkata = ZoneInfo("Asia/Kolkata")
    moods = [p for p in await _prompts(session, patient.id) if p.instrument == "mood"]
    assert moods and all(p.due_at.astimezone(kolkata).time() == time(9, 15) for p in moods)


async def test_pause_discharge_and_opt_out_stop_prompts_and_resume_plans_again(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    clinic = await world.clinic()
    headers = world.headers(await world.staff(clinic))
    patient = await world.patient(clinic)
    stored = await session.get(Patient, patient.id)
    assert stored is not None
    await replan_patient(session, clock, stored, DEFAULT_PLAN)
    await session.commit()
    assert len(await _prompts(session, patient.id)) == 1
    await client.patch(f"/api/v1/patients/{patient.id}", headers=headers, json={"status": "paused"})
    assert await _prompts(session, patient.id) == []
    await client.patch(f"/api/v1/patients/{patient.id}", headers=headers, json={"status": "active"})
    assert len(await _prompts(session, patient.id)) == 1
    await client.post(f"/api/v1/patients/{patient.id}/discharge", headers=headers)
    assert await _prompts(session, patient.id) == []
    await extend_plans(session, clock, DEFAULT_PLAN)
    await session.commit()
    assert await _prompts(session, patient.id) == []
