from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clock import FrozenClock
from companion.models import Answer, CheckIn, TreatmentSession
from tests.checkins.helpers import make_prompt
from tests.conftest import World


async def _counts(session: AsyncSession) -> tuple[int, int]:
    checkins = (await session.execute(select(func.count()).select_from(CheckIn))).scalar_one()
    answers = (await session.execute(select(func.count()).select_from(Answer))).scalar_one()
    return checkins, answers


async def test_pending_submit_and_history(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic)
    headers = world.patient_headers(patient)
    prompt = await make_prompt(session, clock, patient.id or 0, "phq9")
    pending = (await client.get("/api/v1/me/checkins/pending", headers=headers)).json()
    assert [p["id"] for p in pending] == [prompt.id]
    assert pending[0]["questions"][0]["text"] == "Little interest or pleasure in doing things"
    assert pending[0]["questions"][0]["choices"][3] == {"value": 3, "label": "Nearly every day"}

    answers = {f"phq9_{i}": 1 for i in range(1, 10)}
    response = await client.post("/api/v1/me/checkins", headers=headers,
                                 json={"instrument": "phq9", "prompt_id": prompt.id, "answers": answers,
                                       "client_ref": "offline-0001"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["total"], body["band"], body["source"]) == ("complete", 9, "mild", "app")
    assert "phq9_item9" in body["flags"]
    # Item 9 answered 1: the C-SSRS screener is asked at once, in the app.
    pending = (await client.get("/api/v1/me/checkins/pending", headers=headers)).json()
    assert [p["instrument"] for p in pending] == ["cssrs"]

    history = (await client.get("/api/v1/me/history", headers=headers)).json()
    assert [(c["instrument"], c["total"]) for c in history["checkins"]] == [("phq9", 9)]


async def test_an_offline_retry_is_stored_once(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic)
    headers = world.patient_headers(patient)
    submission = {"instrument": "mood", "answers": {"mood": 6, "sleep_hours": 7.5}, "client_ref": "abcdef123456"}
    first = await client.post("/api/v1/me/checkins", headers=headers, json=submission)
    second = await client.post("/api/v1/me/checkins", headers=headers, json=submission)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert await _counts(session) == (1, 2)


@pytest.mark.parametrize(
    ("submission", "field"),
    [
        ({"instrument": "mood", "answers": {"mood": 11}}, "answers.mood"),
        ({"instrument": "mood", "answers": {"mood": "7"}}, "answers.mood"),
        ({"instrument": "mood", "answers": {"mood": 7, "sleep_hours": 30}}, "answers.sleep_hours"),
        ({"instrument": "mood", "answers": {"mood": 7, "note": "x" * 1001}}, "answers.note"),
        ({"instrument": "mood", "answers": {"mood": 7, "colour": "blue"}}, "answers.colour"),
        ({"instrument": "phq9", "answers": {"phq9_1": 4}}, "answers.phq9_1"),
        ({"instrument": "cssrs", "answers": {"cssrs_1": 1}}, "answers.cssrs_1"),
        ({"instrument": "tarot", "answers": {"x": 1}}, "instrument"),
        ({"instrument": "mood", "answers": {}}, "answers"),
        ({"instrument": "mood", "answers": {"mood": 5}, "extra": 1}, "extra"),
        ({"instrument": "mood", "answers": {"mood": 5}, "client_ref": "no spaces allowed"}, "client_ref"),
    ],
)
async def test_a_bad_answer_gets_a_clear_400_and_nothing_is_stored(
    client: httpx.AsyncClient, world: World, session: AsyncSession, submission: dict, field: str
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic)
    response = await client.post("/api/v1/me/checkins", headers=world.patient_headers(patient), json=submission)
    assert response.status_code == 400, response.text
    assert field in {e.get("key") for e in response.json().get("extra", [])}, response.json()
    assert await _counts(session) == (0, 0)


async def test_a_bad_answer_among_good_ones_stores_none_of_them(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic)
    prompt = await make_prompt(session, clock, patient.id or 0, "gad7")
    answers = {"gad7_1": 1, "gad7_2": 2, "gad7_3": 9}
    response = await client.post("/api/v1/me/checkins", headers=world.patient_headers(patient),
                                 json={"instrument": "gad7", "prompt_id": prompt.id, "answers": answers})
    assert response.status_code == 400
    assert await _counts(session) == (0, 0)


async def test_patient_a_cannot_read_or_submit_for_patient_b(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    clinic = await world.clinic()
    alice = await world.patient(clinic, reference="P-1", phone="+12025550111")
    bob = await world.patient(clinic, reference="P-2", phone="+12025550112")
    bobs = await make_prompt(session, clock, bob.id or 0, "mood")
    headers = world.patient_headers(alice)
    assert (await client.get("/api/v1/me/checkins/pending", headers=headers)).json() == []
    response = await client.post("/api/v1/me/checkins", headers=headers,
                                 json={"instrument": "mood", "prompt_id": bobs.id, "answers": {"mood": 3}})
    assert response.status_code == 404
    assert await _counts(session) == (0, 0)
    await client.post("/api/v1/me/checkins", headers=world.patient_headers(bob),
                      json={"instrument": "mood", "answers": {"mood": 4}})
    assert (await client.get("/api/v1/me/history", headers=headers)).json()["checkins"] == []


async def test_an_expired_prompt_cannot_be_answered(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic)
    prompt = await make_prompt(session, clock, patient.id or 0, "mood", expires_in=timedelta(hours=2))
    clock.advance(hours=3)
    response = await client.post("/api/v1/me/checkins", headers=world.patient_headers(patient),
                                 json={"instrument": "mood", "prompt_id": prompt.id, "answers": {"mood": 5}})
    assert response.status_code == 409


async def test_staff_tokens_do_not_open_the_patient_api_and_vice_versa(
    client: httpx.AsyncClient, world: World
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic)
    member = await world.staff(clinic)
    assert (await client.get("/api/v1/me/history", headers=world.headers(member))).status_code == 401
    assert (await client.get("/api/v1/patients", headers=world.patient_headers(patient))).status_code == 401
    assert (await client.get("/api/v1/me/history")).status_code == 401


async def test_crisis_resources_are_public(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/crisis")).json()
    assert "988" in body["text"] and "not an emergency service" in body["not_emergency"]


async def test_staff_timeline(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic)
    headers = world.patient_headers(patient)
    phq9 = {f"phq9_{i}": 2 for i in range(1, 10)}  # total 18: the baseline, before the first session
    await client.post("/api/v1/me/checkins", headers=headers, json={"instrument": "phq9", "answers": phq9})
    clock.advance(days=1)
    session.add(TreatmentSession(patient_id=patient.id, clinic_id=clinic.id, modality="iv",
                                 started_at=clock.now(), ended_at=clock.now() + timedelta(minutes=40)))
    await session.commit()
    for mood in (3, 4, 5, 6, 7):
        clock.advance(days=1)
        response = await client.post("/api/v1/me/checkins", headers=world.patient_headers(patient),
                                     json={"instrument": "mood", "answers": {"mood": mood}})
        assert response.status_code == 201
    clock.advance(days=1)
    better = {f"phq9_{i}": 0 for i in range(1, 10)} | {"phq9_1": 1, "phq9_2": 1}
    response = await client.post("/api/v1/me/checkins", headers=world.patient_headers(patient),
                                 json={"instrument": "phq9", "answers": better})
    assert response.status_code == 201

    member = await world.staff(clinic)
    timeline = (await client.get(f"/api/v1/patients/{patient.id}/timeline", headers=world.headers(member))).json()
    assert [s["modality"] for s in timeline["sessions"]] == ["iv"]
    assert timeline["mood"]["latest"] == 7 and timeline["mood"]["baseline"] == 4.5
    assert timeline["phq9"] == {"baseline": 18, "latest": 2, "latest_band": "minimal", "response": True,
                                "remission": True}
    other = await world.clinic("Other")
    outsider = await world.staff(other)
    response = await client.get(f"/api/v1/patients/{patient.id}/timeline", headers=world.headers(outsider))
    assert response.status_code == 404
