"""Reading and changing a patient writes audit events, with no phone number or name in them."""

from __future__ import annotations

import json

from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.models import AuditEvent
from tests.conftest import World


async def test_reads_and_changes_are_audited_without_phi(
    client: AsyncClient, world: World, session: AsyncSession
) -> None:
    clinic = await world.clinic()
    member = await world.staff(clinic)
    headers = world.headers(member)
    created = await client.post(
        "/api/v1/patients",
        json={"reference": "P-77", "display_name": "Quinn Avery", "phone": "+12025550177",
              "timezone": "America/Chicago"},
        headers=headers,
    )
    pid = created.json()["id"]
    await client.get(f"/api/v1/patients/{pid}", headers=headers)
    await client.patch(f"/api/v1/patients/{pid}", json={"phone": "+12025550178", "display_name": "Q. Avery"},
                       headers=headers)
    await client.get("/api/v1/patients", headers=headers)
    await client.post(f"/api/v1/patients/{pid}/sessions",
                      json={"modality": "iv", "started_at": "2026-11-26T15:00:00Z"}, headers=headers)
    await client.get(f"/api/v1/patients/{pid}/sessions", headers=headers)
    await client.post(f"/api/v1/patients/{pid}/discharge", headers=headers)

    events = list((await session.execute(select(AuditEvent).order_by(AuditEvent.id))).scalars())
    actions = [e.action for e in events]
    assert actions == [
        "patient.create", "patient.read", "patient.update", "patient.list", "session.record", "session.list",
        "patient.discharge",
    ]
    for event in events:
        assert event.actor == f"staff:{member.id}"
        assert event.clinic_id == clinic.id
        assert event.at == world.clock.now()
        text = json.dumps({"subject": event.subject, "detail": event.detail, "actor": event.actor})
        for phi in ("555017", "Quinn", "Avery", "+1202"):
            assert phi not in text
    update = events[2]
    assert update.subject == f"patient:{pid}"
    # The patient has not answered the welcome yet: the new number is sent it (docs/sms.md, "Consent").
    assert update.detail == {"fields": ["display_name", "phone"], "sessions_ended": True, "welcome_sent": True}


async def test_a_refused_change_writes_no_audit_event(
    client: AsyncClient, world: World, session: AsyncSession
) -> None:
    clinic = await world.clinic()
    headers = world.headers(await world.staff(clinic))
    patient = await world.patient(clinic)
    response = await client.patch(f"/api/v1/patients/{patient.id}", json={"phone": "nope"}, headers=headers)
    assert response.status_code == 400
    assert list((await session.execute(select(AuditEvent))).scalars()) == []
