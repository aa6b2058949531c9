"""Counters and histograms from the code paths: webhooks received, refused and stored, and the
dispatcher's send latency and provider errors (the real SDK against the fake Twilio)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from companion.app import create_app
from companion.clock import FrozenClock
from companion.db import create_engine, create_sessionmaker
from companion.messaging import outbox
from companion.messaging.dispatcher import Dispatcher
from companion.messaging.gateways import TwilioGateway
from companion.messaging.policy import Purpose
from companion.metrics import services
from companion.settings import Settings
from tests.conftest import World
from tests.fakes.fake_twilio import FakeTwilio
from tests.messaging.conftest import CLINIC_NUMBER, INBOUND_URL, PUBLIC
from tests.metrics.conftest import counter, parse, value

PHONE = "+12025550142"
STATUS_URL = f"{PUBLIC}/webhooks/twilio/status"


@pytest.fixture
def app(settings: Settings, clock: FrozenClock, engine: AsyncEngine, gateway: TwilioGateway) -> Litestar:
    return create_app(settings.model_copy(update={"metrics_enabled": True}), clock=clock, engine=engine,
                      gateway=gateway)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC) as client:
        yield client
    await app.state.intake.close()


async def test_webhooks_are_counted_as_received_refused_and_stored(
    client: httpx.AsyncClient, fake: FakeTwilio
) -> None:
    names = [
        ("companion_webhooks_received_total", {"endpoint": "sms"}),
        ("companion_webhooks_received_total", {"endpoint": "status"}),
        ("companion_webhooks_refused_total", {"endpoint": "sms", "reason": "bad_signature"}),
        ("companion_webhooks_refused_total", {"endpoint": "sms", "reason": "bad_form"}),
        ("companion_webhooks_refused_total", {"endpoint": "status", "reason": "bad_form"}),
        ("companion_inbound_stored_total", {"result": "new"}),
        ("companion_inbound_stored_total", {"result": "duplicate"}),
    ]
    before = [counter(name, **labels) for name, labels in names]

    ok = await fake.asend_inbound(INBOUND_URL, PHONE, CLINIC_NUMBER, "7", "SMmetrics1", client=client)
    again = await fake.asend_inbound(INBOUND_URL, PHONE, CLINIC_NUMBER, "7", "SMmetrics1", client=client)
    forged = await fake.asend_inbound(INBOUND_URL, PHONE, CLINIC_NUMBER, "7", "SMmetrics2", signature="bad",
                                      client=client)
    params = {"From": PHONE, "Body": "7"}  # no MessageSid, signed
    no_sid = await client.post(INBOUND_URL, data=params, headers={"X-Twilio-Signature": fake.sign(INBOUND_URL, params)})
    status_params = {"MessageSid": "SMx"}  # no MessageStatus, signed
    no_status = await client.post(STATUS_URL, data=status_params,
                                  headers={"X-Twilio-Signature": fake.sign(STATUS_URL, status_params)})
    assert [r.status_code for r in (ok, again, forged, no_sid, no_status)] == [200, 200, 403, 400, 400]

    after = [counter(name, **labels) for name, labels in names]
    assert [a - b for a, b in zip(after, before, strict=True)] == [4, 1, 1, 1, 1, 1, 1]
    # The scrape shows the same counters.
    samples = parse((await client.get("/metrics")).text)
    assert value(samples, "companion_inbound_stored_total", result="duplicate") == after[-1]


async def test_a_webhook_that_cannot_be_stored_is_counted_as_refused(
    client: httpx.AsyncClient, fake: FakeTwilio, app: Litestar, tmp_path: Path
) -> None:
    broken = create_engine(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/missing/dir/x.db"))
    app.state.intake.engine = broken
    before = counter("companion_webhooks_refused_total", endpoint="sms", reason="store_failed")
    response = await fake.asend_inbound(INBOUND_URL, PHONE, CLINIC_NUMBER, "7", "SMmetrics3", client=client)
    await broken.dispose()
    assert response.status_code == 500  # Twilio delivers it again
    assert counter("companion_webhooks_refused_total", endpoint="sms", reason="store_failed") == before + 1


async def _enqueue(session: AsyncSession, clock: FrozenClock, world: World, purpose: Purpose) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PHONE)
    await outbox.enqueue(session, clock, to_phone=PHONE, purpose=purpose, body="How is your mood today?",
                         clinic_id=clinic.id, patient=patient)
    await session.commit()


async def test_sends_are_timed_and_provider_errors_counted_by_code(
    dispatcher: Dispatcher, fake: FakeTwilio, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    await _enqueue(session, clock, world, Purpose.PROMPT)
    timed = counter("companion_sms_send_seconds_count", gateway="twilio", purpose="prompt")
    errors = counter("companion_sms_provider_errors_total", code="20429", http_status="429", action="retry")
    fake.fail_next(1, status=429)
    assert await dispatcher.drain() == 1  # refused with 429: retried later
    assert counter("companion_sms_provider_errors_total", code="20429", http_status="429", action="retry") == errors + 1
    assert counter("companion_sms_send_seconds_count", gateway="twilio", purpose="prompt") == timed + 1
    clock.advance(seconds=60)
    assert await dispatcher.drain() == 1  # sent
    assert counter("companion_sms_send_seconds_count", gateway="twilio", purpose="prompt") == timed + 2
    assert counter("companion_sms_send_seconds_bucket", gateway="twilio", purpose="prompt", le="+Inf") == timed + 2
    assert counter("companion_sms_send_seconds_sum", gateway="twilio", purpose="prompt") > 0


async def test_an_unreadable_database_still_answers_with_the_counters(tmp_path: Path, settings: Settings,
                                                                      clock: FrozenClock) -> None:
    broken = create_engine(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/missing/dir/x.db"))
    try:
        text = (await services.scrape(create_sessionmaker(broken), clock,
                                      settings.model_copy(update={"metrics_enabled": True}), None)).decode()
    finally:
        await broken.dispose()
    samples = parse(text)
    assert value(samples, "companion_database_up") == 0
    assert value(samples, "companion_inbound_backlog", priority="urgent") is None
    assert value(samples, "companion_webhooks_received_total", endpoint="sms") is not None
