"""The clinic's protocol sets the aftercare plan: its ``[aftercare]`` tables time the prompts of
every patient the app plans, whichever change re-plans them (docs/clinical.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinical.plan import DEFAULT_PLAN
from companion.clinical.protocol import Protocol, parse_protocol
from companion.clock import FrozenClock
from companion.models import Patient, Prompt
from companion.protocols import DEFAULT_PROTOCOL_FILE, default_protocol
from tests.conftest import World
from tests.messaging.conftest import Sms

NY = ZoneInfo("America/New_York")
PHONE = "+12025550142"
# The shipped file with a faster aftercare: questionnaires are reminded after 45 minutes and expire
# after a day; after an IV session the check comes an hour after it ends, the daily mood on the
# first day only.
CLINIC = parse_protocol(
    DEFAULT_PROTOCOL_FILE.read_text()
    .replace('version = "default-2026.1"', 'version = "north-aftercare-2"')
    .replace("reminder_after_minutes = 180", "reminder_after_minutes = 45")
    .replace("questionnaire_expiry_hours = 48", "questionnaire_expiry_hours = 24")
    .replace("[aftercare.iv]\n", "[aftercare.iv]\npost_session_delay_minutes = 60\ndaily_mood_days = 1\n"),
    "north.toml",
)


@dataclass(frozen=True)
class Expected:
    reminder_after: timedelta
    baseline_expiry: timedelta
    recorded: list[str]  # an IV session 09:00-10:00 in New York, recorded at 11:00
    corrected: list[str]  # the session ended at 10:30
    patched: list[str]  # the staff move the check-in time to 09:00
    own_settings: list[str]  # the patient moves it to 08:30


UNDER_CLINIC = Expected(
    timedelta(minutes=45), timedelta(hours=24),
    ["post_session@11-27 11:00", "mood@11-28 10:00"],
    ["post_session@11-27 11:30", "mood@11-28 10:00"],
    ["post_session@11-27 11:30", "mood@11-28 09:00"],
    ["post_session@11-27 11:30", "mood@11-28 08:30"],
)
UNDER_SHIPPED = Expected(
    timedelta(hours=3), timedelta(hours=48),
    ["post_session@11-27 13:00", "mood@11-28 10:00", "mood@11-29 10:00"],
    ["post_session@11-27 13:30", "mood@11-28 10:00", "mood@11-29 10:00"],
    ["post_session@11-27 13:30", "mood@11-28 09:00", "mood@11-29 09:00"],
    ["post_session@11-27 13:30", "mood@11-28 08:30", "mood@11-29 08:30"],
)


async def _planned(session: AsyncSession, patient_id: int) -> list[Prompt]:
    query = (
        select(Prompt).where(Prompt.patient_id == patient_id, Prompt.status == "planned")
        .order_by(Prompt.due_at, Prompt.id).execution_options(populate_existing=True)
    )
    return list((await session.execute(query)).scalars())


async def _local(session: AsyncSession, patient_id: int) -> list[str]:
    return [f"{p.instrument}@{p.due_at.astimezone(NY):%m-%d %H:%M}" for p in await _planned(session, patient_id)]


def test_the_clinic_protocol_differs_from_the_shipped_plan() -> None:
    assert default_protocol().aftercare == DEFAULT_PLAN
    assert CLINIC.aftercare != DEFAULT_PLAN
    assert CLINIC.aftercare.for_modality("iv").post_session_delay == timedelta(hours=1)
    assert CLINIC.aftercare.for_modality("oral").post_session_delay == timedelta(hours=3)


@pytest.mark.parametrize(
    ("given", "expected"),
    [pytest.param(CLINIC, UNDER_CLINIC, marks=pytest.mark.protocol(CLINIC), id="clinic-protocol"),
     pytest.param(None, UNDER_SHIPPED, id="shipped-protocol")],
)
async def test_the_app_plans_a_new_patient_by_its_protocol(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock, sms: Sms,
    given: Protocol | None, expected: Expected,
) -> None:
    clock.set(datetime(2026, 11, 27, 16, 0, tzinfo=UTC))  # 11:00 in New York
    clinic = await world.clinic()
    headers = world.headers(await world.staff(clinic))
    created = await client.post("/api/v1/patients", headers=headers, json={
        "reference": "P-1", "display_name": "Pat", "phone": PHONE, "timezone": "America/New_York",
        "preferred_checkin_time": "10:00", "channel": "both"})
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    [baseline] = await _planned(session, pid)
    assert (baseline.instrument, baseline.due_at) == ("phq9", clock.now())
    assert (baseline.reminder_due_at, baseline.expires_at) == (
        clock.now() + expected.reminder_after, clock.now() + expected.baseline_expiry)

    base = f"/api/v1/patients/{pid}/sessions"
    recorded = await client.post(base, headers=headers, json={
        "modality": "iv", "started_at": "2026-11-27T14:00:00Z", "ended_at": "2026-11-27T15:00:00Z"})
    assert recorded.status_code == 201, recorded.text
    assert await _local(session, pid) == expected.recorded
    assert {p.reminder_due_at - p.due_at for p in await _planned(session, pid) if p.reminder_due_at} == {
        expected.reminder_after}
    corrected = await client.patch(f"{base}/{recorded.json()['id']}", headers=headers,
                                   json={"ended_at": "2026-11-27T15:30:00Z"})
    assert corrected.status_code == 200, corrected.text
    assert await _local(session, pid) == expected.corrected
    patched = await client.patch(f"/api/v1/patients/{pid}", headers=headers, json={"preferred_checkin_time": "09:00"})
    assert patched.status_code == 200, patched.text
    assert await _local(session, pid) == expected.patched
    stored = await session.get(Patient, pid)
    assert stored is not None
    own = await client.patch("/api/v1/me/settings", headers=world.patient_headers(stored),
                             json={"preferred_checkin_time": "08:30"})
    assert own.status_code == 200, own.text
    assert await _local(session, pid) == expected.own_settings

    # STOP and START re-plan too: the web prompts of a patient on both channels stay as planned.
    await sms.say(PHONE, "STOP")
    await session.refresh(stored)
    assert stored.sms_consent == "opted_out"
    assert await _local(session, pid) == expected.own_settings
    await sms.say(PHONE, "START")
    assert await _local(session, pid) == expected.own_settings

    cancelled = await client.post(f"{base}/{recorded.json()['id']}/cancel", headers=headers)
    assert cancelled.status_code == 200, cancelled.text
    [baseline] = await _planned(session, pid)
    assert baseline.expires_at - baseline.due_at == expected.baseline_expiry
