"""A patient's conversation thread (GET /api/v1/patients/{id}/messages) and a clinician's message
to the patient (POST): received and sent interleaved in time order with their delivery status,
pages and sign-in codes left out, the message through the outbox with who wrote it, an opted-out
patient refused, bad bodies refused with nothing queued, every read and send audited."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clock import FrozenClock
from companion.messaging import outbox
from companion.messaging.dispatcher import Dispatcher
from companion.messaging.policy import Purpose
from companion.models import AuditEvent, Clinic, OutboundMessage, Patient, StaffMember
from tests.conftest import World
from tests.fakes.fake_twilio import FakeTwilio
from tests.messaging.conftest import Sms

PHONE = "+12025550142"


async def _patient(world: World) -> tuple[StaffMember, Patient]:
    clinic = await world.clinic(timezone="America/New_York")
    return await world.staff(clinic, "clinician"), await world.patient(clinic, phone=PHONE)


async def _send(client: httpx.AsyncClient, world: World, member: StaffMember, patient: Patient,
                body: object) -> httpx.Response:
    return await client.post(f"/api/v1/patients/{patient.id}/messages", json=body, headers=world.headers(member))


async def _thread(client: httpx.AsyncClient, world: World, member: StaffMember, patient: Patient,
                  **query: object) -> dict[str, Any]:
    response = await client.get(f"/api/v1/patients/{patient.id}/messages", params=query,
                                headers=world.headers(member))
    assert response.status_code == 200, response.text
    return response.json()


async def _outbox_rows(session: AsyncSession) -> int:
    return (await session.execute(select(func.count()).select_from(OutboundMessage))).scalar_one()


async def test_the_thread_interleaves_both_ways_in_time_order_with_delivery_status(
    client: httpx.AsyncClient, world: World, sms: Sms, fake: FakeTwilio, dispatcher: Dispatcher,
    session: AsyncSession, clock: FrozenClock,
) -> None:
    clinician, patient = await _patient(world)
    [reply] = await sms.say(PHONE, "I have a question about my next appointment")
    clock.advance(minutes=3)
    sent = await _send(client, world, clinician, patient, {"body": "Hi Pat, I will call you at 4pm."})
    assert sent.status_code == 201, sent.text
    clock.advance(minutes=1)
    # Written about the patient but sent to staff, or a secret of the patient's: not in the thread.
    await outbox.enqueue(session, clock, to_phone="+12025550181", purpose=Purpose.STAFF_PAGE, body="Urgent alert",
                         clinic_id=patient.clinic_id, patient=patient, staff_id=clinician.id)
    await outbox.enqueue(session, clock, to_phone=PHONE, purpose=Purpose.OTP, body="Your code is 482913",
                         clinic_id=patient.clinic_id, patient=patient)
    await session.commit()
    clock.advance(minutes=1)
    await sms.say(PHONE, "ok thanks")
    await dispatcher.drain()
    texts = fake.messages_to(PHONE)
    first_reply = next(m for m in texts if m.body == reply)  # both texts got it; the first one's
    staff_message = next(m for m in texts if m.body == "Hi Pat, I will call you at 4pm.")
    await fake.asend_status(staff_message.sid, "delivered", client=client)
    await fake.asend_status(first_reply.sid, "undelivered", 30006, client=client)

    thread = await _thread(client, world, clinician, patient)
    items = thread["items"]
    assert [(i["direction"], i["body"]) for i in items] == [
        ("received", "I have a question about my next appointment"),
        ("sent", reply),
        ("sent", "Hi Pat, I will call you at 4pm."),
        ("received", "ok thanks"),
        *[("sent", i["body"]) for i in items[4:]],
    ]
    assert thread["total"] == len(items) and all(i["purpose"] == "reply" for i in items[4:])
    shown_reply, shown_message = items[1], items[2]
    assert (shown_reply["purpose"], shown_reply["status"], shown_reply["error_code"], shown_reply["sent_by"]) == (
        "reply", "undelivered", 30006, None)
    assert (shown_message["purpose"], shown_message["status"], shown_message["sent_by"]) == (
        "staff_message", "delivered", "Clinician Person")
    assert shown_message["sent_at"] is not None and shown_message["status_at"] is not None
    assert [i["at"] for i in items] == sorted(i["at"] for i in items)
    reads = (await session.execute(select(AuditEvent).where(AuditEvent.action == "message.thread"))).scalars().all()
    assert [(r.actor, r.subject, r.detail) for r in reads] == [
        (f"staff:{clinician.id}", f"patient:{patient.id}", {"count": len(items)})]


async def test_the_thread_pages_back_from_the_newest(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock,
) -> None:
    clinician, patient = await _patient(world)
    for n in range(5):
        assert (await _send(client, world, clinician, patient, {"body": f"message {n}"})).status_code == 201
        clock.advance(minutes=1)
    latest = await _thread(client, world, clinician, patient, limit=2)
    assert [i["body"] for i in latest["items"]] == ["message 3", "message 4"]
    assert (latest["total"], latest["limit"], latest["offset"]) == (5, 2, 0)
    earlier = await _thread(client, world, clinician, patient, limit=2, offset=2)
    assert [i["body"] for i in earlier["items"]] == ["message 1", "message 2"]
    assert (await _thread(client, world, clinician, patient, offset=5))["items"] == []


async def test_a_clinicians_message_is_queued_with_its_author_and_dispatched_and_audited_without_its_body(
    client: httpx.AsyncClient, world: World, fake: FakeTwilio, dispatcher: Dispatcher, session: AsyncSession,
) -> None:
    clinician, patient = await _patient(world)
    body = "  Hi Pat, please call the clinic when you can.  "
    response = await _send(client, world, clinician, patient, {"body": body})
    assert response.status_code == 201, response.text
    item = response.json()
    assert (item["direction"], item["purpose"], item["status"], item["sent_by"], item["body"]) == (
        "sent", "staff_message", "pending", "Clinician Person", body.strip())
    row = await session.get(OutboundMessage, item["id"])
    assert row is not None
    assert (row.purpose, row.staff_id, row.patient_id, row.to_phone, row.priority) == (
        "staff_message", clinician.id, patient.id, PHONE, 2)
    await dispatcher.drain()
    assert [m.body for m in fake.messages_to(PHONE)] == [body.strip()]
    row = await session.get(OutboundMessage, item["id"], populate_existing=True)
    assert row is not None and row.status in {"sent", "queued", "accepted"}
    [event] = (await session.execute(select(AuditEvent).where(AuditEvent.action == "message.send"))).scalars().all()
    assert (event.actor, event.subject) == (f"staff:{clinician.id}", f"patient:{patient.id}")
    assert event.detail == {"message_id": item["id"], "length": len(body.strip())}
    assert "call the clinic" not in str(event.detail)


async def test_an_opted_out_patient_is_sent_nothing(
    client: httpx.AsyncClient, world: World, sms: Sms, session: AsyncSession,
) -> None:
    clinician, patient = await _patient(world)
    await sms.say(PHONE, "STOP")
    before = await _outbox_rows(session)
    response = await _send(client, world, clinician, patient, {"body": "Hi Pat, are you alright?"})
    assert response.status_code == 409
    assert "opted out of SMS (STOP)" in response.json()["detail"]
    assert await _outbox_rows(session) == before
    assert (await session.execute(select(AuditEvent).where(AuditEvent.action == "message.send"))).first() is None


@pytest.mark.parametrize("body", [
    {"body": ""}, {"body": "   \n "}, {"body": "x" * 1601}, {}, {"body": 7}, {"body": "hi", "urgent": True},
])
async def test_a_bad_body_is_refused_and_nothing_is_queued(
    client: httpx.AsyncClient, world: World, session: AsyncSession, body: object,
) -> None:
    clinician, patient = await _patient(world)
    response = await _send(client, world, clinician, patient, body)
    assert response.status_code == 400, response.text
    assert await _outbox_rows(session) == 0


async def test_the_longest_body_the_sms_policy_allows_is_sent_whole(
    client: httpx.AsyncClient, world: World, session: AsyncSession,
) -> None:
    clinician, patient = await _patient(world)
    response = await _send(client, world, clinician, patient, {"body": "x" * 1600})
    assert response.status_code == 201
    row = await session.get(OutboundMessage, response.json()["id"])
    assert row is not None and row.body == "x" * 1600


async def test_front_desk_staff_read_the_thread_but_do_not_send(
    client: httpx.AsyncClient, world: World, session: AsyncSession,
) -> None:
    _, patient = await _patient(world)
    clinic = await session.get(Clinic, patient.clinic_id)
    assert clinic is not None
    desk = await world.staff(clinic, "staff")
    assert (await _send(client, world, desk, patient, {"body": "hello"})).status_code == 403
    assert (await _thread(client, world, desk, patient))["items"] == []
    assert await _outbox_rows(session) == 0


@pytest.mark.parametrize("role", ["admin", "clinician", "staff"])
async def test_another_clinics_patient_has_no_thread_and_is_sent_nothing(
    client: httpx.AsyncClient, world: World, session: AsyncSession, role: str,
) -> None:
    _, patient = await _patient(world)
    member = await world.staff(await world.clinic("Other Clinic"), role)
    assert (await _send(client, world, member, patient, {"body": "hello"})).status_code == (
        403 if role == "staff" else 404)
    read = await client.get(f"/api/v1/patients/{patient.id}/messages", headers=world.headers(member))
    assert read.status_code == 404
    assert (await client.get(f"/api/v1/patients/{patient.id}/messages")).status_code == 401
    assert await _outbox_rows(session) == 0
