"""Outcomes, the CSV exports and the audit log against a real database: the clinic's own data
only, the right figures, every export audited, the audit log for admins."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.models import Alert, AuditEvent, InboundMessage, OutboundMessage
from companion.reports.csv_text import csv_text
from tests.conftest import START, World
from tests.reports.data import course


async def _world(world: World, session: AsyncSession) -> dict:
    clinic = await world.clinic()
    other = await world.clinic(name="Other Clinic")
    admin, clinician, desk = (await world.staff(clinic, "admin"), await world.staff(clinic, "clinician"),
                              await world.staff(clinic, "staff"))
    responder = await world.patient(clinic, reference="P-1", phone="+12025550111")
    steady = await world.patient(clinic, reference="P-2", phone="+12025550112")
    elsewhere = await world.patient(other, reference="P-9", phone="+12025550119")
    await course(session, clinic, responder, "iv", [20, 14, 8], answered=3, expired=1)
    await course(session, clinic, steady, "oral", [12, 11], answered=1, expired=1)
    await course(session, other, elsewhere, "iv", [25, 2], answered=5, expired=0)
    return {"clinic": clinic, "admin": admin, "clinician": clinician, "desk": desk, "responder": responder,
            "elsewhere": elsewhere}


async def test_outcomes_are_the_clinics_own(client: httpx.AsyncClient, world: World, session: AsyncSession) -> None:
    w = await _world(world, session)
    response = await client.get("/api/v1/outcomes", headers=world.headers(w["clinician"]))
    assert response.status_code == 200, response.text
    body = response.json()
    overall = body["overall"]
    assert (overall["patients"], overall["followed_up"], overall["responders"], overall["remitters"]) == (2, 2, 1, 0)
    assert overall["mean_change"] == -6.5  # (8 - 20 + 11 - 12) / 2
    assert overall["adherence"] == 4 / 6
    assert sorted(body["by_modality"]) == ["iv", "oral"]
    assert body["by_modality"]["iv"]["response_rate"] == 1.0
    assert sum(m["phq9_count"] for m in body["by_month"]) == 5
    assert (await client.get("/api/v1/outcomes", headers=world.headers(w["desk"]))).status_code == 403


async def test_the_outcomes_export_names_patients_by_reference_and_is_audited(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    w = await _world(world, session)
    response = await client.get("/api/v1/outcomes/export", headers=world.headers(w["clinician"]))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["patient_reference"], r["baseline_phq9"], r["latest_phq9"], r["change"], r["response"]) for r in rows] \
        == [("P-1", "20", "8", "-12", "yes"), ("P-2", "12", "11", "-1", "no")]
    events = (await session.execute(select(AuditEvent).where(AuditEvent.action == "outcomes.export"))).scalars().all()
    assert [(e.actor, e.detail) for e in events] == [(f"staff:{w['clinician'].id}", {"patients": 2})]


async def test_a_patients_record_export_has_every_answer_and_message_and_is_audited(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    w = await _world(world, session)
    patient = w["responder"]
    session.add(InboundMessage(message_sid="SM" + "1" * 32, clinic_id=w["clinic"].id, patient_id=patient.id,
                               from_phone=patient.phone, to_phone="+15005550006", body="=feeling better",
                               sender_kind="patient", received_at=START, status="handled"))
    session.add(OutboundMessage(clinic_id=w["clinic"].id, patient_id=patient.id, to_phone=patient.phone,
                                purpose="reply", body="Thank you", status="delivered", due_at=START))
    session.add(OutboundMessage(clinic_id=w["clinic"].id, patient_id=patient.id, staff_id=w["clinician"].id,
                                to_phone="+12025550199", purpose="staff_page", body="ALERT for P-1",
                                status="delivered", due_at=START))
    session.add(Alert(clinic_id=w["clinic"].id, patient_id=patient.id, kind="same_day", severity="high",
                      status="resolved", ack_code="K7", protocol_version="1", chain={}, findings=[], opened_at=START,
                      resolved_at=START, resolved_by=w["clinician"].id, resolution_note="Called, safe"))
    await session.commit()
    response = await client.get(f"/api/v1/patients/{patient.id}/export", headers=world.headers(w["clinician"]))
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    sections = {r["section"] for r in rows}
    assert {"patient", "session", "check-in", "answer", "alert", "message received", "message sent"} <= sections
    answers = [r for r in rows if r["section"] == "answer"]
    assert len(answers) == 3 and answers[0]["what"] == "Little interest or pleasure in doing things"
    assert [r["value"] for r in rows if r["section"] == "message received"] == ["'=feeling better"]
    assert not any("ALERT for P-1" in r["value"] for r in rows)  # the staff's pages are not the patient's messages
    assert any(r["value"] == "Called, safe" for r in rows)
    events = (await session.execute(select(AuditEvent).where(AuditEvent.action == "patient.export"))).scalars().all()
    assert [e.subject for e in events] == [f"patient:{patient.id}"]
    other = await client.get(f"/api/v1/patients/{w['elsewhere'].id}/export", headers=world.headers(w["clinician"]))
    assert other.status_code == 404
    desk = await client.get(f"/api/v1/patients/{patient.id}/export", headers=world.headers(w["desk"]))
    assert desk.status_code == 403


async def test_the_audit_log_is_for_admins_filtered_and_named(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    w = await _world(world, session)
    clinician, admin = w["clinician"], w["admin"]
    for n, action in enumerate(["alert.ack", "alert.resolve", "patient.read"]):
        session.add(AuditEvent(clinic_id=w["clinic"].id, actor=f"staff:{clinician.id}", action=action,
                               subject=f"alert:{n}", at=START - timedelta(days=n), detail={}))
    session.add(AuditEvent(clinic_id=w["elsewhere"].clinic_id, actor="staff:999", action="alert.ack",
                           subject="alert:99", at=START, detail={}))
    await session.commit()
    assert (await client.get("/api/v1/audit", headers=world.headers(clinician))).status_code == 403
    page = (await client.get("/api/v1/audit", params={"action": "alert."}, headers=world.headers(admin))).json()
    assert [(e["action"], e["actor_name"]) for e in page["items"]] == [
        ("alert.ack", clinician.name), ("alert.resolve", clinician.name)]
    assert page["total"] == 2
    since = (START - timedelta(hours=1)).isoformat()
    recent = (await client.get("/api/v1/audit", params={"since": since}, headers=world.headers(admin))).json()
    assert [e["action"] for e in recent["items"]] == ["alert.ack"]
    exact = (await client.get("/api/v1/audit", params={"subject": "alert:2"}, headers=world.headers(admin))).json()
    assert [e["action"] for e in exact["items"]] == ["patient.read"]
    bad = await client.get("/api/v1/audit", params={"since": "yesterday"}, headers=world.headers(admin))
    assert bad.status_code == 400 and "since" in bad.text


def test_csv_cells_that_would_start_a_formula_are_quoted_and_numbers_are_not() -> None:
    text = csv_text(("a", "b", "c", "d"), [("=1+1", "@SUM(A1)", -3, "+12025550111")])
    assert text.splitlines()[1] == "'=1+1,'@SUM(A1),-3,'+12025550111"
