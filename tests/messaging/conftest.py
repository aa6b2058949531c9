"""The SMS path end to end: the real Twilio SDK against a local fake Twilio, real signatures."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine

from companion.app import create_app
from companion.clock import FrozenClock
from companion.messaging.dispatcher import Dispatcher
from companion.messaging.gateways import TwilioGateway
from companion.settings import Settings
from tests.fakes.fake_twilio import FakeTwilio

PUBLIC = "https://companion.example.org"
INBOUND_URL = f"{PUBLIC}/webhooks/twilio/sms"
CLINIC_NUMBER = "+15005550006"


@pytest.fixture
def settings(migrated: str, fake_server: FakeTwilio) -> Settings:
    return Settings(
        database_url=migrated,
        secret_key="test-secret-key-0123456789",
        public_base_url=PUBLIC,
        twilio_account_sid=fake_server.account_sid,
        twilio_auth_token=fake_server.auth_token,
        twilio_from_number=CLINIC_NUMBER,
        twilio_api_base_url=fake_server.base_url,
    )


@pytest.fixture
async def gateway(settings: Settings) -> AsyncIterator[TwilioGateway]:
    gateway = TwilioGateway(settings, timeout=2.0)
    yield gateway
    await gateway.close()


@pytest.fixture
def dispatcher(engine: AsyncEngine, gateway: TwilioGateway, clock: FrozenClock) -> Dispatcher:
    return Dispatcher(engine, gateway, clock, concurrency=8)


@pytest.fixture
def app(settings: Settings, clock: FrozenClock, engine: AsyncEngine, gateway: TwilioGateway) -> Litestar:
    return create_app(settings, clock=clock, engine=engine, gateway=gateway)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as client:
        yield client
