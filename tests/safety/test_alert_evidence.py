"""What raised an alert, on the alert (GET /api/v1/alerts/{id}) and in its timeline: the patient's
message in their words, or every question of the check-in with its wording and the answer; a
finding with nothing to show says why. Every such read is audited; another clinic gets a 404."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinical.instruments import CSSRS, PHQ9
from companion.models import Alert, AuditEvent, InboundMessage
from tests.conftest import World
from tests.messaging.conftest import Sms
from tests.safety.conftest import PATIENT_PHONE, Team

CRISIS = "i want to kill myself tonight, i have the pills ready"


async def _alerts(session: AsyncSession) -> list[Alert]:
    query = select(Alert).order_by(Alert.id).execution_options(populate_existing=True)  # type: ignore[arg-type]
    return list((await session.execute(query)).scalars())


async def _read(client: httpx.AsyncClient, world: World, team: Team, alert_id: int | None) -> dict[str, Any]:
    response = await client.get(f"/api/v1/alerts/{alert_id}", headers=world.headers(team.on_call))
    assert response.status_code == 200, response.text
    return response.json()


async def _finding_events(client: httpx.AsyncClient, world: World, team: Team, alert_id: int | None) -> list[Any]:
    response = await client.get(f"/api/v1/alerts/{alert_id}/events", headers=world.headers(team.on_call))
    assert response.status_code == 200, response.text
    return [e for e in response.json() if e["kind"] == "finding"]


async def _submit(client: httpx.AsyncClient, world: World, team: Team, instrument: str, answers: dict[str, Any]) -> int:
    response = await client.post("/api/v1/me/checkins", headers=world.patient_headers(team.patient),
                                 json={"instrument": instrument, "answers": answers})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def _audit(session: AsyncSession, action: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)  # type: ignore[arg-type]
    return list((await session.execute(query)).scalars())


async def test_an_sms_crisis_message_is_on_the_alert_and_in_its_timeline_in_the_patients_words(
    client: httpx.AsyncClient, team: Team, world: World, sms: Sms, session: AsyncSession,
) -> None:
    await sms.say(PATIENT_PHONE, CRISIS)
    [alert] = await _alerts(session)
    [inbound] = (await session.execute(select(InboundMessage))).scalars().all()

    body = await _read(client, world, team, alert.id)
    assert body["findings"] == alert.findings  # the findings as before, the evidence beside them
    [evidence] = body["evidence"]
    assert (evidence["kind"], evidence["rule_id"], evidence["reply_key"]) == (
        "message", alert.findings[0]["rule_id"], f"sms:{inbound.id}")
    assert evidence["message"]["text"] == CRISIS and evidence["checkin"] is None
    assert evidence["message"]["received_at"].startswith(inbound.received_at.isoformat()[:19])

    [event] = await _finding_events(client, world, team, alert.id)
    assert event["words"] == CRISIS and event["answers"] is None
    assert event["evidence"]["message"]["text"] == CRISIS
    assert event["detail"]["source"] == "sms:message"  # what was there stays

    staff = f"staff:{team.on_call.id}"
    reads = [(r.actor, r.subject, r.detail.get("evidence")) for r in await _audit(session, "alert.read")]
    assert reads == [(staff, f"alert:{alert.id}", {"message": 1})]
    [events_read] = await _audit(session, "alert.events")
    assert (events_read.actor, events_read.subject, events_read.detail["evidence"]) == (
        staff, f"alert:{alert.id}", {"message": 1})
    assert CRISIS not in str([r.detail for r in await _audit(session, "alert.read")])  # no PHI in the trail


async def test_a_cssrs_sent_from_the_app_with_items_1_and_2_yes_shows_both_with_their_questions(
    client: httpx.AsyncClient, team: Team, world: World, session: AsyncSession,
) -> None:
    answers = {"cssrs_1": True, "cssrs_2": True, "cssrs_3": False, "cssrs_4": False, "cssrs_5": False,
               "cssrs_6": False}
    checkin_id = await _submit(client, world, team, "cssrs", answers)
    [alert] = await _alerts(session)
    [finding] = alert.findings
    assert finding["evidence"] == "C-SSRS low: yes to item 1"  # what the finding alone says

    [evidence] = (await _read(client, world, team, alert.id))["evidence"]
    assert evidence["kind"] == "checkin" and evidence["message"] is None
    checkin = evidence["checkin"]
    assert (checkin["id"], checkin["instrument"], checkin["title"]) == (checkin_id, "cssrs", "C-SSRS screener")
    items = checkin["items"]
    assert [i["key"] for i in items] == [q.key for q in CSSRS.questions]
    assert [i["question"] for i in items] == [q.app_text for q in CSSRS.questions]
    assert [(i["number"], i["label"]) for i in items[:2]] == [(1, "Yes"), (2, "Yes")]
    assert items[1]["question"] == "Have you actually had any thoughts of killing yourself?"
    assert [i["state"] for i in items] == ["answered"] * 6 + ["not_asked"]

    [event] = await _finding_events(client, world, team, alert.id)
    assert [(a["question"], a["label"]) for a in event["answers"][:2]] == [
        (CSSRS.questions[0].app_text, "Yes"), (CSSRS.questions[1].app_text, "Yes")]


async def test_a_cssrs_answered_by_sms_shows_the_reply_and_every_answer(
    client: httpx.AsyncClient, team: Team, world: World, sms: Sms, session: AsyncSession,
) -> None:
    await sms.say(PATIENT_PHONE, CRISIS)  # starts the screener by SMS
    await sms.say(PATIENT_PHONE, "yes")
    await sms.say(PATIENT_PHONE, "yes")
    low = next(a for a in await _alerts(session) if any(f["rule_id"] == "cssrs_low" for f in a.findings))
    [evidence] = [e for e in (await _read(client, world, team, low.id))["evidence"] if e["rule_id"] == "cssrs_low"]
    assert evidence["kind"] == "checkin" and evidence["message"]["text"] == "yes"
    items = evidence["checkin"]["items"]
    assert [(i["key"], i["label"]) for i in items[:2]] == [("cssrs_1", "Yes"), ("cssrs_2", "Yes")]
    assert items[2]["state"] == "unanswered"  # item 3 is asked next


async def test_a_phq9_item_9_finding_shows_all_nine_items_and_the_score(
    client: httpx.AsyncClient, team: Team, world: World, session: AsyncSession,
) -> None:
    answers = {f"phq9_{n}": n % 4 for n in range(1, 9)} | {"phq9_9": 2}
    await _submit(client, world, team, "phq9", answers)
    [alert] = [a for a in await _alerts(session) if any(f["rule_id"] == "phq9_item9" for f in a.findings)]
    [evidence] = (await _read(client, world, team, alert.id))["evidence"]
    checkin = evidence["checkin"]
    assert (checkin["instrument"], checkin["total"], checkin["status"]) == ("phq9", sum(answers.values()), "complete")
    assert [(i["key"], i["question"], i["value"]) for i in checkin["items"]] == [
        (q.key, q.app_text, answers[q.key]) for q in PHQ9.questions]
    assert checkin["items"][8]["label"] == "More than half the days"
    assert checkin["items"][0]["label"] == "Several days"


async def test_findings_with_nothing_the_patient_sent_say_why(
    client: httpx.AsyncClient, team: Team, world: World, sms: Sms, session: AsyncSession,
) -> None:
    await sms.say(PATIENT_PHONE, CRISIS)
    other_clinic = await world.clinic("Other")
    stranger = await world.patient(other_clinic, reference="P-9", phone="+12025550199")
    await sms.say(stranger.phone, "hello")
    theirs = (await session.execute(select(InboundMessage.id).where(  # type: ignore[call-overload]
        InboundMessage.patient_id == stranger.id))).scalar_one()
    [alert] = await _alerts(session)
    at = alert.findings[0]["at"]
    alert.findings = [
        *alert.findings,
        {"rule_id": "missed_checkins", "severity": "routine", "at": at, "source": "scheduler:missed",
         "reply_key": None},
        {"rule_id": "language_intent", "severity": "urgent", "at": at, "evidence": "language: intent"},  # older
        {"rule_id": "language_intent", "severity": "urgent", "at": at, "source": "sms:message",
         "reply_key": f"sms:{theirs}"},  # another patient's message is never shown
    ]
    await session.commit()

    evidence = (await _read(client, world, team, alert.id))["evidence"]
    assert [e["kind"] for e in evidence] == ["message", "none", "none", "none"]
    assert [e["note"] for e in evidence[1:]] == [
        "Raised by missed check-ins: nothing the patient sent.",
        "Recorded before findings named what raised them: nothing to show.",
        "What raised it is no longer stored.",
    ]
    assert "hello" not in str(evidence)
    events = await _finding_events(client, world, team, alert.id)
    assert [e["words"] for e in events] == [CRISIS, None, None, None]


async def test_staff_read_one_checkin_with_every_question_and_the_read_is_audited(
    client: httpx.AsyncClient, team: Team, world: World, session: AsyncSession,
) -> None:
    checkin_id = await _submit(client, world, team, "mood", {"mood": 3, "note": "rough night"})
    response = await client.get(f"/api/v1/patients/{team.patient.id}/checkins/{checkin_id}",
                                headers=world.headers(team.backup))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["instrument"], body["total"]) == ("mood", 3)
    assert [(i["key"], i["state"], i["label"]) for i in body["items"]] == [
        ("mood", "answered", "3 of 10"), ("anxiety", "unanswered", None), ("sleep_hours", "unanswered", None),
        ("note", "answered", "rough night")]
    assert body["items"][0]["question"] == "How is your mood today, from 0 (worst) to 10 (best)?"
    [read] = await _audit(session, "patient.checkin")
    assert (read.actor, read.subject, read.detail) == (
        f"staff:{team.backup.id}", f"patient:{team.patient.id}", {"checkin": checkin_id, "items": 4})


@pytest.mark.parametrize("role", ["admin", "clinician", "staff"])
async def test_another_clinic_gets_404_for_the_alert_and_the_checkin(
    client: httpx.AsyncClient, team: Team, world: World, sms: Sms, session: AsyncSession, role: str,
) -> None:
    await sms.say(PATIENT_PHONE, CRISIS)
    checkin_id = await _submit(client, world, team, "phq9", {f"phq9_{n}": 1 for n in range(1, 10)})
    [alert, *_] = await _alerts(session)
    other = await world.staff(await world.clinic("Other"), role)
    for path in (f"/api/v1/alerts/{alert.id}", f"/api/v1/alerts/{alert.id}/events",
                 f"/api/v1/patients/{team.patient.id}/checkins/{checkin_id}"):
        response = await client.get(path, headers=world.headers(other))
        assert response.status_code == 404, path
        assert CRISIS not in response.text
    # The check-in under another patient of the same clinic is not found either.
    neighbour = await world.patient(team.clinic, reference="P-2", phone="+12025550143")
    response = await client.get(f"/api/v1/patients/{neighbour.id}/checkins/{checkin_id}",
                                headers=world.headers(team.on_call))
    assert response.status_code == 404 and "check-in not found" in response.text
    assert await _audit(session, "patient.checkin") == []
