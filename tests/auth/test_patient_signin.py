"""Patient sign-in with a one-time SMS code: no hint whether a number is enrolled, limits that
hold across replicas, single-use codes, and a token that reaches only its own patient."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from httpx import AsyncClient
from litestar import Litestar
from sqlalchemy import select

from companion.auth import patient_services, tokens
from companion.clock import FrozenClock
from companion.db import create_sessionmaker
from companion.models import AuditEvent, Clinic, OutboundMessage, Patient, PatientLoginCode
from tests.conftest import World, waiting_out_backoff

CODE_URL = "/api/v1/auth/patient/code"
VERIFY_URL = "/api/v1/auth/patient/verify"
SENT = {"detail": "If this number is enrolled, a code is on its way."}
UNKNOWN = "+12025550199"


async def _ask(client: AsyncClient, phone: str) -> httpx.Response:
    return await client.post(CODE_URL, json={"phone": phone})


async def _verify(client: AsyncClient, phone: str, code: str) -> httpx.Response:
    return await client.post(VERIFY_URL, json={"phone": phone, "code": code})


async def _all(world: World, query: Any) -> list[Any]:
    """Read committed rows in a fresh session (a long-lived one would keep an old snapshot)."""
    async with create_sessionmaker(world.engine)() as session:
        return list((await session.execute(query)).scalars().all())


async def _otp_messages(world: World, patient_id: int | None = None) -> list[OutboundMessage]:
    query = select(OutboundMessage).where(OutboundMessage.purpose == "otp").order_by(OutboundMessage.id)
    if patient_id is not None:
        query = query.where(OutboundMessage.patient_id == patient_id)
    return await _all(world, query)


async def _login_rows(world: World, phone: str | None = None) -> list[PatientLoginCode]:
    query = select(PatientLoginCode).order_by(PatientLoginCode.id)
    if phone is not None:
        query = query.where(PatientLoginCode.phone == phone)
    return await _all(world, query)


async def _last_code(world: World, patient: Patient) -> str:
    messages = await _otp_messages(world, patient.id)
    assert messages, "no sign-in code was sent"
    match = re.fullmatch(
        r"Your sign-in code is (\d{6})\. It expires in 10 minutes\. Do not share it\.", messages[-1].body
    )
    assert match, messages[-1].body
    return match.group(1)


def _other(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def _sign_in(client: AsyncClient, world: World, patient: Patient) -> dict[str, str]:
    assert (await _ask(client, patient.phone)).status_code == 202
    response = await _verify(client, patient.phone, await _last_code(world, patient))
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
async def clinic(world: World) -> Clinic:
    return await world.clinic("Northside Ketamine Clinic")


@pytest.fixture
async def other_address(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="https://companion.example.org") as made:
        yield made


async def test_code_arrives_by_sms_and_signs_the_patient_in(
    client: AsyncClient, world: World, clinic: Clinic, clock: FrozenClock
) -> None:
    patient = await world.patient(clinic, reference="P-1042", phone="+12025550142", name="Pat Example")
    asked = await _ask(client, "(202) 555-0142")
    assert asked.status_code == 202 and asked.json() == SENT

    [message] = await _otp_messages(world)
    assert message.patient_id == patient.id and message.clinic_id == clinic.id
    assert message.to_phone == "+12025550142" and message.status == "pending"
    assert "Northside" not in message.body and "Ketamine" not in message.body.title()
    code = await _last_code(world, patient)
    [row] = await _login_rows(world)
    assert row.patient_id == patient.id and row.code_hash and code not in row.code_hash
    assert row.expires_at == clock.now() + timedelta(minutes=10) and row.client_address == "127.0.0.1"

    verified = await _verify(client, "+1 202 555 0142", f"  {code} ")
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert body["token_type"] == "bearer"
    assert body["patient"] == {"reference": "P-1042", "display_name": "Pat Example"}
    ttl = timedelta(minutes=world.settings.patient_token_ttl_minutes)
    assert body["expires_at"].startswith((clock.now() + ttl).strftime("%Y-%m-%dT%H:%M:%S"))
    claims = tokens.verify(world.settings.secret_keys, body["access_token"], clock.now())
    assert (claims.kind, claims.subject_id, claims.clinic_id, claims.role) == ("patient", patient.id, clinic.id, None)

    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200, me.text
    assert me.json() == {
        "reference": "P-1042",
        "display_name": "Pat Example",
        "timezone": "America/New_York",
        "preferred_checkin_time": "10:00:00",
        "channel": "sms",
        "sms_consent": "opted_in",
        "quiet_start": "21:00:00",
        "quiet_end": "08:00:00",
    }
    [row] = await _login_rows(world)
    assert row.used_at == clock.now()
    [event] = await _all(world, select(AuditEvent).where(AuditEvent.action == "patient.login"))
    assert event.actor == f"patient:{patient.id}" and event.subject == f"patient:{patient.id}"
    assert event.clinic_id == clinic.id and "142" not in str(event.detail)


async def test_a_patient_token_reaches_only_that_patient(client: AsyncClient, world: World, clinic: Clinic) -> None:
    other_clinic = await world.clinic("Elsewhere")
    alice = await world.patient(clinic, reference="P-1", phone="+12025550111", name="Alice")
    bob = await world.patient(other_clinic, reference="P-2", phone="+12025550112", name="Bob")
    alice_headers = await _sign_in(client, world, alice)
    bob_headers = await _sign_in(client, world, bob)
    assert (await client.get("/api/v1/me", headers=alice_headers)).json()["reference"] == "P-1"
    assert (await client.get("/api/v1/me", headers=bob_headers)).json()["reference"] == "P-2"

    # A token naming Bob but signed with another key, or naming Bob under Alice's clinic, is refused.
    now = world.clock.now()
    forged = tokens.issue(
        "some-other-secret-value",
        tokens.make_claims("patient", bob.id or 0, other_clinic.id or 0, None, now, timedelta(hours=1)),
    )
    crossed = tokens.issue(
        world.settings.signing_key,
        tokens.make_claims("patient", bob.id or 0, clinic.id or 0, None, now, timedelta(hours=1)),
    )
    for token in (forged, crossed):
        assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})).status_code == 401


async def test_unknown_discharged_and_opted_out_numbers_get_the_same_answer(
    client: AsyncClient, world: World, clinic: Clinic
) -> None:
    enrolled = await world.patient(clinic, reference="P-1", phone="+12025550111")
    gone = await world.patient(clinic, reference="P-2", phone="+12025550112")
    quiet = await world.patient(clinic, reference="P-3", phone="+12025550113")
    staff = world.headers(await world.staff(clinic, "clinician"))
    assert (await client.post(f"/api/v1/patients/{gone.id}/discharge", headers=staff)).status_code == 200
    async with create_sessionmaker(world.engine)() as session:
        stored = await session.get(Patient, quiet.id)
        assert stored is not None
        stored.sms_consent = "opted_out"
        await session.commit()

    answers = [await _ask(client, phone) for phone in (enrolled.phone, UNKNOWN, gone.phone, quiet.phone)]
    assert {a.status_code for a in answers} == {202}
    assert all(a.json() == SENT for a in answers)
    assert len({a.content for a in answers}) == 1
    per_request = ("date", "x-request-id")
    assert len({tuple(sorted((k, v) for k, v in a.headers.items() if k not in per_request)) for a in answers}) == 1

    messages = await _otp_messages(world)
    assert [(m.patient_id, m.status) for m in messages] == [(enrolled.id, "pending"), (quiet.id, "suppressed")]
    rows = {row.phone: row for row in await _login_rows(world)}
    assert len(rows) == 4
    for phone in (UNKNOWN, gone.phone):
        assert rows[phone].patient_id is None and rows[phone].code_hash is None
    assert rows[enrolled.phone].code_hash and rows[quiet.phone].code_hash


async def test_checking_a_code_answers_the_same_for_every_failure(
    client: AsyncClient, world: World, clinic: Clinic
) -> None:
    patient = await world.patient(clinic)
    await _ask(client, patient.phone)
    await _ask(client, UNKNOWN)
    wrong = await _verify(client, patient.phone, _other(await _last_code(world, patient)))
    unknown = await _verify(client, UNKNOWN, "123456")
    never_asked = await _verify(client, "+12025550177", "123456")
    assert wrong.status_code == unknown.status_code == never_asked.status_code == 401
    assert wrong.json() == unknown.json() == never_asked.json()
    assert wrong.json()["detail"] == "the code is wrong or has expired"


@pytest.mark.parametrize("phone", ["", "12", "not a number", "+1 202 555 01", "+999 1234", 2025550142])
async def test_a_malformed_phone_is_refused_naming_the_field(client: AsyncClient, world: World, phone: Any) -> None:
    for url, body in ((CODE_URL, {"phone": phone}), (VERIFY_URL, {"phone": phone, "code": "123456"})):
        response = await client.post(url, json=body)
        assert response.status_code == 400, response.text
        assert "phone" in response.json()["detail"]
        assert any(e.get("key") == "phone" for e in response.json()["extra"])
    assert await _login_rows(world) == []


@pytest.mark.parametrize("code", ["", "12345", "1234567", "12a456", "12 456", "١٢٣٤٥٦", 123456, None])
async def test_a_malformed_code_is_refused_naming_the_field(client: AsyncClient, code: Any) -> None:
    response = await client.post(VERIFY_URL, json={"phone": "+12025550142", "code": code})
    assert response.status_code == 400, response.text
    assert "code" in response.json()["detail"]
    assert any(e.get("key") == "code" for e in response.json()["extra"])


@pytest.mark.parametrize(
    ("url", "body"),
    [
        (CODE_URL, {"phone": "+12025550142", "clinic_id": 1}),
        (VERIFY_URL, {"phone": "+12025550142", "code": "123456", "remember": True}),
        (VERIFY_URL, {"phone": "+12025550142"}),
    ],
)
async def test_unknown_or_missing_fields_are_refused(client: AsyncClient, url: str, body: dict[str, Any]) -> None:
    assert (await client.post(url, json=body)).status_code == 400


async def test_five_wrong_codes_kill_the_code_and_the_attempts_persist(
    client: AsyncClient, world: World, clinic: Clinic, clock: FrozenClock
) -> None:
    patient = await world.patient(clinic)
    await _ask(client, patient.phone)
    code = await _last_code(world, patient)
    limit = world.settings.patient_code_max_attempts
    assert limit == 5
    for attempt in range(1, limit + 1):
        response = await _verify(client, patient.phone, _other(code))
        assert response.status_code == 401
        [row] = await _login_rows(world)
        assert row.attempts == attempt and row.used_at is None
    assert (await waiting_out_backoff(clock, lambda: _verify(client, patient.phone, code))).status_code == 401
    [row] = await _login_rows(world)
    assert row.attempts == limit and row.used_at is None
    [event] = await _all(world, select(AuditEvent).where(AuditEvent.action == "patient.login_code_exhausted"))
    assert event.subject == f"patient:{patient.id}" and event.detail == {"attempts": limit}
    # A fresh code works again.
    assert (await waiting_out_backoff(clock, lambda: _ask(client, patient.phone))).status_code == 202
    fresh = await _last_code(world, patient)
    assert (await waiting_out_backoff(clock, lambda: _verify(client, patient.phone, fresh))).status_code == 200


async def test_a_wrong_guess_then_the_right_code_signs_in(client: AsyncClient, world: World, clinic: Clinic) -> None:
    patient = await world.patient(clinic)
    await _ask(client, patient.phone)
    code = await _last_code(world, patient)
    for _ in range(world.settings.patient_code_max_attempts - 1):
        assert (await _verify(client, patient.phone, _other(code))).status_code == 401
    assert (await _verify(client, patient.phone, code)).status_code == 200


async def test_a_code_expires_after_ten_minutes(
    client: AsyncClient, world: World, clinic: Clinic, clock: FrozenClock
) -> None:
    patient = await world.patient(clinic)
    await _ask(client, patient.phone)
    code = await _last_code(world, patient)
    clock.advance(minutes=10)
    assert (await _verify(client, patient.phone, code)).status_code == 401

    await _ask(client, patient.phone)
    code = await _last_code(world, patient)
    clock.advance(minutes=9, seconds=59)
    assert (await _verify(client, patient.phone, code)).status_code == 200


async def test_a_code_signs_in_once_only(client: AsyncClient, world: World, clinic: Clinic) -> None:
    patient = await world.patient(clinic)
    await _ask(client, patient.phone)
    code = await _last_code(world, patient)
    assert (await _verify(client, patient.phone, code)).status_code == 200
    second = await _verify(client, patient.phone, code)
    assert second.status_code == 401 and second.json()["detail"] == "the code is wrong or has expired"


async def test_a_newer_code_invalidates_the_older_one(
    client: AsyncClient, world: World, clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = iter(["111111", "222222"])
    monkeypatch.setattr(patient_services, "new_code", lambda: next(codes))
    patient = await world.patient(clinic)
    await _ask(client, patient.phone)
    await _ask(client, patient.phone)
    assert [m.body[21:27] for m in await _otp_messages(world, patient.id)] == ["111111", "222222"]
    assert (await _verify(client, patient.phone, "111111")).status_code == 401
    assert (await _verify(client, patient.phone, "222222")).status_code == 200
    older, newer = await _login_rows(world)
    assert older.used_at is None and older.expires_at <= world.clock.now() and newer.used_at is not None


async def test_a_code_for_another_number_does_not_work(
    client: AsyncClient, world: World, clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = iter(["111111", "222222"])
    monkeypatch.setattr(patient_services, "new_code", lambda: next(codes))
    alice = await world.patient(clinic, reference="P-1", phone="+12025550111")
    bob = await world.patient(clinic, reference="P-2", phone="+12025550112")
    await _ask(client, alice.phone)
    await _ask(client, bob.phone)
    assert (await _verify(client, bob.phone, "111111")).status_code == 401
    assert (await _verify(client, alice.phone, "111111")).status_code == 200


async def _retry_after(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    seconds = int(response.headers["retry-after"])
    assert response.json()["extra"] == [{"retry_after": seconds}]
    return seconds


@pytest.mark.settings(patient_code_limit_per_address=1000)
async def test_each_number_backs_off_alike_from_every_address(
    client: AsyncClient, world: World, clinic: Clinic, clock: FrozenClock, other_address: httpx.AsyncClient
) -> None:
    patient = await world.patient(clinic)
    free = world.settings.patient_backoff_free_per_phone
    assert free == 6
    for phone in (patient.phone, UNKNOWN):
        for _ in range(free):
            assert (await _ask(client, phone)).status_code == 202
    refused = [
        await _ask(client, patient.phone),
        await _ask(client, UNKNOWN),
        await _ask(other_address, patient.phone),
        await _ask(other_address, UNKNOWN),
    ]
    assert {r.status_code for r in refused} == {429}
    assert len({r.content for r in refused}) == 1 and "too many" in refused[0].json()["detail"]
    assert {await _retry_after(r) for r in refused} == {2}
    # A refused request stores nothing, sends nothing, and does not push the wait further out.
    assert len(await _login_rows(world, patient.phone)) == len(await _login_rows(world, UNKNOWN)) == free
    assert len(await _otp_messages(world, patient.id)) == free

    # Each further request doubles the wait, up to the cap.
    waits = []
    for _ in range(12):
        clock.advance(seconds=waits[-1] if waits else 2)
        assert (await _ask(client, patient.phone)).status_code == 202
        waits.append(await _retry_after(await _ask(client, patient.phone)))
    cap = world.settings.patient_backoff_cap_seconds
    assert waits == [4, 8, 16, 32, 64, 128, 256, cap, cap, cap, cap, cap]
    clock.advance(seconds=cap - 1)
    assert (await _ask(client, patient.phone)).status_code == 429
    clock.advance(seconds=1)
    assert (await _ask(client, patient.phone)).status_code == 202
    clock.advance(seconds=cap)
    assert (await _verify(client, patient.phone, await _last_code(world, patient))).status_code == 200
    # Signing in starts the number afresh; the other number keeps its count.
    for _ in range(free):
        assert (await _ask(client, patient.phone)).status_code == 202
    assert (await _ask(client, UNKNOWN)).status_code == 202
    assert await _retry_after(await _ask(client, UNKNOWN)) == 4


async def test_a_quiet_number_starts_afresh(client: AsyncClient, world: World, clinic: Clinic,
                                            clock: FrozenClock) -> None:
    patient = await world.patient(clinic)
    for _ in range(world.settings.patient_backoff_free_per_phone):
        assert (await _ask(client, patient.phone)).status_code == 202
    assert (await _ask(client, patient.phone)).status_code == 429
    clock.advance(minutes=world.settings.backoff_forget_minutes)
    for _ in range(world.settings.patient_backoff_free_per_phone):
        assert (await _ask(client, patient.phone)).status_code == 202


async def test_a_guesser_cannot_lock_the_patient_out_for_an_hour(
    client: AsyncClient, world: World, clinic: Clinic, clock: FrozenClock, other_address: httpx.AsyncClient
) -> None:
    """Someone asks for codes and guesses at them for the patient's number for hours on end; the
    patient still signs in within a few minutes of trying."""
    patient = await world.patient(clinic)
    started = clock.now()
    while clock.now() - started < timedelta(hours=3):
        for attempt in (_ask(other_address, patient.phone), _verify(other_address, patient.phone, "000000")):
            response = await attempt
            if response.status_code == 429:
                clock.advance(seconds=int(response.headers["retry-after"]))
    # The guesser has just been let through once more; now the patient tries.
    trying = clock.now()
    assert (await waiting_out_backoff(clock, lambda: _ask(client, patient.phone))).status_code == 202
    code = await _last_code(world, patient)
    assert (await waiting_out_backoff(clock, lambda: _verify(client, patient.phone, code))).status_code == 200
    cap = timedelta(seconds=world.settings.patient_backoff_cap_seconds)
    assert clock.now() - trying <= 2 * cap < timedelta(hours=1)


async def test_the_limit_per_client_address_answers_alike_and_slides(
    client: AsyncClient, world: World, clinic: Clinic, clock: FrozenClock, other_address: httpx.AsyncClient
) -> None:
    first = await world.patient(clinic, reference="P-1", phone="+12025550101")
    later = await world.patient(clinic, reference="P-2", phone="+12025550102")
    limit = world.settings.patient_code_limit_per_address
    assert limit == 20
    numbers = [first.phone] + [f"+120255501{n:02d}" for n in range(10, 10 + limit - 1)]
    for phone in numbers:
        assert (await _ask(other_address, phone)).status_code == 202, phone
    refused = [await _ask(other_address, later.phone), await _ask(other_address, UNKNOWN)]
    assert {r.status_code for r in refused} == {429}
    assert refused[0].content == refused[1].content
    assert await _otp_messages(world, later.id) == []

    # Another address is not held back, and the window slides.
    assert (await _ask(client, later.phone)).status_code == 202
    clock.advance(hours=1)
    assert (await _ask(other_address, later.phone)).status_code == 202
    assert (await _ask(other_address, UNKNOWN)).status_code == 202


async def test_patient_and_staff_tokens_are_not_interchangeable(
    client: AsyncClient, world: World, clinic: Clinic
) -> None:
    patient = await world.patient(clinic)
    staff = world.headers(await world.staff(clinic, "admin"))
    patient_headers = await _sign_in(client, world, patient)
    assert (await client.get("/api/v1/patients", headers=patient_headers)).status_code == 401
    assert (await client.get(f"/api/v1/patients/{patient.id}", headers=patient_headers)).status_code == 401
    assert (await client.get("/api/v1/me", headers=staff)).status_code == 401
    assert (await client.get("/api/v1/patients", headers=staff)).status_code == 200
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic abc"}):
        assert (await client.get("/api/v1/me", headers=headers)).status_code == 401


async def test_an_expired_patient_token_is_refused(
    client: AsyncClient, world: World, clinic: Clinic, clock: FrozenClock
) -> None:
    patient = await world.patient(clinic)
    headers = await _sign_in(client, world, patient)
    clock.advance(minutes=world.settings.patient_token_ttl_minutes - 1)
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    clock.advance(minutes=1)
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401


async def test_a_discharged_patient_is_signed_out_and_cannot_sign_in(
    client: AsyncClient, world: World, clinic: Clinic
) -> None:
    patient = await world.patient(clinic)
    staff = world.headers(await world.staff(clinic, "clinician"))
    headers = await _sign_in(client, world, patient)
    await _ask(client, patient.phone)
    pending_code = await _last_code(world, patient)
    assert (await client.post(f"/api/v1/patients/{patient.id}/discharge", headers=staff)).status_code == 200
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401
    assert (await _verify(client, patient.phone, pending_code)).status_code == 401
    assert (await _ask(client, patient.phone)).json() == SENT
    assert len(await _otp_messages(world, patient.id)) == 2


async def test_a_code_sent_to_a_number_the_patient_no_longer_has_is_refused(
    client: AsyncClient, world: World, clinic: Clinic
) -> None:
    patient = await world.patient(clinic, phone="+12025550142")
    staff = world.headers(await world.staff(clinic, "clinician"))
    await _ask(client, patient.phone)
    code = await _last_code(world, patient)
    changed = await client.patch(f"/api/v1/patients/{patient.id}", json={"phone": "+12025550143"}, headers=staff)
    assert changed.status_code == 200
    assert (await _verify(client, "+12025550142", code)).status_code == 401


async def test_a_number_enrolled_at_two_clinics_signs_in_the_newest_enrolment(
    client: AsyncClient, world: World, clinic: Clinic, clock: FrozenClock
) -> None:
    older = await world.patient(clinic, reference="P-OLD", phone="+12025550142")
    enrolled_at = clock.now()
    clock.advance(days=1)
    newer_clinic = await world.clinic("Second")
    newer = await world.patient(newer_clinic, reference="P-NEW", phone="+12025550142")
    # Both enrolment times from the test's clock (the rows' defaults read the wall clock).
    async with create_sessionmaker(world.engine)() as session:
        for patient, created in ((older, enrolled_at), (newer, clock.now())):
            stored = await session.get(Patient, patient.id)
            assert stored is not None
            stored.created_at = created
        await session.commit()
    headers = await _sign_in(client, world, newer)
    assert (await client.get("/api/v1/me", headers=headers)).json()["reference"] == "P-NEW"


async def test_neither_the_code_nor_the_number_is_logged(
    client: AsyncClient, world: World, clinic: Clinic, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    patient = await world.patient(clinic, phone="+12025550142")
    await _ask(client, patient.phone)
    await _ask(client, UNKNOWN)
    code = await _last_code(world, patient)
    await _verify(client, patient.phone, _other(code))
    await _verify(client, UNKNOWN, code)
    assert (await _verify(client, patient.phone, code)).status_code == 200
    for _ in range(world.settings.patient_backoff_free_per_phone):
        await _ask(client, UNKNOWN)
    assert "sign-in code" in caplog.text and "refused by its backoff" in caplog.text
    for secret in (code, _other(code), patient.phone, "2025550142", UNKNOWN, "2025550199"):
        assert secret not in caplog.text


async def test_concurrent_checks_count_every_guess_and_sign_in_once(
    client: AsyncClient, world: World, clinic: Clinic, clock: FrozenClock
) -> None:
    patient = await world.patient(clinic)
    await _ask(client, patient.phone)
    code = await _last_code(world, patient)
    right = await asyncio.gather(*(_verify(client, patient.phone, code) for _ in range(4)))
    assert sorted(r.status_code for r in right) == [200, 401, 401, 401]

    # A quiet number starts afresh: a request and then the free guesses pass the backoff, the
    # code's own limit counts five of them, and the rest wait.
    clock.advance(minutes=world.settings.backoff_forget_minutes)
    await _ask(client, patient.phone)
    code = await _last_code(world, patient)
    wrong = await asyncio.gather(*(_verify(client, patient.phone, _other(code)) for _ in range(9)))
    free = world.settings.patient_backoff_free_per_phone
    assert sorted(r.status_code for r in wrong) == [401] * (free - 1) + [429] * (10 - free)
    assert (await _login_rows(world))[-1].attempts == world.settings.patient_code_max_attempts


async def test_concurrent_requests_respect_the_backoff_per_number(
    client: AsyncClient, world: World, clinic: Clinic
) -> None:
    patient = await world.patient(clinic)
    answers = await asyncio.gather(*(_ask(client, patient.phone) for _ in range(9)))
    free = world.settings.patient_backoff_free_per_phone
    assert sorted(a.status_code for a in answers) == [202] * free + [429] * (9 - free)
    assert len(await _otp_messages(world, patient.id)) == free
