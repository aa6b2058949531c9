"""A flood of wrong passwords does not hold up inbound SMS: argon2 runs in its own small thread
pool, and checks beyond the cap are refused (429). Before, each check ran on the event loop
(about a tenth of a second of a core), so 64 at once held every webhook for seconds."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from companion.app import create_app
from companion.clock import FrozenClock
from companion.messaging.gateways import TwilioGateway
from companion.settings import Settings
from tests.conftest import World
from tests.fakes.fake_twilio import FakeTwilio
from tests.messaging.conftest import CLINIC_NUMBER, INBOUND_URL, PUBLIC

LOGINS = 64
WEBHOOKS = 8
# Generous for a loaded machine: with the checks on the event loop each webhook waited for many
# seconds; off it, a webhook takes milliseconds.
WEBHOOK_BOUND_SECONDS = 2.0


@pytest.fixture
async def flooded(
    settings: Settings, clock: FrozenClock, engine: AsyncEngine, gateway: TwilioGateway
) -> AsyncIterator[httpx.AsyncClient]:
    # Backoff is the other defence against one address; here every attempt reaches the check.
    tuned = settings.model_copy(update={"login_backoff_free_per_address": 10_000, "password_max_pending": 8})
    app = create_app(tuned, clock=clock, engine=engine, gateway=gateway)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as client:
        yield client
    await app.state.intake.close()
    app.state.passwords.close()


async def test_webhooks_stay_fast_while_wrong_passwords_flood_in(
    flooded: httpx.AsyncClient, fake: FakeTwilio, world: World
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone="+12025550142")

    async def login(index: int) -> int:
        body = {"email": f"nobody-{index}@example.org", "password": "wrong password"}
        return (await flooded.post("/api/v1/auth/staff/login", json=body)).status_code

    async def webhook(index: int) -> float:
        started = time.perf_counter()
        response = await fake.asend_inbound(INBOUND_URL, patient.phone, CLINIC_NUMBER, f"feeling ok {index}",
                                            client=flooded)
        assert response.status_code == 200, response.text
        return time.perf_counter() - started

    logins = [asyncio.create_task(login(i)) for i in range(LOGINS)]
    await asyncio.sleep(0)  # every sign-in has started before the first webhook
    latencies = [await webhook(i) for i in range(WEBHOOKS)]
    # A second wave while the first may still be checking.
    logins += [asyncio.create_task(login(LOGINS + i)) for i in range(LOGINS)]
    latencies += [await webhook(WEBHOOKS + i) for i in range(WEBHOOKS)]
    statuses = Counter(await asyncio.gather(*logins))

    assert max(latencies) < WEBHOOK_BOUND_SECONDS, [round(s, 3) for s in latencies]
    assert set(statuses) <= {401, 429}, statuses
    assert statuses[429] > 0, "the cap on waiting checks never refused one"
    assert statuses[401] >= 8, "the checks did not run"
