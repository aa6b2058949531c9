from __future__ import annotations

import asyncio
import logging
from datetime import time as clock_time
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from companion.clock import FrozenClock
from companion.messaging import outbox
from companion.messaging.dispatcher import Dispatcher
from companion.messaging.gateways import Accepted, OutgoingSms, TwilioGateway
from companion.messaging.policy import Purpose
from companion.messaging.wakeup import WAKER_KEY, Waker
from companion.models import Clinic, MessageAttempt, OutboundMessage, Patient
from companion.settings import Settings
from tests.conftest import World
from tests.delivery import delivery_events
from tests.fakes.fake_twilio import FakeTwilio

PHONE = "+12025550142"


async def _enqueue(
    session: AsyncSession, clock: FrozenClock, patient: Patient | None, purpose: Purpose = Purpose.PROMPT,
    body: str = "How is your mood today, from 0 (worst) to 10 (best)?", to: str = PHONE,
) -> int:
    message = await outbox.enqueue(
        session, clock, to_phone=to, purpose=purpose, body=body,
        clinic_id=patient.clinic_id if patient else None, patient=patient,
    )
    await session.commit()
    assert message.id is not None
    return message.id


async def _row(session: AsyncSession, message_id: int) -> OutboundMessage:
    row = await session.get(OutboundMessage, message_id)
    assert row is not None
    await session.refresh(row)
    return row


async def _setup(world: World, session: AsyncSession, phone: str = PHONE) -> Patient:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=phone)
    stored = await session.get(Patient, patient.id)
    assert stored is not None
    return stored


