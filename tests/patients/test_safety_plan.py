"""The safety plan against the database: every save a new version with who saved it and when,
nothing lost, a save sent twice stored once, a save over someone else's newer version told, each
staff read and every save audited; and over HTTP for the patient and the care team, neither
reaching another clinic's or another patient's plan."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth.principals import PatientPrincipal, StaffPrincipal
from companion.clock import FrozenClock
from companion.models import AuditEvent, Patient, SafetyPlanVersion, StaffMember
from companion.patients import safety_plan
from companion.patients.safety_plan_schemas import SafetyPlanWrite
from tests.conftest import World

MINE = "/api/v1/me/safety-plan"
PLAN: dict[str, Any] = {
    "warning_signs": ["Not sleeping", "Staying in bed all day"],
    "coping_strategies": ["Walk the dog"],
    "distractions": [{"name": "The library"}],
    "people_to_ask": [{"name": "Sam", "phone": "(202) 555-0101"}],
    "professionals": [{"name": "North Clinic", "phone": "202-555-0199"}],
    "safe_environment": ["Give my pills to Sam to keep"],
    "reason_for_living": "My daughter",
}
CRISIS_LINES = [{"name": "988 Suicide & Crisis Lifeline", "call": "988", "text": "988"},
                {"name": "Emergency services", "call": "911", "text": None}]


def staff_url(patient: Patient, tail: str = "") -> str:
    return f"/api/v1/patients/{patient.id}/safety-plan{tail}"


def principal_of(patient: Patient) -> PatientPrincipal:
    return PatientPrincipal(patient_id=patient.id or 0, clinic_id=patient.clinic_id)


def staff_of(member: StaffMember) -> StaffPrincipal:
    return StaffPrincipal(staff_id=member.id or 0, clinic_id=member.clinic_id, role=member.role)


async def versions(session: AsyncSession, patient: Patient) -> list[SafetyPlanVersion]:
    query = (select(SafetyPlanVersion).where(SafetyPlanVersion.patient_id == patient.id)
             .order_by(SafetyPlanVersion.version).execution_options(populate_existing=True))
    return list((await session.execute(query)).scalars())


async def events(session: AsyncSession, prefix: str = "safety_plan.") -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action.startswith(prefix)).order_by(AuditEvent.id)  # type: ignore[attr-defined]
    return list((await session.execute(query.execution_options(populate_existing=True))).scalars())


# --- the service, against the database ------------------------------------------------------------

async def test_every_save_is_a_new_version_with_who_saved_it_and_when(
    world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    clinic = await world.clinic()
    clinician = await world.staff(clinic, "clinician")
    patient = await world.patient(clinic)

    first = await safety_plan.save_own(session, clock, principal_of(patient), SafetyPlanWrite.model_validate(PLAN))
    await session.commit()
    clock.advance(minutes=30)
    changed = {**PLAN, "warning_signs": ["Not sleeping"], "based_on": 1}
    second = await safety_plan.save_for_staff(session, clock, staff_of(clinician), patient.id or 0,
                                              SafetyPlanWrite.model_validate(changed))
    await session.commit()

    assert (first.version, first.saved_by and first.saved_by.kind, first.saved_over) == (1, "patient", None)
    assert (second.version, second.saved_over) == (2, None)
    assert second.saved_by is not None
    assert (second.saved_by.kind, second.saved_by.staff_id, second.saved_by.name) == (
        "staff", clinician.id, "Clinician Person")
    rows = await versions(session, patient)
    assert [(r.version, r.saved_by, r.staff_id, r.based_on) for r in rows] == [
        (1, "patient", None, None), (2, "staff", clinician.id, 1)]
    assert rows[1].saved_at - rows[0].saved_at == clock.now() - rows[0].saved_at
    # Nothing written is lost: the first version keeps both warning signs.
    assert rows[0].content["warning_signs"] == PLAN["warning_signs"]
    assert rows[1].content["warning_signs"] == ["Not sleeping"]
    current = await safety_plan.read_own(session, principal_of(patient))
    assert (current.version, current.warning_signs, current.saved_at) == (2, ["Not sleeping"], clock.now())

    saves = await events(session, "safety_plan.save")
    assert [(e.actor, e.subject, e.detail["version"]) for e in saves] == [
        (f"patient:{patient.id}", f"patient:{patient.id}", 1), (f"staff:{clinician.id}", f"patient:{patient.id}", 2)]
    assert saves[1].detail["sections"] == ["warning_signs"]
    assert saves[0].detail["entries"]["warning_signs"] == 2
    assert "Not sleeping" not in repr([e.detail for e in saves])  # no word of the plan in the audit


async def test_a_save_sent_twice_is_stored_once(world: World, session: AsyncSession, clock: FrozenClock) -> None:
    patient = await world.patient(await world.clinic())
    body = SafetyPlanWrite.model_validate({**PLAN, "client_ref": "device-ref-0001"})
    first = await safety_plan.save_own(session, clock, principal_of(patient), body)
    again = await safety_plan.save_own(session, clock, principal_of(patient), body)
    await session.commit()
    assert (first.repeated, again.repeated, again.version) == (False, True, 1)
    assert len(await versions(session, patient)) == 1
    assert len(await events(session, "safety_plan.save")) == 1


async def test_a_save_over_someone_elses_newer_version_is_stored_and_told(
    world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    clinic = await world.clinic()
    clinician = await world.staff(clinic, "clinician")
    patient = await world.patient(clinic)
    me = principal_of(patient)
    await safety_plan.save_own(session, clock, me, SafetyPlanWrite.model_validate(PLAN))
    # The patient saves twice on their device (offline, each from version 1): no clash with themselves.
    own = await safety_plan.save_own(session, clock, me, SafetyPlanWrite.model_validate({**PLAN, "based_on": 1}))
    own_again = await safety_plan.save_own(session, clock, me,
                                           SafetyPlanWrite.model_validate({**PLAN, "based_on": 1}))
    assert (own.saved_over, own_again.saved_over) == (None, None)
    # Meanwhile the clinician saves version 4; the patient's next save still began from version 3.
    await safety_plan.save_for_staff(session, clock, staff_of(clinician), patient.id or 0,
                                     SafetyPlanWrite.model_validate({**PLAN, "coping_strategies": [], "based_on": 3}))
    late = await safety_plan.save_own(session, clock, me, SafetyPlanWrite.model_validate({**PLAN, "based_on": 3}))
    await session.commit()
    assert (late.version, late.saved_over) == (5, 4)
    assert [r.version for r in await versions(session, patient)] == [1, 2, 3, 4, 5]
    assert (await events(session, "safety_plan.save"))[-1].detail["saved_over"] == 4


async def test_a_staff_read_is_audited_and_the_versions_come_newest_first(
    world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    clinic = await world.clinic()
    member = await world.staff(clinic, "staff")
    patient = await world.patient(clinic)
    empty = await safety_plan.read_for_staff(session, clock, staff_of(member), patient.id or 0)
    assert (empty.version, empty.warning_signs, empty.saved_by) == (None, [], None)
    assert [line.call for line in empty.crisis_lines] == ["988", "911"]
    for _ in range(3):
        await safety_plan.save_own(session, clock, principal_of(patient), SafetyPlanWrite.model_validate(PLAN))
    page = await safety_plan.versions_for_staff(session, clock, staff_of(member), patient.id or 0, limit=2, offset=0)
    await session.commit()
    assert ([p.version for p in page.items], page.total) == ([3, 2], 3)
    reads = [(e.action, e.actor, e.subject, e.clinic_id) for e in await events(session)
             if e.action != "safety_plan.save"]
    assert reads == [("safety_plan.read", f"staff:{member.id}", f"patient:{patient.id}", clinic.id),
                     ("safety_plan.versions", f"staff:{member.id}", f"patient:{patient.id}", clinic.id)]


# --- over HTTP ------------------------------------------------------------------------------------

async def test_the_patient_writes_and_reads_their_own_plan(client: AsyncClient, world: World) -> None:
    patient = await world.patient(await world.clinic())
    headers = world.patient_headers(patient)
    empty = await client.get(MINE, headers=headers)
    assert empty.status_code == 200, empty.text
    assert empty.json()["version"] is None and empty.json()["crisis_lines"] == CRISIS_LINES

    saved = await client.put(MINE, headers=headers, json={**PLAN, "client_ref": "device-ref-0002"})
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert (body["version"], body["repeated"], body["saved_over"]) == (1, False, None)
    assert body["saved_by"] == {"kind": "patient", "staff_id": None, "name": None}
    read = (await client.get(MINE, headers=headers)).json()
    assert {key: read[key] for key in PLAN} == {**PLAN, "distractions": [{"name": "The library", "phone": None}]}
    assert read["crisis_lines"] == CRISIS_LINES


async def test_988_and_911_are_listed_whatever_the_plan_says(client: AsyncClient, world: World) -> None:
    patient = await world.patient(await world.clinic())
    headers = world.patient_headers(patient)
    await client.put(MINE, headers=headers, json={"professionals": [{"name": "Only my therapist"}]})
    read = (await client.get(MINE, headers=headers)).json()
    assert read["professionals"] == [{"name": "Only my therapist", "phone": None}]
    assert read["crisis_lines"] == CRISIS_LINES


async def test_a_plan_too_long_is_refused_naming_the_field(client: AsyncClient, world: World) -> None:
    patient = await world.patient(await world.clinic())
    response = await client.put(MINE, headers=world.patient_headers(patient),
                                json={**PLAN, "people_to_ask": [{"name": "Sam", "phone": "ring me"}]})
    assert response.status_code == 400
    body = response.json()
    assert "people_to_ask" in body["detail"] and "phone" in body["detail"]
    assert any("only digits" in e.get("message", "") for e in body["extra"])


async def test_the_care_team_reads_and_a_clinician_writes_the_plan(
    client: AsyncClient, world: World, session: AsyncSession
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic)
    clinician = await world.staff(clinic, "clinician")
    receptionist = await world.staff(clinic, "staff")
    await client.put(MINE, headers=world.patient_headers(patient), json=PLAN)

    read = await client.get(staff_url(patient), headers=world.headers(receptionist))
    assert read.status_code == 200, read.text
    assert (read.json()["version"], read.json()["saved_by"]["kind"]) == (1, "patient")
    refused = await client.put(staff_url(patient), headers=world.headers(receptionist), json=PLAN)
    assert refused.status_code == 403

    written = await client.put(staff_url(patient), headers=world.headers(clinician),
                               json={**PLAN, "coping_strategies": ["Walk the dog", "Call Sam"], "based_on": 1})
    assert written.status_code == 200, written.text
    assert written.json()["saved_by"] == {"kind": "staff", "staff_id": clinician.id, "name": "Clinician Person"}
    mine = (await client.get(MINE, headers=world.patient_headers(patient))).json()
    assert (mine["version"], mine["coping_strategies"]) == (2, ["Walk the dog", "Call Sam"])
    assert mine["saved_by"]["name"] == "Clinician Person"

    history = await client.get(staff_url(patient, "/versions"), headers=world.headers(receptionist))
    assert history.status_code == 200
    assert [(v["version"], v["saved_by"]["kind"]) for v in history.json()["items"]] == [(2, "staff"), (1, "patient")]
    actions = [(e.action, e.actor) for e in await events(session)]
    assert actions == [
        ("safety_plan.save", f"patient:{patient.id}"), ("safety_plan.read", f"staff:{receptionist.id}"),
        ("safety_plan.save", f"staff:{clinician.id}"), ("safety_plan.versions", f"staff:{receptionist.id}")]


async def test_no_one_reaches_a_plan_that_is_not_theirs(
    client: AsyncClient, world: World, session: AsyncSession
) -> None:
    north = await world.clinic()
    south = await world.clinic("South Clinic")
    patient = await world.patient(north)
    other = await world.patient(north, reference="P-2000", phone="+12025550177")
    await client.put(MINE, headers=world.patient_headers(patient), json=PLAN)

    # A patient token reaches only that patient's plan: the other patient sees their own, empty one.
    theirs = (await client.get(MINE, headers=world.patient_headers(other))).json()
    assert (theirs["patient_id"], theirs["version"], theirs["warning_signs"]) == (other.id, None, [])
    # ... and no staff route.
    for method in ("GET", "PUT"):
        response = await client.request(method, staff_url(patient), headers=world.patient_headers(other), json=PLAN)
        assert response.status_code == 401, (method, response.text)
    # A staff token is no patient token.
    clinician = await world.staff(north, "clinician")
    assert (await client.get(MINE, headers=world.headers(clinician))).status_code == 401
    # Another clinic's staff are told it does not exist, and store nothing.
    outsider = await world.staff(south, "admin")
    for method, tail in (("GET", ""), ("PUT", ""), ("GET", "/versions")):
        response = await client.request(method, staff_url(patient, tail), headers=world.headers(outsider), json=PLAN)
        assert response.status_code == 404, (method, tail, response.text)
    assert [v.version for v in await versions(session, patient)] == [1]
    assert (await client.get(staff_url(patient), headers=world.headers(outsider))).status_code == 404
    assert all(e.actor != f"staff:{outsider.id}" for e in await events(session))
