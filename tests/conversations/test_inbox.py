"""The staff inbox (GET /api/v1/messages, POST /api/v1/messages/{id}/review): the clinic's inbound
patient messages newest first, filtered and paged, with the reply and its delivery status; a
review kept once; other clinics never seen; every read and review audited."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clock import FrozenClock
from companion.messaging.dispatcher import Dispatcher
from companion.models import AuditEvent, Clinic, InboundMessage, Patient, StaffMember
from tests.conftest import START, World
from tests.fakes.fake_twilio import FakeTwilio
from tests.messaging.conftest import Sms

PHONE = "+12025550142"
OTHER_PHONE = "+12025550143"


async def _stored(session: AsyncSession, patient: Patient, body: str, at: datetime, *, review: bool = False,
                  keyword: str | None = None) -> int:
    row = InboundMessage(
        message_sid=f"SM{patient.id:04d}{int(at.timestamp()):028d}", clinic_id=patient.clinic_id,
        patient_id=patient.id, from_phone=patient.phone, to_phone="+15005550006", body=body, sender_kind="patient",
        keyword=keyword, received_at=at, needs_review=review, status="handled",
    )
    session.add(row)
    await session.commit()
    assert row.id is not None
    return row.id


async def _inbox(client: httpx.AsyncClient, world: World, member: StaffMember, **query: object) -> dict[str, Any]:
    response = await client.get("/api/v1/messages", params=query, headers=world.headers(member))
    assert response.status_code == 200, response.text
    return response.json()


def _bodies(page: dict[str, Any]) -> list[str]:
    return [item["body"] for item in page["items"]]


async def _two_patients(world: World) -> tuple[Clinic, StaffMember, Patient, Patient]:
    clinic = await world.clinic(timezone="America/New_York")
    clinician = await world.staff(clinic, "clinician")
    first = await world.patient(clinic, reference="P-1042", phone=PHONE, name="Pat Example")
    second = await world.patient(clinic, reference="P-2001", phone=OTHER_PHONE, name="Sam Other")
    return clinic, clinician, first, second


async def test_newest_first_filtered_and_paged_within_the_clinic(
    client: httpx.AsyncClient, world: World, session: AsyncSession,
) -> None:
    _, clinician, first, second = await _two_patients(world)
    day_before = START - timedelta(days=1)  # 2026-11-26 10:00 in New York
    await _stored(session, first, "slept badly", day_before)
    await _stored(session, second, "can I move my session?", START - timedelta(hours=2), review=True)
    await _stored(session, first, "HELP", START - timedelta(hours=1), keyword="HELP")
    await _stored(session, first, "feeling flat again", START, review=True)
    stranger = await world.patient(await world.clinic("Other Clinic"), reference="P-9", phone="+12025550199")
    await _stored(session, stranger, "another clinic's patient", START)

    page = await _inbox(client, world, clinician)
    assert _bodies(page) == ["feeling flat again", "HELP", "can I move my session?", "slept badly"]
    assert page["total"] == 4 and (page["limit"], page["offset"]) == (50, 0)
    newest = page["items"][0]
    assert newest["patient"] == {"id": first.id, "reference": "P-1042", "display_name": "Pat Example"}
    assert (newest["needs_review"], newest["reviewed_at"], newest["reviewed_by"], newest["reply"]) == (
        True, None, None, None)
    assert page["items"][1]["keyword"] == "HELP"

    assert _bodies(await _inbox(client, world, clinician, needs_review="true")) == [
        "feeling flat again", "can I move my session?"]
    assert _bodies(await _inbox(client, world, clinician, needs_review="false")) == ["HELP", "slept badly"]
    assert _bodies(await _inbox(client, world, clinician, patient_id=second.id)) == ["can I move my session?"]
    # A date is the clinic's day: until 2026-11-26 includes all of it, since 2026-11-27 starts at its midnight.
    assert _bodies(await _inbox(client, world, clinician, until="2026-11-26")) == ["slept badly"]
    assert len(_bodies(await _inbox(client, world, clinician, since="2026-11-27"))) == 3
    window = await _inbox(client, world, clinician, since="2026-11-27T12:30:00Z", until="2026-11-27T14:30:00Z")
    assert _bodies(window) == ["HELP", "can I move my session?"] and window["total"] == 2
    paged = await _inbox(client, world, clinician, limit=2, offset=1)
    assert _bodies(paged) == ["HELP", "can I move my session?"] and paged["total"] == 4
    assert _bodies(await _inbox(client, world, clinician, limit=2, offset=4)) == []

    reads = (await session.execute(select(AuditEvent).where(AuditEvent.action == "message.list")
                                   .order_by(AuditEvent.id))).scalars().all()
    assert len(reads) == 9 and {r.actor for r in reads} == {f"staff:{clinician.id}"}
    assert reads[0].detail == {"count": 4, "patient_ids": sorted([first.id, second.id])}
    assert all("flat" not in str(r.detail) for r in reads)


@pytest.mark.parametrize(("query", "field"), [
    ({"since": "last tuesday"}, "since"),
    ({"until": "2026-11-27T09:00:00"}, "until"),  # no offset
    ({"since": "2026-11-28", "until": "2026-11-27"}, "until"),
    ({"limit": "0"}, "limit"),
    ({"limit": "201"}, "limit"),
    ({"offset": "-1"}, "offset"),
    ({"needs_review": "perhaps"}, "needs_review"),
    ({"patient_id": "0"}, "patient_id"),
    ({"since": "x" * 41}, "since"),
])
async def test_bad_filters_are_refused_with_the_parameter_named(
    client: httpx.AsyncClient, world: World, query: dict[str, str], field: str,
) -> None:
    clinician = await world.staff(await world.clinic())
    response = await client.get("/api/v1/messages", params=query, headers=world.headers(clinician))
    assert response.status_code == 400, response.text
    assert field in response.text


async def test_a_patient_text_shows_with_its_reply_and_the_replys_delivery(
    client: httpx.AsyncClient, world: World, sms: Sms, fake: FakeTwilio, dispatcher: Dispatcher,
) -> None:
    clinic, clinician, _, _ = await _two_patients(world)
    await world.staff(clinic, "admin", phone="+12025550181")
    [reply] = await sms.say(PHONE, "I have a question about my next appointment")
    [item] = (await _inbox(client, world, clinician))["items"]
    assert (item["body"], item["reply"], item["reply_status"], item["needs_review"]) == (
        "I have a question about my next appointment", reply, "pending", True)
    await dispatcher.drain()
    [sent] = fake.messages_to(PHONE)
    await fake.asend_status(sent.sid, "delivered", client=client)
    [item] = (await _inbox(client, world, clinician))["items"]
    assert item["reply_status"] == "delivered"
    # A staff member's own texts, and a stranger's, are not patient messages.
    assert await sms.say("+12025550181", "ACK")
    assert await sms.say("+12025550177", "who is this?")
    assert _bodies(await _inbox(client, world, clinician)) == ["I have a question about my next appointment"]


async def test_review_is_kept_once_by_whom_and_when_and_audited(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock,
) -> None:
    clinic, clinician, first, _ = await _two_patients(world)
    admin = await world.staff(clinic, "admin")
    message_id = await _stored(session, first, "feeling flat again", START, review=True)
    clock.advance(minutes=7)
    reviewed = await client.post(f"/api/v1/messages/{message_id}/review", headers=world.headers(clinician))
    assert reviewed.status_code == 200, reviewed.text
    body = reviewed.json()
    assert (body["needs_review"], body["reviewed_by"]) == (False, "Clinician Person")
    assert datetime.fromisoformat(body["reviewed_at"]) == clock.now()
    clock.advance(minutes=5)
    again = await client.post(f"/api/v1/messages/{message_id}/review", headers=world.headers(admin))
    assert again.status_code == 200 and again.json() == body  # the first review stands
    assert (await _inbox(client, world, clinician, needs_review="true"))["items"] == []
    stored = await session.get(InboundMessage, message_id, populate_existing=True)
    assert stored is not None and (stored.reviewed_by, stored.needs_review) == (clinician.id, False)
    reviews = (await session.execute(select(AuditEvent).where(AuditEvent.action == "message.review")
                                     .order_by(AuditEvent.id))).scalars().all()
    assert [(r.actor, r.subject, r.detail) for r in reviews] == [
        (f"staff:{clinician.id}", f"message:{message_id}", {"patient_id": first.id, "changed": True}),
        (f"staff:{admin.id}", f"message:{message_id}", {"patient_id": first.id, "changed": False}),
    ]


@pytest.mark.parametrize("role", ["admin", "clinician", "staff"])
async def test_another_clinics_message_is_not_found_and_front_desk_may_not_review(
    client: httpx.AsyncClient, world: World, session: AsyncSession, role: str,
) -> None:
    _, _, first, _ = await _two_patients(world)
    message_id = await _stored(session, first, "feeling flat again", START, review=True)
    other = await world.staff(await world.clinic("Other Clinic"), role)
    response = await client.post(f"/api/v1/messages/{message_id}/review", headers=world.headers(other))
    assert response.status_code == (403 if role == "staff" else 404)
    assert (await _inbox(client, world, other))["total"] == 0
    assert (await client.post(f"/api/v1/messages/{message_id}/review")).status_code == 401
    stored = await session.get(InboundMessage, message_id, populate_existing=True)
    assert stored is not None and stored.reviewed_at is None and stored.needs_review