async def test_a_message_is_sent_through_twilio_and_its_sid_recorded(
    dispatcher: Dispatcher, fake: FakeTwilio, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    patient = await _setup(world, session)
    mid = await _enqueue(session, clock, patient)
    assert await dispatcher.drain() == 1
    sent = fake.messages_to(PHONE)
    assert len(sent) == 1
    assert sent[0].from_ == "+15005550006"
    assert sent[0].status_callback == f"https://companion.example.org/webhooks/twilio/status?message_id={mid}"
    row = await _row(session, mid)
    assert (row.status, row.provider_sid, row.attempts, row.sent_at) == ("queued", sent[0].sid, 1, clock.now())


async def test_nothing_is_sent_before_it_is_due(
    dispatcher: Dispatcher, fake: FakeTwilio, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    patient = await _setup(world, session)
    message = await outbox.enqueue(
        session, clock, to_phone=PHONE, purpose=Purpose.PROMPT, body="later", clinic_id=patient.clinic_id,
        patient=patient, due_at=clock.now() + timedelta(hours=1),
    )
    await session.commit()
    assert await dispatcher.drain() == 0
    clock.advance(hours=1)
    assert await dispatcher.drain() == 1
    assert (await _row(session, message.id or 0)).status == "queued"


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_temporary_errors_are_retried_with_backoff(
    dispatcher: Dispatcher, fake: FakeTwilio, world: World, session: AsyncSession, clock: FrozenClock, status: int
) -> None:
    patient = await _setup(world, session)
    mid = await _enqueue(session, clock, patient)
    fake.fail_next(2, status=status)
    await dispatcher.drain()
    row = await _row(session, mid)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == clock.now() + timedelta(seconds=5)
    assert await dispatcher.drain() == 0  # not before the backoff
    clock.advance(seconds=5)
    await dispatcher.drain()
    row = await _row(session, mid)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 2, clock.now() + timedelta(seconds=10))
    clock.advance(seconds=10)
    await dispatcher.drain()
    row = await _row(session, mid)
    assert (row.status, row.attempts) == ("queued", 3)
    assert len(fake.messages_to(PHONE)) == 1
    attempts = list((await session.execute(select(MessageAttempt.outcome).order_by(MessageAttempt.id))).scalars())
    assert attempts == ["retry", "retry", "accepted"]


async def test_gives_up_after_the_purpose_limit(
    dispatcher: Dispatcher, fake: FakeTwilio, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    patient = await _setup(world, session)
    mid = await _enqueue(session, clock, patient, Purpose.REMINDER)
    fake.fail_next(10, status=500)
    for _ in range(6):
        await dispatcher.drain()
        clock.advance(minutes=15)
    row = await _row(session, mid)
    assert (row.status, row.attempts, row.needs_attention) == ("gave_up", 4, True)


async def test_opted_out_number_from_twilio_marks_the_patient_and_is_never_retried(
    dispatcher: Dispatcher, fake: FakeTwilio, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    patient = await _setup(world, session)
    fake.fail_number(PHONE, 21610)
    mid = await _enqueue(session, clock, patient)
    other = await _enqueue(session, clock, patient, Purpose.REMINDER)
    await dispatcher.drain()
    row = await _row(session, mid)
    assert (row.status, row.error_code) == ("gave_up", 21610)
    await session.refresh(patient)
    stored = patient
    assert stored.sms_consent == "opted_out"
    assert stored.sms_consent_source == "provider:21610"
    clock.advance(hours=1)
    await dispatcher.drain()
    # Refused too if it was already in flight; otherwise cancelled with the patient's routine messages.
    assert (await _row(session, other)).status in {"gave_up", "cancelled"}
    assert fake.messages_to(PHONE) == []


@pytest.mark.parametrize(("code", "attention"), [(21211, True), (21614, True)])
async def test_invalid_numbers_are_never_retried(
    dispatcher: Dispatcher, fake: FakeTwilio, world: World, session: AsyncSession, clock: FrozenClock,
    code: int, attention: bool,
) -> None:
    patient = await _setup(world, session)
    fake.fail_number(PHONE, code)
    mid = await _enqueue(session, clock, patient)
    await dispatcher.drain()
    clock.advance(hours=1)
    await dispatcher.drain()
    row = await _row(session, mid)
    assert (row.status, row.error_code, row.attempts, row.needs_attention) == ("gave_up", code, 1, attention)


async def test_no_message_is_ever_sent_to_an_opted_out_patient(
    dispatcher: Dispatcher, fake: FakeTwilio, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    patient = await _setup(world, session)
    queued_before = await _enqueue(session, clock, patient, Purpose.SAFETY_REPLY)
    patient.sms_consent = "opted_out"
    await session.commit()
    queued_after = [await _enqueue(session, clock, patient, p) for p in Purpose if p is not Purpose.STAFF_PAGE]
    await dispatcher.drain()
    assert fake.messages_to(PHONE) == []
    assert {(await _row(session, m)).status for m in [queued_before, *queued_after]} == {"suppressed"}


@pytest.mark.parametrize(("consent", "status"), [
    ("pending", "active"), ("opted_in", "paused"), ("opted_in", "discharged")])
async def test_a_routine_message_reaches_only_an_active_patient_who_opted_in(
    dispatcher: Dispatcher, fake: FakeTwilio, world: World, session: AsyncSession, clock: FrozenClock,
    consent: str, status: str,
) -> None:
    """Queued while the patient could be sent it, claimed after they could not: the dispatcher
    withholds the routine ones and sends the rest (docs/sms.md, "Consent")."""
    patient = await _setup(world, session)
    queued = {p: await _enqueue(session, clock, patient, p) for p in Purpose if p is not Purpose.STAFF_PAGE}
    assert {(await _row(session, m)).status for m in queued.values()} == {"pending"}
    patient.sms_consent, patient.status = consent, status
    await session.commit()
    await dispatcher.drain()
    statuses = {p: (await _row(session, m)).status for p, m in queued.items()}
    routine = {Purpose.PROMPT, Purpose.REMINDER, Purpose.NOTICE}
    assert {statuses[p] for p in routine} == {"suppressed"}
    assert {p: s for p, s in statuses.items() if p not in routine} == {
        p: "queued" for p in queued if p not in routine}
    assert len(fake.messages_to(PHONE)) == len(queued) - len(routine)


@pytest.mark.parametrize(("consent", "status", "withheld"), [
    ("opted_in", "active", set()),
    ("pending", "active", {Purpose.PROMPT, Purpose.REMINDER, Purpose.NOTICE}),
    ("opted_in", "paused", {Purpose.PROMPT, Purpose.REMINDER, Purpose.NOTICE}),
    ("pending", "discharged", {Purpose.PROMPT, Purpose.REMINDER, Purpose.NOTICE}),
    ("opted_out", "active", set(Purpose)),
])
def test_what_is_withheld_from_a_patient(consent: str, status: str, withheld: set[Purpose]) -> None:
    patient = Patient(clinic_id=1, reference="P-1", display_name="P", phone=PHONE, timezone="UTC",
                      preferred_checkin_time=clock_time(10, 0), sms_consent=consent, status=status)
    assert {p for p in Purpose if outbox.withheld(patient, p)} == withheld
    assert outbox.withheld(None, Purpose.PROMPT) is None


async def test_timeout_settles_by_purpose(
    engine: AsyncEngine, settings: Settings, fake: FakeTwilio, world: World, session: AsyncSession,
    clock: FrozenClock,
) -> None:
    """A send that timed out may have reached Twilio: a reminder is not sent twice, a page is."""
    patient = await _setup(world, session)
    gateway = TwilioGateway(settings, timeout=0.3)
    dispatcher = Dispatcher(engine, gateway, clock, events=delivery_events(clock))
    try:
        reminder = await _enqueue(session, clock, patient, Purpose.REMINDER)
        fake.hang_next(1, seconds=1.0)
        await dispatcher.drain()
        assert (await _row(session, reminder)).status == "unknown"

        page = await _enqueue(session, clock, None, Purpose.STAFF_PAGE, body="Urgent alert for P-1042. Reply ACK 4821",
                              to="+12025550188")
        fake.hang_next(1, seconds=1.0)
        await dispatcher.drain()
        row = await _row(session, page)
        assert (row.status, row.attempts) == ("pending", 1)
        clock.advance(seconds=5)
        await dispatcher.drain()
        row = await _row(session, page)
        assert (row.status, row.attempts) == ("queued", 2)
    finally:
        await gateway.close()
    assert len(fake.messages_to(PHONE)) == 1
    assert len(fake.messages_to("+12025550188")) == 2  # the page went twice: at least once


def _other(dispatcher: Dispatcher) -> Dispatcher:
    """A second dispatcher (another process, or the same deployment restarted)."""
    return Dispatcher(dispatcher.engine, dispatcher.gateway, dispatcher.clock, events=dispatcher.events,
                      concurrency=8)


async def test_rows_reserved_by_a_dispatcher_that_died_go_back_untouched(
    dispatcher: Dispatcher, fake: FakeTwilio, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    patient = await _setup(world, session)
    prompt = await _enqueue(session, clock, patient, Purpose.PROMPT)
    page = await _enqueue(session, clock, None, Purpose.STAFF_PAGE, body="Urgent alert. Reply ACK 1234",
                          to="+12025550188")
    await dispatcher.beat()
    claimed = await dispatcher.claim(10)  # reserved, then the process "dies" before sending any
    assert {c.id for c in claimed} == {prompt, page}
    assert {(await _row(session, m)).status for m in (prompt, page)} == {"pending"}
    restarted = _other(dispatcher)
    clock.advance(seconds=5)
    assert await restarted.drain() == 0  # the first may only be slow: its rows are still its own
    clock.advance(seconds=6)  # no beat for more than ten seconds: dead
    assert await restarted.drain() == 2
    assert (await _row(session, prompt)).status == "queued"  # nothing had gone out: sent, not dropped
    assert (await _row(session, page)).status == "queued"
    assert len(fake.messages_to(PHONE)) == 1 and len(fake.messages_to("+12025550188")) == 1


async def test_rows_in_flight_when_a_dispatcher_died_are_settled_by_purpose(
    dispatcher: Dispatcher, fake: FakeTwilio, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    patient = await _setup(world, session)
    prompt = await _enqueue(session, clock, patient, Purpose.PROMPT)
    page = await _enqueue(session, clock, None, Purpose.STAFF_PAGE, body="Urgent alert. Reply ACK 1234",
                          to="+12025550188")
    waiting = await _enqueue(session, clock, patient, Purpose.REMINDER, body="A reminder: your check-in is open.")
    await dispatcher.beat()
    claimed = {c.id: c for c in await dispatcher.claim(10)}
    for message_id in (prompt, page):  # handed to the provider, then the process "dies"
        assert await dispatcher._mark_in_flight(claimed[message_id])
    assert {(await _row(session, m)).status for m in (prompt, page)} == {"sending"}
    clock.advance(seconds=11)
    await _other(dispatcher).drain()
    assert (await _row(session, prompt)).status == "unknown"  # may have gone out: never twice
    page_row = await _row(session, page)
    assert (page_row.status, page_row.attempts) == ("queued", 2)  # at least once
    assert (await _row(session, waiting)).status == "queued"  # only reserved: simply sent
    assert [m.body for m in fake.messages_to(PHONE)] == ["A reminder: your check-in is open."]
    assert len(fake.messages_to("+12025550188")) == 1


async def test_a_result_is_written_when_its_send_returns_not_with_the_batch(
    dispatcher: Dispatcher, fake: FakeTwilio, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    patient = await _setup(world, session)
    # Four numbers: one number's messages are sent one after another, so a hang would hold them all.
    ids = [await _enqueue(session, clock, patient, Purpose.NOTICE, body=f"notice {n}", to=f"+120255501{60 + n}")
           for n in range(4)]
    fake.hang_next(1, seconds=1.5)
    run = asyncio.create_task(dispatcher.run_once())
    try:
        for _ in range(100):  # while one send hangs, the other three are recorded already
            await asyncio.sleep(0.02)
            statuses = [(await _row(session, m)).status for m in ids]
            if statuses.count("queued") == 3:
                break
        assert sorted(statuses) == ["queued", "queued", "queued", "sending"]
    finally:
        assert await run == 4
    assert [(await _row(session, m)).status for m in ids] == ["queued"] * 4


async def test_a_row_cancelled_after_it_was_reserved_is_not_sent(
    dispatcher: Dispatcher, fake: FakeTwilio, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    patient = await _setup(world, session)
    prompt = await _enqueue(session, clock, patient, Purpose.PROMPT)
    await dispatcher.beat()
    [claimed] = await dispatcher.claim(10)
    await session.execute(update(OutboundMessage).where(OutboundMessage.id == prompt).values(status="cancelled"))
    await session.commit()
    assert not await dispatcher._mark_in_flight(claimed)
    await dispatcher.drain()
    assert fake.messages_to(PHONE) == []
    assert (await _row(session, prompt)).status == "cancelled"


async def test_a_dispatcher_that_stops_cleanly_hands_its_rows_back_at_once(
    dispatcher: Dispatcher, fake: FakeTwilio, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    patient = await _setup(world, session)
    prompt = await _enqueue(session, clock, patient, Purpose.PROMPT)
    await dispatcher.beat()
    await dispatcher.claim(10)
    await dispatcher.retire()
    assert await _other(dispatcher).drain() == 1  # no wait for it to be proven dead
    assert (await _row(session, prompt)).status == "queued"


async def test_urgent_messages_wake_the_dispatcher_after_commit(
    world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    patient = await _setup(world, session)
    waker = Waker()
    session.info[WAKER_KEY] = waker
    await outbox.enqueue(session, clock, to_phone=PHONE, purpose=Purpose.SAFETY_REPLY, body="x",
                         clinic_id=patient.clinic_id, patient=patient)
    assert not await waker.wait(0.01)  # not before commit
    from companion.db import commit

    await commit(session)
    assert await waker.wait(0.01)
    await outbox.enqueue(session, clock, to_phone=PHONE, purpose=Purpose.PROMPT, body="x",
                         clinic_id=patient.clinic_id, patient=patient)
    await commit(session)
    assert not await waker.wait(0.01)  # routine messages wait for the tick


async def test_long_bodies_are_capped(
    dispatcher: Dispatcher, fake: FakeTwilio, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    patient = await _setup(world, session)
    await _enqueue(session, clock, patient, Purpose.NOTICE, body="x" * 2000)
    await dispatcher.drain()
    assert len(fake.messages_to(PHONE)[0].body) == 1600


async def test_clinic_sender_is_used(
    dispatcher: Dispatcher, fake: FakeTwilio, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    patient = await _setup(world, session)
    await session.execute(update(Clinic).values(sms_sender="MG" + "0" * 32))
    await session.commit()
    await _enqueue(session, clock, patient)
    await dispatcher.drain()
    sent = fake.messages_to(PHONE)[0]
    assert sent.messaging_service_sid == "MG" + "0" * 32


async def test_two_dispatchers_send_each_message_once(
    engine: AsyncEngine, settings: Settings, fake: FakeTwilio, world: World, session: AsyncSession,
    clock: FrozenClock, is_postgres: bool,
) -> None:
    if not is_postgres:
        pytest.skip("concurrent claims need PostgreSQL's SKIP LOCKED; SQLite runs one dispatcher")
    clinic = await world.clinic()
    for i in range(300):
        session.add(OutboundMessage(clinic_id=clinic.id, to_phone=f"+1202555{i:04d}", purpose="prompt",
                                    body=f"message {i}", due_at=clock.now()))
    await session.commit()
    gateways = [TwilioGateway(settings), TwilioGateway(settings)]
    dispatchers = [Dispatcher(engine, g, clock, events=delivery_events(clock), batch_size=20) for g in gateways]
    try:
        await asyncio.gather(*(d.drain() for d in dispatchers))
    finally:
        for g in gateways:
            await g.close()
    bodies = [m.body for m in fake.messages]
    assert len(bodies) == 300 and len(set(bodies)) == 300


async def test_status_callbacks_move_forward_only(
    client: httpx.AsyncClient, dispatcher: Dispatcher, fake: FakeTwilio, world: World, session: AsyncSession,
    clock: FrozenClock,
) -> None:
    patient = await _setup(world, session)
    in_order, out_of_order, twice = [await _enqueue(session, clock, patient, body=f"m{i}") for i in range(3)]
    await dispatcher.drain()
    sid = {m.body: m.sid for m in fake.messages}
    assert [r for r in await fake.asend_lifecycle(sid["m0"], client=client)] == [204, 204]
    assert (await _row(session, in_order)).status == "delivered"
    await fake.asend_statuses_out_of_order(sid["m1"], client=client)
    assert (await _row(session, out_of_order)).status == "delivered"
    await fake.asend_status_twice(sid["m2"], "sent", client=client)
    assert (await _row(session, twice)).status == "sent"
    await fake.asend_status(sid["m2"], "queued", client=client)
    assert (await _row(session, twice)).status == "sent"


async def test_a_callback_that_overtakes_the_recorded_sid_still_lands(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock, fake: FakeTwilio
) -> None:
    patient = await _setup(world, session)
    mid = await _enqueue(session, clock, patient)
    params = {"MessageSid": "SM" + "f" * 32, "MessageStatus": "delivered", "AccountSid": fake.account_sid}
    url = f"https://companion.example.org/webhooks/twilio/status?message_id={mid}"
    response = await client.post(url, data=params, headers={"X-Twilio-Signature": fake.sign(url, params)})
    assert response.status_code == 204
    row = await _row(session, mid)
    assert (row.status, row.provider_sid) == ("delivered", "SM" + "f" * 32)


async def test_unknown_sid_is_ignored(client: httpx.AsyncClient, fake: FakeTwilio) -> None:
    params = {"MessageSid": "SM" + "e" * 32, "MessageStatus": "delivered"}
    url = "https://companion.example.org/webhooks/twilio/status"
    response = await client.post(url, data=params, headers={"X-Twilio-Signature": fake.sign(url, params)})
    assert response.status_code == 204


async def test_unreachable_handset_is_retried_as_a_new_attempt(
    client: httpx.AsyncClient, dispatcher: Dispatcher, fake: FakeTwilio, world: World, session: AsyncSession,
    clock: FrozenClock,
) -> None:
    patient = await _setup(world, session)
    fake.fail_number(PHONE, 30003)
    mid = await _enqueue(session, clock, patient, Purpose.SAFETY_REPLY)
    await dispatcher.drain()
    sid = fake.messages_to(PHONE)[0].sid
    await fake.asend_lifecycle(sid, client=client)
    row = await _row(session, mid)
    assert (row.status, row.error_code) == ("undelivered", 30003)
    retry = (await session.execute(select(OutboundMessage).where(OutboundMessage.retry_of == mid))).scalar_one()
    assert retry.status == "pending"
    fake.reset_failures()
    clock.advance(seconds=10)
    await dispatcher.drain()
    assert len(fake.messages_to(PHONE)) == 2


async def test_identical_callbacks_at_once_schedule_one_retry(
    client: httpx.AsyncClient, dispatcher: Dispatcher, fake: FakeTwilio, world: World, session: AsyncSession,
    clock: FrozenClock,
) -> None:
    patient = await _setup(world, session)
    fake.fail_number(PHONE, 30003)
    mid = await _enqueue(session, clock, patient, Purpose.SAFETY_REPLY)
    await dispatcher.drain()
    sid = fake.messages_to(PHONE)[0].sid
    codes = await asyncio.gather(*(fake.asend_status(sid, "undelivered", 30003, client=client) for _ in range(20)))
    assert set(codes) == {204}
    retries = (await session.execute(select(OutboundMessage).where(OutboundMessage.retry_of == mid))).scalars().all()
    assert len(retries) == 1


@pytest.mark.parametrize(("code", "attention"), [(30006, True), (30005, True), (30007, True)])
async def test_delivery_errors_that_are_not_retried_are_surfaced(
    client: httpx.AsyncClient, dispatcher: Dispatcher, fake: FakeTwilio, world: World, session: AsyncSession,
    clock: FrozenClock, code: int, attention: bool,
) -> None:
    patient = await _setup(world, session)
    fake.fail_number(PHONE, code)
    mid = await _enqueue(session, clock, patient)
    await dispatcher.drain()
    await fake.asend_lifecycle(fake.messages_to(PHONE)[0].sid, client=client)
    row = await _row(session, mid)
    assert (row.error_code, row.needs_attention) == (code, attention)
    assert list((await session.execute(select(OutboundMessage).where(OutboundMessage.retry_of == mid))).scalars()) == []


async def test_no_phone_number_or_body_in_logs_at_info(
    client: httpx.AsyncClient, dispatcher: Dispatcher, fake: FakeTwilio, world: World, session: AsyncSession,
    clock: FrozenClock, caplog: pytest.LogCaptureFixture,
) -> None:
    patient = await _setup(world, session)
    from tests.messaging.conftest import CLINIC_NUMBER, INBOUND_URL

    with caplog.at_level(logging.INFO):
        await _enqueue(session, clock, patient, body="Private words about my week")
        fake.fail_next(1, status=500)
        await dispatcher.drain()
        clock.advance(seconds=30)
        await dispatcher.drain()
        await fake.asend_inbound(INBOUND_URL, PHONE, CLINIC_NUMBER, "my secret diary entry", client=client)
        await fake.asend_inbound(INBOUND_URL, "+12025550999", CLINIC_NUMBER, "stranger text", client=client)
        await fake.asend_inbound(INBOUND_URL, PHONE, CLINIC_NUMBER, "STOP", client=client)
    text = caplog.text
    assert caplog.records, "expected some log lines"
    for secret in ("2025550142", "2025550999", "Private words", "secret diary", "stranger text"):
        assert secret not in text


async def test_a_dispatcher_limited_to_urgent_rows_sends_only_safety_replies_and_pages(
    engine: AsyncEngine, gateway: TwilioGateway, fake: FakeTwilio, world: World, session: AsyncSession,
    clock: FrozenClock,
) -> None:
    patient = await _setup(world, session)
    prompt = await _enqueue(session, clock, patient)
    safety = await _enqueue(session, clock, patient, Purpose.SAFETY_REPLY, body="If you are in danger, call 911.")
    page = await _enqueue(session, clock, None, Purpose.STAFF_PAGE, body="Urgent alert", to="+12025550181")
    urgent = Dispatcher(engine, gateway, clock, events=delivery_events(clock), max_priority=0)
    assert await urgent.drain() == 2
    assert [(await _row(session, mid)).status for mid in (prompt, safety, page)] == ["pending", "queued", "queued"]


class _SlowFirstGateway:
    """Accepts every message; the first one handed over takes a while, so a dispatcher sending one
    number's messages side by side would have the later ones accepted first."""

    name = "slow-first"

    def __init__(self) -> None:
        self.accepted: list[tuple[str, str]] = []

    async def send(self, sms: OutgoingSms) -> Accepted:
        if not self.accepted and not getattr(self, "_slowed", False):
            self._slowed = True
            await asyncio.sleep(0.2)
        self.accepted.append((sms.to, sms.body))
        return Accepted(sid=f"SM{len(self.accepted):032d}", status="queued")

    async def close(self) -> None:
        return None


async def test_one_numbers_messages_are_handed_over_in_order_and_other_numbers_do_not_wait(
    engine: AsyncEngine, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    patient = await _setup(world, session)
    await _enqueue(session, clock, patient, Purpose.SAFETY_REPLY, body="safety reply")
    await _enqueue(session, clock, patient, Purpose.REPLY, body="first question")
    await _enqueue(session, clock, patient, Purpose.REPLY, body="second question")
    await _enqueue(session, clock, None, Purpose.STAFF_PAGE, body="page", to="+12025550181")
    gateway = _SlowFirstGateway()
    dispatcher = Dispatcher(engine, gateway, clock, events=delivery_events(clock), concurrency=8)
    assert await dispatcher.drain() == 4
    assert [body for to, body in gateway.accepted if to == PHONE] == ["safety reply", "first question",
                                                                       "second question"]
    assert gateway.accepted[0] == ("+12025550181", "page")  # it did not wait for the slow send


async def test_rows_whose_sends_start_together_are_marked_in_flight_by_one_statement(
    dispatcher: Dispatcher, fake: FakeTwilio, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    patient = await _setup(world, session)
    ids = [await _enqueue(session, clock, patient, Purpose.NOTICE, body=f"notice {n}", to=f"+120255501{40 + n}")
           for n in range(12)]
    marks: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("UPDATE") and "attempts" in statement and "RETURNING" in statement:
            marks.append(statement)

    sync_engine = dispatcher.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", seen)
    try:
        assert await dispatcher.run_once() == 12
    finally:
        event.remove(sync_engine, "before_cursor_execute", seen)
    assert 1 <= len(marks) < 12  # twelve sends side by side: their marks shared statements
    assert [(await _row(session, m)).status for m in ids] == ["queued"] * 12
    assert sorted(m.body for m in fake.messages) == sorted(f"notice {n}" for n in range(12))
