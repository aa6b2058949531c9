"""Web push end to end: the patient subscribes through the API, the release and reminder jobs write
pushes, the push dispatcher sends them with pywebpush to a local push-service stand-in that checks
the real VAPID signature and decrypts the payload; 404/410 expire the subscription and the SMS
goes instead through the fake Twilio, where the patient consented."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, time

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from companion.clinical.plan import DEFAULT_PLAN
from companion.clock import FrozenClock
from companion.db import create_sessionmaker
from companion.messaging.gateways import TwilioGateway
from companion.messaging.push_gateway import WebPushGateway
from companion.models import AuditEvent, Clinic, OutboundMessage, Patient, Prompt, PushMessage, PushSubscription
from companion.protocols import ProtocolSource
from companion.scheduling.services import replan_patient
from companion.settings import Settings
from companion.vapid_keys import new_private_key_pem, public_key_of, subject_for
from jobs import dispatch_outbox, dispatch_push, release_prompts, send_reminders
from jobs.context import JobContext
from tests.conftest import World
from tests.fakes.fake_push import Device, FakePushService
from tests.fakes.fake_twilio import FakeTwilio

KEY = new_private_key_pem()
PHONE = "+12025550142"
START = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 10:00 in New York

pytestmark = pytest.mark.settings(vapid_private_key=KEY, push_allow_http_endpoints=True)


@pytest.fixture(scope="module")
def push_service() -> Iterator[FakePushService]:
    service = FakePushService(expected_key=public_key_of(KEY))
    service.start()
    yield service
    service.stop()


@pytest.fixture
async def ctx(settings: Settings, engine: AsyncEngine, clock: FrozenClock, gateway: TwilioGateway,
        protocols: ProtocolSource) -> AsyncIterator[JobContext]:
    push = WebPushGateway(KEY, subject_for(settings), timeout=2.0)
    yield JobContext(settings=settings, engine=engine, sessionmaker=create_sessionmaker(engine), clock=clock,
                     gateway=gateway, protocols=protocols, push_gateway=push)
    await push.close()


async def _app_patient(world: World, session: AsyncSession, clock: FrozenClock, channel: str = "app",
                       consent: str = "opted_in") -> Patient:
    clock.set(START)
    clinic = await world.clinic()
    made = await world.patient(clinic, phone=PHONE)
    patient = await session.get(Patient, made.id)
    assert patient is not None
    patient.channel, patient.sms_consent, patient.preferred_checkin_time = channel, consent, time(10, 0)
    await session.commit()
    return patient


async def _plan(session: AsyncSession, clock: FrozenClock, patient: Patient) -> None:
    await replan_patient(session, clock, patient, DEFAULT_PLAN)  # the baseline PHQ-9, due now
    await session.commit()


async def _subscribe(client: httpx.AsyncClient, world: World, patient: Patient, device: Device) -> httpx.Response:
    return await client.put("/api/v1/me/push", json=device.subscription(), headers=world.patient_headers(patient))


async def _rows(session: AsyncSession, model: type) -> list:  # type: ignore[type-arg]
    result = await session.execute(select(model).order_by(model.id).execution_options(populate_existing=True))
    return list(result.scalars())


async def test_a_prompt_for_a_subscribed_app_patient_arrives_signed_and_opens_the_check_in(
    ctx: JobContext, client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock,
    push_service: FakePushService, fake: FakeTwilio,
) -> None:
    patient = await _app_patient(world, session, clock)
    device = push_service.device()
    state = (await client.get("/api/v1/me/push", headers=world.patient_headers(patient))).json()
    assert state == {"available": True, "public_key": public_key_of(KEY), "devices": 0}
    answer = await _subscribe(client, world, patient, device)
    assert answer.status_code == 200, answer.text
    await _plan(session, clock, patient)

    assert await release_prompts.run(ctx) == 1
    assert await dispatch_push.run(ctx) == 1
    [push] = push_service.pushes_to(device)
    assert push.refused is None and push.status == 201
    assert push.claims is not None and push.claims["aud"] == push_service.origin
    assert push.headers["content-encoding"] == "aes128gcm" and push.headers["topic"].startswith("checkin-")
    assert push.payload is not None
    assert push.payload["title"] == "Time for your check-in"
    assert push.payload["url"].startswith("https://companion.example.org/?c=")
    # The link in the push opens the check-in (and signs the patient in) once.
    token = push.payload["url"].split("?c=", 1)[1]
    opened = await client.post("/api/v1/auth/patient/link", json={"token": token})
    assert opened.status_code == 200, opened.text
    [prompt] = await _rows(session, Prompt)
    assert opened.json()["prompt_id"] == prompt.id and prompt.channel == "app"

    [subscription] = await _rows(session, PushSubscription)
    assert subscription.last_success_at == START and subscription.failures == 0
    [row] = await _rows(session, PushMessage)
    assert (row.status, row.http_status, row.attempts) == ("sent", 201, 1)
    await dispatch_outbox.run(ctx)
    assert fake.messages_to(PHONE) == []  # the push got through: no SMS
    actions = [a.action for a in await _rows(session, AuditEvent)]
    assert "patient.push.subscribe" in actions


async def test_410_expires_the_subscription_and_the_reminder_falls_back_to_sms(
    ctx: JobContext, client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock,
    push_service: FakePushService, fake: FakeTwilio,
) -> None:
    patient = await _app_patient(world, session, clock)
    device = push_service.device()
    assert (await _subscribe(client, world, patient, device)).status_code == 200
    await _plan(session, clock, patient)
    await release_prompts.run(ctx)
    await dispatch_push.run(ctx)
    assert [p.status for p in push_service.pushes_to(device)] == [201]

    push_service.answer(device, 410)
    clock.advance(hours=3)
    assert await send_reminders.run(ctx) == 1
    await dispatch_push.run(ctx)
    assert [p.status for p in push_service.pushes_to(device)] == [201, 410]
    [subscription] = await _rows(session, PushSubscription)
    assert subscription.expired_at == clock.now()
    reminder = (await _rows(session, PushMessage))[-1]
    assert reminder.status == "expired" and reminder.fallback_message_id is not None

    await dispatch_outbox.run(ctx)
    [sms] = fake.messages_to(PHONE)
    assert sms.body.startswith("Reminder: your check-in is waiting. Answer in the app: https://companion.example.org/?c=")
    [message] = await _rows(session, OutboundMessage)
    assert (message.purpose, message.dedupe_key) == ("reminder", f"push-fallback:reminder:{reminder.group_key[9:]}")
    state = (await client.get("/api/v1/me/push", headers=world.patient_headers(patient))).json()
    assert state["devices"] == 0


async def test_a_push_that_keeps_failing_is_retried_then_falls_back_but_never_to_an_opted_out_patient(
    ctx: JobContext, client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock,
    push_service: FakePushService, fake: FakeTwilio,
) -> None:
    patient = await _app_patient(world, session, clock, consent="opted_out")
    device = push_service.device()
    assert (await _subscribe(client, world, patient, device)).status_code == 200
    await _plan(session, clock, patient)
    push_service.answer(device, 500, 503, 500, 500)
    await release_prompts.run(ctx)
    for _ in range(4):
        await dispatch_push.run(ctx)
        clock.advance(minutes=1)
    assert [p.status for p in push_service.pushes_to(device)] == [500, 503, 500, 500]
    [row] = await _rows(session, PushMessage)
    assert (row.status, row.attempts) == ("gave_up", 4)
    [subscription] = await _rows(session, PushSubscription)
    assert subscription.failures == 4 and subscription.expired_at is None
    await dispatch_outbox.run(ctx)
    assert fake.messages_to(PHONE) == []  # opted out of texts: the check-in waits in the app
    assert row.fallback_message_id is None


async def test_a_failed_prompt_push_falls_back_to_the_app_link_by_sms(
    ctx: JobContext, client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock,
    push_service: FakePushService, fake: FakeTwilio,
) -> None:
    patient = await _app_patient(world, session, clock)
    device = push_service.device()
    assert (await _subscribe(client, world, patient, device)).status_code == 200
    await _plan(session, clock, patient)
    push_service.answer(device, 404)
    await release_prompts.run(ctx)
    await dispatch_push.run(ctx)
    await dispatch_outbox.run(ctx)
    [sms] = fake.messages_to(PHONE)
    assert sms.body.startswith("Your check-in is ready. Answer in the app: https://companion.example.org/?c=")


async def test_an_app_patient_without_a_subscription_is_reminded_by_sms_only_with_consent(
    ctx: JobContext, world: World, session: AsyncSession, clock: FrozenClock, fake: FakeTwilio,
) -> None:
    patient = await _app_patient(world, session, clock)
    await _plan(session, clock, patient)
    await release_prompts.run(ctx)
    assert await dispatch_push.run(ctx) == 0
    clock.advance(hours=3)
    assert await send_reminders.run(ctx) == 1
    await dispatch_outbox.run(ctx)
    [sms] = fake.messages_to(PHONE)
    assert sms.body.startswith("Reminder: your check-in is waiting. Answer in the app: ")


async def test_a_patient_who_chose_both_gets_the_sms_conversation_and_the_push_without_a_second_sms(
    ctx: JobContext, client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock,
    push_service: FakePushService, fake: FakeTwilio,
) -> None:
    patient = await _app_patient(world, session, clock, channel="both")
    device = push_service.device()
    assert (await _subscribe(client, world, patient, device)).status_code == 200
    await _plan(session, clock, patient)
    push_service.answer(device, 410)
    await release_prompts.run(ctx)
    await dispatch_push.run(ctx)
    await dispatch_outbox.run(ctx)
    clock.advance(seconds=5)
    await dispatch_outbox.run(ctx)
    assert len(fake.messages_to(PHONE)) == 2  # the PHQ-9 intro and its first question, no fallback
    [row] = await _rows(session, PushMessage)
    assert row.status == "expired" and row.fallback_body is None


async def test_turning_notifications_off_ends_the_subscription_and_withdraws_its_pushes(
    ctx: JobContext, client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock,
    push_service: FakePushService,
) -> None:
    patient = await _app_patient(world, session, clock)
    device = push_service.device()
    assert (await _subscribe(client, world, patient, device)).status_code == 200
    await _plan(session, clock, patient)
    await release_prompts.run(ctx)
    other = await world.patient(await world.clinic("Other"), reference="P-2", phone="+12025550199")
    gone = await client.delete("/api/v1/me/push", params={"endpoint": device.endpoint},
                               headers=world.patient_headers(other))
    assert gone.status_code == 204
    [subscription] = await _rows(session, PushSubscription)
    assert subscription.expired_at is None  # another patient cannot end it
    gone = await client.delete("/api/v1/me/push", params={"endpoint": device.endpoint},
                               headers=world.patient_headers(patient))
    assert gone.status_code == 204
    assert await dispatch_push.run(ctx) == 0
    assert push_service.pushes_to(device) == []
    [row] = await _rows(session, PushMessage)
    assert row.status == "cancelled"
    actions = [a.action for a in await _rows(session, AuditEvent)]
    assert actions.count("patient.push.unsubscribe") == 1


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"endpoint": "https://push.example.org/" + "a" * 1100}, 400),
        ({"keys": {"p256dh": "A" * 87, "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, 400),
        ({"keys": {"p256dh": None, "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, 400),
        ({"extra": 1}, 400),
    ],
)
async def test_a_subscription_that_is_not_one_is_refused(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock,
    push_service: FakePushService, change: dict[str, object], status: int,
) -> None:
    patient = await _app_patient(world, session, clock)
    body = push_service.device().subscription() | change
    answer = await client.put("/api/v1/me/push", json=body, headers=world.patient_headers(patient))
    assert answer.status_code == status, answer.text
    assert await _rows(session, PushSubscription) == []



@pytest.mark.settings(vapid_private_key=KEY)
async def test_an_endpoint_that_is_not_https_is_refused(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock,
    push_service: FakePushService,
) -> None:
    patient = await _app_patient(world, session, clock)
    answer = await _subscribe(client, world, patient, push_service.device())
    assert answer.status_code == 400 and answer.json()["detail"] == "a push endpoint must be an https URL"
    assert await _rows(session, PushSubscription) == []


async def test_the_care_team_sees_an_app_patient_nothing_reaches_outside_the_app(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock,
    push_service: FakePushService,
) -> None:
    patient = await _app_patient(world, session, clock, consent="opted_out")
    staff = await world.staff(await session.get(Clinic, patient.clinic_id))  # type: ignore[arg-type]

    async def flag() -> bool:
        page = await client.get("/api/v1/patients/overview", headers=world.headers(staff))
        assert page.status_code == 200, page.text
        [item] = page.json()["items"]
        return bool(item["reached_outside_app"])

    assert await flag() is False
    assert (await _subscribe(client, world, patient, push_service.device())).status_code == 200
    assert await flag() is True
