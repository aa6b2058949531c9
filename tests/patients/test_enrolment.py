"""Enrolment through the API: the patient is pending with the welcome queued, staff may resend it
once, and pausing, resuming and discharging govern what routine messages go out."""

from __future__ import annotations

from datetime import UTC, datetime

from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinical import texts
from companion.clock import FrozenClock
from companion.messaging import outbox
from companion.messaging.policy import Purpose
from companion.models import AuditEvent, OutboundMessage, Patient, Prompt
from companion.patients import enrolment
from tests.conftest import World
from tests.enrolment import answers_yes

DAY = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # 11:00 in New York
NEW = {"reference": "P-2001", "display_name": "Morgan Lee", "phone": "+12025550199",
       "timezone": "America/New_York", "preferred_checkin_time": "10:00"}


async def _messages(session: AsyncSession, pid: int) -> list[OutboundMessage]:
    query = select(OutboundMessage).where(OutboundMessage.patient_id == pid).order_by(OutboundMessage.id)
    return list((await session.execute(query.execution_options(populate_existing=True))).scalars())


async def _prompts(session: AsyncSession, pid: int, status: str = "planned") -> list[Prompt]:
    query = select(Prompt).where(Prompt.patient_id == pid, Prompt.status == status)
    return list((await session.execute(query.execution_options(populate_existing=True))).scalars())


async def _actions(session: AsyncSession, pid: int) -> list[str]:
    query = select(AuditEvent.action).where(AuditEvent.subject == f"patient:{pid}").order_by(AuditEvent.id)
    return list((await session.execute(query)).scalars())


