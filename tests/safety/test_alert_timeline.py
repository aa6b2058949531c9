"""An alert's timeline (GET /api/v1/alerts/{id}/events): a whole climb with the clock advanced,
every page named with its delivery status from the status callbacks, the safety replies, the
acknowledgement and resolution by name, a re-escalation, and every read audited."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clock import FrozenClock
from companion.models import Alert, AuditEvent
from jobs import dispatch_outbox, escalate_alerts
from jobs.context import JobContext
from tests.conftest import World
from tests.fakes.fake_twilio import FakeTwilio
from tests.messaging.conftest import Sms
from tests.safety.conftest import BACKUP_PHONE, ON_CALL_PHONE, PATIENT_PHONE, Team

NIGHT = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # 03:00 in New York


async def _events(client: httpx.AsyncClient, world: World, team: Team, alert_id: int) -> list[dict[str, object]]:
    response = await client.get(f"/api/v1/alerts/{alert_id}/events", headers=world.headers(team.on_call))
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_timeline_of_a_whole_climb_names_everyone_with_delivery_status(
    client: httpx.AsyncClient, fake: FakeTwilio, ctx: JobContext, team: Team, world: World, session: AsyncSession,
    clock: FrozenClock, sms: Sms,
) -> None:
    clock.set(NIGHT)
    await sms.say(PATIENT_PHONE, "took 30 of my seroquel an hour ago")
    await dispatch_outbox.run(ctx)
    for _ in range(12):  # nobody answers: the chain climbs to its next steps
        clock.advance(minutes=1)
        await escalate_alerts.run(ctx)
    await dispatch_outbox.run(ctx)
    for page in fake.messages_to(ON_CALL_PHONE):
        await fake.asend_status(page.sid, "delivered", client=client)
    [first_backup_page, *_] = [m for m in fake.messages_to(BACKUP_PHONE) if m.body.startswith("Urgent alert")]
    await fake.asend_status(first_backup_page.sid, "undelivered", 30003, client=client)
    [alert] = (await session.execute(select(Alert))).scalars().all()
    reply = await sms.say(BACKUP_PHONE, f"ACK {alert.ack_code}")
    assert reply[0].startswith("Acknowledged")
    clock.advance(minutes=5)
    await sms.say(PATIENT_PHONE, "i am going to do it again tonight, i have more pills")  # new urgent risk
    clock.advance(minutes=5)
    await sms.say(ON_CALL_PHONE, f"RESOLVE {alert.ack_code} called 911, patient with EMS")
    await dispatch_outbox.run(ctx)

    events = await _events(client, world, team, alert.id or 0)
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "raised" and kinds[-1] == "resolved"
    assert kinds.index("finding") < kinds.index("safety_reply") < kinds.index("page")
    assert kinds.count("reescalated") == 1 and kinds.index("acknowledged") < kinds.index("reescalated")
    steps = [e for e in events if e["kind"] == "step"]
    assert steps[0]["text"].startswith("Pass 1, step 1: paged Clinician Person")
    assert any("Admin Person" in e["text"] for e in steps[1:])
    pages = [e for e in events[: kinds.index("acknowledged")] if e["kind"] == "page"]
    assert {e["by"] for e in pages} == {"Clinician Person", "Admin Person"}
    assert {e["status"] for e in pages if e["by"] == "Clinician Person"} == {"delivered"}
    assert "undelivered" in {e["status"] for e in pages if e["by"] == "Admin Person"}
    # After the re-escalation the acknowledger is paged first.
    after = [e for e in events[kinds.index("reescalated"):] if e["kind"] == "page"]
    assert after and after[0]["by"] == "Admin Person"
    findings = [e for e in events if e["kind"] == "finding"]
    assert len(findings) >= 2 and "took 30 of my seroquel" in str(findings[0]["detail"]["evidence"])
    replies = [e for e in events if e["kind"] == "safety_reply"]
    assert len(replies) == 2 and all(e["status"] in {"sent", "delivered", "queued"} for e in replies)
    [ack] = [e for e in events if e["kind"] == "acknowledged"]
    assert ack["by"] == "Admin Person" and ack["text"] == "Acknowledged by Admin Person"
    assert events[-1]["by"] == "Clinician Person" and "called 911, patient with EMS" in events[-1]["text"]
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    reads = (await session.execute(select(AuditEvent).where(AuditEvent.action == "alert.events"))).scalars().all()
    assert [r.subject for r in reads] == [f"alert:{alert.id}"]


@pytest.mark.parametrize("role", ["admin", "clinician", "staff"])
async def test_another_clinics_alert_has_no_timeline(
    client: httpx.AsyncClient, team: Team, world: World, sms: Sms, session: AsyncSession, role: str,
) -> None:
    await sms.say(PATIENT_PHONE, "i want to kill myself")
    [alert] = (await session.execute(select(Alert))).scalars().all()
    other = await world.staff(await world.clinic("Other"), role)
    response = await client.get(f"/api/v1/alerts/{alert.id}/events", headers=world.headers(other))
    assert response.status_code == 404
    assert (await client.get(f"/api/v1/alerts/{alert.id}/events")).status_code == 401
