"""The hourly plan run plans by its context's protocol: the clinic's ``[aftercare]``, not the
built-in defaults (docs/clinical.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinical.protocol import Protocol
from companion.clock import FrozenClock
from companion.models import Prompt, TreatmentSession
from jobs import extend_plans
from jobs.context import JobContext
from tests.conftest import World
from tests.scheduling.test_protocol_plan import CLINIC

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # 11:00 in New York


@pytest.mark.parametrize(
    ("given", "expected", "reminder_after"),
    [
        pytest.param(CLINIC, ["post_session@11-27 11:00", "mood@11-28 10:00"], timedelta(minutes=45),
                     marks=pytest.mark.protocol(CLINIC), id="clinic-protocol"),
        pytest.param(None, ["post_session@11-27 13:00", "mood@11-28 10:00", "mood@11-29 10:00"],
                     timedelta(hours=3), id="shipped-protocol"),
    ],
)
async def test_the_plan_run_uses_the_context_protocol(
    ctx: JobContext, world: World, session: AsyncSession, clock: FrozenClock,
    given: Protocol | None, expected: list[str], reminder_after: timedelta,
) -> None:
    assert (ctx.protocols.seed() is CLINIC) is (given is not None)
    clock.set(NOW)
    clinic = await world.clinic()
    patient = await world.patient(clinic)
    assert patient.id is not None and clinic.id is not None
    session.add(TreatmentSession(patient_id=patient.id, clinic_id=clinic.id, modality="iv",
                                 started_at=NOW - timedelta(hours=2), ended_at=NOW - timedelta(hours=1),
                                 created_at=NOW))
    await session.commit()
    await extend_plans.run(ctx)
    query = select(Prompt).where(Prompt.patient_id == patient.id).order_by(Prompt.due_at, Prompt.id)
    prompts = list((await session.execute(query)).scalars())
    assert [f"{p.instrument}@{p.due_at.astimezone(NY):%m-%d %H:%M}" for p in prompts] == expected
    assert {p.reminder_due_at - p.due_at for p in prompts if p.reminder_due_at} == {reminder_after}
