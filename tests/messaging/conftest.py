"""The SMS path end to end: the real Twilio SDK against a local fake Twilio, real signatures."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from companion.app import create_app
from companion.clinical.protocol import Protocol
from companion.clock import FrozenClock
from companion.messaging.dispatcher import Dispatcher
from companion.messaging.gateways import TwilioGateway
from companion.messaging.inbound_worker import InboundProcessor
from companion.models import OutboundMessage
from companion.settings import Settings
from tests.delivery import delivery_events
from tests.fakes.fake_twilio import FakeTwilio

PUBLIC = "https://companion.example.org"
INBOUND_URL = f"{PUBLIC}/webhooks/twilio/sms"
CLINIC_NUMBER = "+15005550006"


@pytest.fixture
def settings(migrated: str, fake_server: FakeTwilio, request: pytest.FixtureRequest) -> Settings:
    """Settings with the fake Twilio; ``@pytest.mark.settings(name=value, ...)`` changes some."""
    marker = request.node.get_closest_marker("settings")
    return Settings(
        database_url=migrated,
        secret_key="test-secret-key-0123456789-abcdefghij",
        public_base_url=PUBLIC,
        twilio_account_sid=fake_server.account_sid,
        twilio_auth_token=fake_server.auth_token,
        twilio_from_number=CLINIC_NUMBER,
        twilio_api_base_url=fake_server.base_url,
        **(marker.kwargs if marker is not None else {}),
    )


@pytest.fixture
async def gateway(settings: Settings) -> AsyncIterator[TwilioGateway]:
    gateway = TwilioGateway(settings, timeout=2.0)
    yield gateway
    await gateway.close()


@pytest.fixture
def dispatcher(engine: AsyncEngine, gateway: TwilioGateway, clock: FrozenClock) -> Dispatcher:
    return Dispatcher(engine, gateway, clock, events=delivery_events(clock), concurrency=8)


@pytest.fixture
def app(
    settings: Settings, clock: FrozenClock, engine: AsyncEngine, gateway: TwilioGateway, protocol: Protocol | None
) -> Litestar:
    return create_app(settings, clock=clock, engine=engine, gateway=gateway, protocol=protocol)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as client:
        yield client
    await app.state.intake.close()  # as the app's shutdown does (the ASGI transport runs no lifespan)
    app.state.passwords.close()


class Sms:
    """Texts the companion as Twilio would, lets the inbound worker handle what was stored, and
    returns the replies it queued for that number."""

    def __init__(self, fake: FakeTwilio, client: httpx.AsyncClient, app: Litestar) -> None:
        self.fake, self.client, self.app = fake, client, app

    async def handle(self) -> int:
        state = self.app.state
        # In batches, as the scheduler process and the workers handle them.
        return await InboundProcessor(state.sessionmaker, state.clock, state.conversations,
                                      batch_size=state.settings.inbound_batch_size,
                                      routine=state.conversations.routine).drain()

    async def _last_id(self) -> int:
        async with self.app.state.sessionmaker() as session:
            return int((await session.execute(select(func.max(OutboundMessage.id)))).scalar_one() or 0)

    async def replies_since(self, after: int, phone: str) -> list[str]:
        async with self.app.state.sessionmaker() as session:
            rows = await session.execute(
                select(OutboundMessage.body)
                .where(OutboundMessage.id > after, OutboundMessage.to_phone == phone,
                       OutboundMessage.purpose == "reply")
                .order_by(OutboundMessage.id)
            )
            return list(rows.scalars())

    async def say(self, phone: str, body: str, *, to: str = CLINIC_NUMBER, message_sid: str | None = None) -> list[str]:
        before = await self._last_id()
        response = await self.fake.asend_inbound(INBOUND_URL, phone, to, body, message_sid, client=self.client)
        assert response.status_code == 200, response.text
        assert "<Message>" not in response.text  # replies go through the outbox
        await self.handle()
        return await self.replies_since(before, phone)


@pytest.fixture
def sms(fake: FakeTwilio, client: httpx.AsyncClient, app: Litestar) -> Sms:
    return Sms(fake, client, app)
