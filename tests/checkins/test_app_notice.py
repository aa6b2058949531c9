"""What the app is told to show after a check-in: the clinic's safety reply for a risk finding, its
medical reply for post-session red flags, nothing otherwise; the same choice as the SMS reply."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinical.rules import Finding, reply_kind
from companion.models import OutboundMessage
from companion.protocols import default_protocol
from tests.conftest import World

SHIPPED = default_protocol()
CLINIC = replace(
    SHIPPED,
    wording=replace(
        SHIPPED.wording,
        safety_reply="North Clinic: call or text 988 now. We have alerted your team.",
        medical_reply="North Clinic: if it is severe, call 911 now. We have alerted your team.",
    ),
)
POST_SESSION_CALM = {"home_safely": True, "dizziness": 0, "nausea": 0, "dissociation": 0, "headache": 0}


def _finding(reply: str) -> Finding:
    return Finding("r", "k", "high", "same_day", reply, "e")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("replies", "kind"),
    [
        ((), None),
        (("none",), None),
        (("medical",), "medical"),
        (("none", "medical"), "medical"),
        (("medical", "safety"), "safety"),
        (("safety", "none"), "safety"),
    ],
)
def test_reply_kind(replies: tuple[str, ...], kind: str | None) -> None:
    assert reply_kind([_finding(reply) for reply in replies]) == kind


async def _submit(
    client: httpx.AsyncClient, headers: dict[str, str], instrument: str, answers: dict[str, object]
) -> dict[str, object]:
    response = await client.post(
        "/api/v1/me/checkins", headers=headers, json={"instrument": instrument, "answers": answers}
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def _sms_replies(session: AsyncSession) -> list[str]:
    query = select(OutboundMessage.body).where(OutboundMessage.purpose == "safety_reply")
    return list((await session.execute(query)).scalars())


@pytest.mark.protocol(CLINIC)
@pytest.mark.parametrize("mood", [0, 1])
async def test_a_very_low_mood_tells_the_app_the_safety_text(
    client: httpx.AsyncClient, world: World, session: AsyncSession, mood: int
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic)
    body = await _submit(client, world.patient_headers(patient), "mood", {"mood": mood})
    assert body["notice"] == {"kind": "safety", "text": CLINIC.wording.safety_reply}
    assert await _sms_replies(session) == [CLINIC.wording.safety_reply]


@pytest.mark.protocol(CLINIC)
async def test_post_session_red_flags_tell_the_app_the_medical_text(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic)
    body = await _submit(
        client, world.patient_headers(patient), "post_session", {**POST_SESSION_CALM, "red_flags": True}
    )
    assert body["notice"] == {"kind": "medical", "text": CLINIC.wording.medical_reply}
    assert await _sms_replies(session) == [CLINIC.wording.medical_reply]


@pytest.mark.protocol(CLINIC)
@pytest.mark.parametrize(
    ("instrument", "answers"),
    [
        ("mood", {"mood": 6, "note": "slept well, looking forward to the weekend"}),
        ("post_session", {**POST_SESSION_CALM, "red_flags": False}),
        ("post_session", {**POST_SESSION_CALM, "dizziness": 2, "red_flags": False}),  # routine: nothing to say
    ],
)
async def test_an_ordinary_check_in_has_no_notice(
    client: httpx.AsyncClient, world: World, session: AsyncSession, instrument: str, answers: dict[str, object]
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic)
    body = await _submit(client, world.patient_headers(patient), instrument, answers)
    assert body["notice"] == {"kind": None, "text": None}
    assert await _sms_replies(session) == []


@pytest.mark.protocol(CLINIC)
async def test_a_repeat_of_a_submission_repeats_its_notice(client: httpx.AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic)
    headers = world.patient_headers(patient)
    submission = {"instrument": "mood", "answers": {"mood": 1}, "client_ref": "retry-0000001"}
    first = await client.post("/api/v1/me/checkins", headers=headers, json=submission)
    second = await client.post("/api/v1/me/checkins", headers=headers, json=submission)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["notice"] == second.json()["notice"] == {"kind": "safety", "text": CLINIC.wording.safety_reply}


@pytest.mark.protocol(CLINIC)
async def test_the_patients_crisis_card_has_the_clinics_wording(client: httpx.AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic)
    assert (await client.get("/api/v1/me/crisis")).status_code == 401
    body = (await client.get("/api/v1/me/crisis", headers=world.patient_headers(patient))).json()
    assert (body["safety_reply"], body["medical_reply"]) == (CLINIC.wording.safety_reply, CLINIC.wording.medical_reply)
    assert "988" in body["text"] and body["not_emergency"] == CLINIC.wording.not_emergency