async def test_a_new_patient_is_pending_with_the_welcome_queued_and_nothing_planned(
    client: AsyncClient, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    clock.set(DAY)
    clinic = await world.clinic("Lakeside Clinic")
    headers = world.headers(await world.staff(clinic))
    created = await client.post("/api/v1/patients", json=NEW, headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["sms_consent"], body["sms_consent_source"], body["sms_consent_changed_at"]) == (
        "pending", "enrolment", "2026-11-27T16:00:00Z")
    assert (body["sms_welcome_sent_at"], body["sms_welcome_resent_at"]) == ("2026-11-27T16:00:00Z", None)
    [welcome] = await _messages(session, body["id"])
    assert (welcome.purpose, welcome.status, welcome.due_at, welcome.to_phone) == (
        "welcome", "pending", DAY, "+12025550199")
    assert welcome.body.startswith("Lakeside Clinic: ") and "Reply YES" in welcome.body
    assert await _prompts(session, body["id"]) == []
    [event] = (await session.execute(select(AuditEvent).where(AuditEvent.action == "patient.create"))).scalars().all()
    assert event.detail == {"welcome_sent": True}
    # The list, the record and the dashboard's overview say the patient is pending.
    listed = (await client.get("/api/v1/patients", headers=headers)).json()["items"]
    assert [p["sms_consent"] for p in listed] == ["pending"]
    overview = (await client.get("/api/v1/patients/overview", headers=headers)).json()["items"]
    assert [(p["sms_consent"], p["channel"]) for p in overview] == [("pending", "sms")]
    # Recording a session plans nothing for a pending SMS patient; YES plans it all.
    recorded = await client.post(f"/api/v1/patients/{body['id']}/sessions", headers=headers,
                                 json={"modality": "iv", "started_at": "2026-11-27T14:00:00Z"})
    assert recorded.status_code == 201, recorded.text
    assert await _prompts(session, body["id"]) == []
    await answers_yes(session, clock, body["id"])
    assert {p.instrument for p in await _prompts(session, body["id"])} >= {"post_session"}
    read = (await client.get(f"/api/v1/patients/{body['id']}", headers=headers)).json()
    assert (read["sms_consent"], read["sms_consent_source"]) == ("opted_in", "sms:YES")


async def test_a_routine_message_to_a_pending_patient_is_stored_suppressed(
    world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    clinic = await world.clinic()
    patient = await session.get(Patient, (await world.patient(clinic, sms_consent="pending")).id)
    assert patient is not None
    prompt = await outbox.enqueue(session, clock, to_phone=patient.phone, purpose=Purpose.PROMPT, body="Mood?",
                                  clinic_id=clinic.id, patient=patient)
    reply = await outbox.enqueue(session, clock, to_phone=patient.phone, purpose=Purpose.SAFETY_REPLY,
                                 body="Call 988", clinic_id=clinic.id, patient=patient)
    assert (prompt.status, prompt.error_detail) == ("suppressed", outbox.NOT_CONSENTED)
    assert (reply.status, reply.error_detail) == ("pending", None)


async def test_the_welcome_is_resent_once_then_409(
    client: AsyncClient, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    clock.set(DAY)
    clinic = await world.clinic()
    member = await world.staff(clinic)
    headers = world.headers(member)
    pid = (await client.post("/api/v1/patients", json=NEW, headers=headers)).json()["id"]
    clock.advance(hours=26)
    resent = await client.post(f"/api/v1/patients/{pid}/consent/resend", headers=headers)
    assert resent.status_code == 200, resent.text
    assert resent.json()["sms_welcome_resent_at"] == "2026-11-28T18:00:00Z"
    assert resent.json()["sms_consent"] == "pending"
    first, second = await _messages(session, pid)
    assert (second.purpose, second.body, second.dedupe_key) == ("welcome", first.body, f"welcome:{pid}:0:1")
    [event] = (await session.execute(
        select(AuditEvent).where(AuditEvent.action == "consent.welcome_resend"))).scalars().all()
    assert (event.actor, event.subject, event.detail) == (f"staff:{member.id}", f"patient:{pid}",
                                                          {"message_id": second.id})
    again = await client.post(f"/api/v1/patients/{pid}/consent/resend", headers=headers)
    assert again.status_code == 409
    assert again.json()["detail"] == enrolment.ALREADY_RESENT
    assert len(await _messages(session, pid)) == 2
    assert (await _actions(session, pid)).count("consent.welcome_resend") == 1


async def test_no_resend_to_a_patient_who_answered_or_to_another_clinic(
    client: AsyncClient, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    clinic, other = await world.clinic("A"), await world.clinic("B")
    headers = world.headers(await world.staff(clinic))
    pid = (await client.post("/api/v1/patients", json=NEW, headers=headers)).json()["id"]
    foreign = await client.post(f"/api/v1/patients/{pid}/consent/resend",
                                headers=world.headers(await world.staff(other)))
    assert foreign.status_code == 404
    await answers_yes(session, clock, pid)
    answered = await client.post(f"/api/v1/patients/{pid}/consent/resend", headers=headers)
    assert (answered.status_code, answered.json()["detail"]) == (409, enrolment.NOT_PENDING)
    staff_only = world.headers(await world.staff(clinic, "staff"))
    assert (await client.post(f"/api/v1/patients/{pid}/consent/resend", headers=staff_only)).status_code == 403


async def test_an_app_only_patient_gets_no_welcome_and_checks_in_in_the_app(
    client: AsyncClient, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    clock.set(DAY)
    clinic = await world.clinic()
    headers = world.headers(await world.staff(clinic))
    body = (await client.post("/api/v1/patients", json={**NEW, "channel": "app"}, headers=headers)).json()
    pid = body["id"]
    assert (body["sms_consent"], body["sms_welcome_sent_at"]) == ("pending", None)
    assert await _messages(session, pid) == []
    assert [p.slot for p in await _prompts(session, pid)] == ["phq9:baseline"]
    refused = await client.post(f"/api/v1/patients/{pid}/consent/resend", headers=headers)
    assert (refused.status_code, refused.json()["detail"]) == (409, enrolment.APP_ONLY)
    # Moved to SMS and the app, the patient is asked for consent then.
    moved = await client.patch(f"/api/v1/patients/{pid}", json={"channel": "both"}, headers=headers)
    assert moved.status_code == 200 and moved.json()["sms_welcome_sent_at"] == "2026-11-27T16:00:00Z"
    [welcome] = await _messages(session, pid)
    assert welcome.purpose == "welcome"
    await client.patch(f"/api/v1/patients/{pid}", json={"channel": "sms"}, headers=headers)
    assert len(await _messages(session, pid)) == 1  # asked once


async def test_pause_resume_and_discharge(
    client: AsyncClient, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    clock.set(DAY)
    clinic = await world.clinic()
    headers = world.headers(await world.staff(clinic))
    patient = await world.patient(clinic)
    pid = patient.id
    assert pid is not None
    recorded = await client.post(f"/api/v1/patients/{pid}/sessions", headers=headers,
                                 json={"modality": "iv", "started_at": "2026-11-27T14:00:00Z"})
    assert recorded.status_code == 201
    planned = {p.slot for p in await _prompts(session, pid)}
    assert planned
    stored = await session.get(Patient, pid)
    assert stored is not None
    waiting = await outbox.enqueue(session, clock, to_phone=stored.phone, purpose=Purpose.REMINDER,
                                   body="Reminder", clinic_id=clinic.id, patient=stored, due_at=DAY)
    await session.commit()

    paused = await client.post(f"/api/v1/patients/{pid}/pause", headers=headers)
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert await _prompts(session, pid) == []
    assert {p.slot for p in await _prompts(session, pid, "cancelled")} == planned
    await session.refresh(waiting)
    assert (waiting.status, waiting.error_detail) == ("cancelled", "patient paused")
    assert (await client.post(f"/api/v1/patients/{pid}/pause", headers=headers)).json()["status"] == "paused"

    resumed = await client.post(f"/api/v1/patients/{pid}/resume", headers=headers)
    assert resumed.status_code == 200 and resumed.json()["status"] == "active"
    assert {p.slot for p in await _prompts(session, pid)} == planned

    discharged = await client.post(f"/api/v1/patients/{pid}/discharge", headers=headers)
    assert discharged.json()["status"] == "discharged"
    assert await _prompts(session, pid) == []
    for action in ("pause", "resume"):
        refused = await client.post(f"/api/v1/patients/{pid}/{action}", headers=headers)
        assert refused.status_code == 409, action
    await session.refresh(stored)
    late = await outbox.enqueue(session, clock, to_phone=stored.phone, purpose=Purpose.PROMPT, body="Mood?",
                                clinic_id=clinic.id, patient=stored)
    assert (late.status, late.error_detail) == ("suppressed", "patient is discharged")
    assert [a for a in await _actions(session, pid) if a.startswith("patient.") and a != "patient.read"] == [
        "patient.pause", "patient.resume", "patient.discharge"]


def test_the_welcome_says_how_often_and_fits_two_segments() -> None:
    from companion.clinical.instruments import gsm7_length

    cases = [
        ((7, 3, 30), "daily for 7 days, then every 3 days to day 30"),
        ((1, 1, 5), "daily for 1 day, then every day to day 5"),
        ((0, 3, 30), "every 3 days to day 30"),
        ((7, 3, 7), "daily for 7 days"),
        ((0, 2, 0), "from time to time"),
    ]
    for (daily, every, until), words in cases:
        text = texts.welcome("North Clinic", daily_days=daily, every_days=every, until_day=until)
        assert f"we ask how you are, {words}, with reminders." in text
        for required in ("North Clinic", "Msg&data rates may apply", "Reply HELP", "STOP", "Reply YES"):
            assert required in text
        assert gsm7_length(text) <= 320


async def test_a_pending_app_patient_who_moves_to_texts_is_sent_the_welcome(
    client: AsyncClient, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    clock.set(DAY)
    clinic = await world.clinic()
    headers = world.headers(await world.staff(clinic))
    pid = (await client.post("/api/v1/patients", json={**NEW, "channel": "app"}, headers=headers)).json()["id"]
    stored = await session.get(Patient, pid)
    assert stored is not None
    own = world.patient_headers(stored)
    me = await client.get("/api/v1/me", headers=own)
    assert me.json()["sms_consent"] == "pending"
    changed = await client.patch("/api/v1/me/settings", headers=own, json={"channel": "both"})
    assert changed.status_code == 200, changed.text
    [welcome] = await _messages(session, pid)
    assert welcome.purpose == "welcome"
    [event] = (await session.execute(select(AuditEvent).where(AuditEvent.action == "patient.settings"))).scalars().all()
    assert event.detail == {"fields": ["channel"], "welcome_sent": True}


async def test_a_pending_patients_new_number_is_sent_the_welcome_afresh(
    client: AsyncClient, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    clock.set(DAY)
    clinic = await world.clinic()
    headers = world.headers(await world.staff(clinic))
    pid = (await client.post("/api/v1/patients", json=NEW, headers=headers)).json()["id"]
    assert (await client.post(f"/api/v1/patients/{pid}/consent/resend", headers=headers)).status_code == 200
    clock.advance(hours=2)
    moved = await client.patch(f"/api/v1/patients/{pid}", json={"phone": "+12025550177"}, headers=headers)
    assert moved.status_code == 200, moved.text
    assert (moved.json()["sms_welcome_sent_at"], moved.json()["sms_welcome_resent_at"]) == (
        "2026-11-27T18:00:00Z", None)
    rows = await _messages(session, pid)
    assert [(r.to_phone, r.dedupe_key) for r in rows] == [
        ("+12025550199", f"welcome:{pid}:0:0"), ("+12025550199", f"welcome:{pid}:0:1"),
        ("+12025550177", f"welcome:{pid}:1:0")]
    assert (await client.post(f"/api/v1/patients/{pid}/consent/resend", headers=headers)).status_code == 200
    # A patient who has answered keeps their consent with a new number, and is not asked again.
    await answers_yes(session, clock, pid)
    again = await client.patch(f"/api/v1/patients/{pid}", json={"phone": "+12025550178"}, headers=headers)
    assert again.json()["sms_consent"] == "opted_in"
    assert len(await _messages(session, pid)) == 4
