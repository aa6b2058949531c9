"""Who may acknowledge and resolve, enforced by the service on a real database: the dashboard's
API answers 403 naming who may, an SMS command the same sentence, and a protocol file that
changes the rule is honoured."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinical.protocol import parse_protocol
from companion.clock import FrozenClock
from companion.models import Alert, AlertPage, AuditEvent, Clinic, StaffMember
from companion.protocols import default_protocol
from companion.safety import acknowledgements
from tests.conftest import World

MINIMAL = Path(__file__).parent / "protocols" / "minimal.toml"
NOTE = {"note": "Called the patient; safety plan reviewed."}
# The minimal protocol with its own rule: the front desk may acknowledge, only an admin resolve.
CLINIC_RULE = parse_protocol(MINIMAL.read_text() + '\n[permissions]\nacknowledge = ["staff", "clinician"]\n'
                             'resolve_urgent = ["admin"]\n', "clinic.toml")


@dataclass
class Desk:
    clinic: Clinic
    receptionist: StaffMember  # role "staff": not clinical
    clinician: StaffMember
    admin: StaffMember


@pytest.fixture
async def desk(world: World) -> Desk:
    clinic = await world.clinic()
    receptionist = await world.staff(clinic, "staff", phone="+12025550191")
    return Desk(clinic, receptionist, await world.staff(clinic, "clinician"), await world.staff(clinic, "admin"))


async def _alert(session: AsyncSession, clock: FrozenClock, world: World, desk: Desk, severity: str = "urgent",
                 paged: StaffMember | None = None, code: str = "4821") -> int:
    patient = await world.patient(desk.clinic, reference=f"P-{code}", phone=f"+1202555{code}")
    alert = Alert(clinic_id=desk.clinic.id or 0, patient_id=patient.id or 0, kind="crisis", severity=severity,
                  status="open", ack_code=code, protocol_version="test", opened_at=clock.now(),
                  pass_no=1, step_index=0, next_step_at=clock.now() + timedelta(minutes=5))
    session.add(alert)
    await session.flush()
    assert alert.id is not None
    if paged is not None:
        session.add(AlertPage(alert_id=alert.id, staff_id=paged.id or 0, pass_no=1, step_index=0,
                              target="oncall:on_call_clinician", paged_at=clock.now()))
    await session.commit()
    return alert.id


async def _status(session: AsyncSession, alert_id: int) -> str:
    query = select(Alert.status).where(Alert.id == alert_id).execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one()


async def test_a_receptionist_who_was_not_paged_may_not_acknowledge(
    client: httpx.AsyncClient, world: World, desk: Desk, session: AsyncSession, clock: FrozenClock
) -> None:
    alert_id = await _alert(session, clock, world, desk)
    response = await client.post(f"/api/v1/alerts/{alert_id}/ack", headers=world.headers(desk.receptionist))
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "Only someone paged for it, a clinician or an admin may acknowledge an urgent alert.")
    assert await _status(session, alert_id) == "open"
    refusals = (await session.execute(select(AuditEvent.action, AuditEvent.actor)
                                      .where(AuditEvent.subject == f"alert:{alert_id}"))).all()
    assert (("alert.acknowledge_refused", f"staff:{desk.receptionist.id}")) in [tuple(r) for r in refusals]


async def test_a_paged_receptionist_may_acknowledge_but_not_resolve_an_urgent_alert(
    client: httpx.AsyncClient, world: World, desk: Desk, session: AsyncSession, clock: FrozenClock
) -> None:
    alert_id = await _alert(session, clock, world, desk, paged=desk.receptionist)
    headers = world.headers(desk.receptionist)
    listed = (await client.get("/api/v1/alerts", headers=headers)).json()
    assert [(a["may_acknowledge"], a["may_resolve"], a["permission_note"]) for a in listed] == [
        (True, False, "Only a clinician or an admin may resolve an urgent alert.")]
    acked = await client.post(f"/api/v1/alerts/{alert_id}/ack", headers=headers)
    assert (acked.status_code, acked.json()["status"]) == (200, "acknowledged")
    refused = await client.post(f"/api/v1/alerts/{alert_id}/resolve", headers=headers, json=NOTE)
    assert (refused.status_code, refused.json()["detail"]) == (
        403, "Only a clinician or an admin may resolve an urgent alert.")
    assert await _status(session, alert_id) == "acknowledged"


@pytest.mark.parametrize(("severity", "role", "status"), [
    ("urgent", "clinician", 200), ("urgent", "admin", 200), ("high", "clinician", 200), ("high", "staff", 403),
    ("routine", "staff", 200),
])
async def test_resolving_by_severity_and_role(
    client: httpx.AsyncClient, world: World, desk: Desk, session: AsyncSession, clock: FrozenClock,
    severity: str, role: str, status: int,
) -> None:
    member = {"clinician": desk.clinician, "admin": desk.admin, "staff": desk.receptionist}[role]
    alert_id = await _alert(session, clock, world, desk, severity=severity, paged=member)
    response = await client.post(f"/api/v1/alerts/{alert_id}/resolve", headers=world.headers(member), json=NOTE)
    assert response.status_code == status, response.text
    assert await _status(session, alert_id) == ("resolved" if status == 200 else "open")


async def test_a_clinician_resolves_an_open_urgent_alert_without_acknowledging_first(
    client: httpx.AsyncClient, world: World, desk: Desk, session: AsyncSession, clock: FrozenClock
) -> None:
    alert_id = await _alert(session, clock, world, desk)
    headers = world.headers(desk.clinician)
    [listed] = (await client.get("/api/v1/alerts", headers=headers)).json()
    assert (listed["may_acknowledge"], listed["may_resolve"], listed["permission_note"]) == (True, True, None)
    resolved = (await client.post(f"/api/v1/alerts/{alert_id}/resolve", headers=headers, json=NOTE)).json()
    assert (resolved["status"], resolved["acknowledged_by"], resolved["resolved_by"]) == (
        "resolved", desk.clinician.id, desk.clinician.id)


async def test_sms_commands_follow_the_same_rule(
    world: World, desk: Desk, session: AsyncSession, clock: FrozenClock
) -> None:
    alert_id = await _alert(session, clock, world, desk, code="5150")
    receptionist = await session.get(StaffMember, desk.receptionist.id)
    assert receptionist is not None
    reply = await acknowledgements.acknowledge_by_sms(session, clock, default_protocol(), receptionist, "5150")
    assert reply == ("Only someone paged for it, a clinician or an admin may acknowledge an urgent alert. "
                     "Alert 5150 is unchanged.")
    reply = await acknowledgements.resolve_by_sms(session, clock, default_protocol(), receptionist, "5150", "done")
    assert reply == "Only a clinician or an admin may resolve an urgent alert. Alert 5150 is unchanged."
    await session.commit()
    assert await _status(session, alert_id) == "open"
    clinician = await session.get(StaffMember, desk.clinician.id)
    assert clinician is not None
    reply = await acknowledgements.resolve_by_sms(session, clock, default_protocol(), clinician, "5150",
                                                  "Called; safe.")
    assert reply.startswith("Resolved alert 5150")


@pytest.mark.protocol(CLINIC_RULE)
async def test_a_protocol_file_that_changes_the_rule_is_honoured(
    client: httpx.AsyncClient, world: World, desk: Desk, session: AsyncSession, clock: FrozenClock
) -> None:
    alert_id = await _alert(session, clock, world, desk)  # nobody paged
    # The receptionist now may acknowledge without being paged; a clinician may no longer resolve.
    acked = await client.post(f"/api/v1/alerts/{alert_id}/ack", headers=world.headers(desk.receptionist))
    assert acked.status_code == 200, acked.text
    refused = await client.post(f"/api/v1/alerts/{alert_id}/resolve", headers=world.headers(desk.clinician),
                                json=NOTE)
    assert (refused.status_code, refused.json()["detail"]) == (403, "Only an admin may resolve an urgent alert.")
    resolved = await client.post(f"/api/v1/alerts/{alert_id}/resolve", headers=world.headers(desk.admin), json=NOTE)
    assert resolved.json()["status"] == "resolved"
    # An admin is not in the acknowledge list, but may resolve, so may acknowledge too.
    other = await _alert(session, clock, world, desk, code="6262")
    [listed] = [a for a in (await client.get("/api/v1/alerts", headers=world.headers(desk.admin))).json()
                if a["id"] == other]
    assert (listed["may_acknowledge"], listed["may_resolve"]) == (True, True)
    acked = await client.post(f"/api/v1/alerts/{other}/ack", headers=world.headers(desk.admin))
    assert acked.json()["status"] == "acknowledged"
