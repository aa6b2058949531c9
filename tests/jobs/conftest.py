"""Job tests run against the fake Twilio, as the messaging tests do."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from companion.clock import FrozenClock
from companion.db import create_sessionmaker
from companion.messaging.gateways import TwilioGateway
from companion.protocols import ProtocolSource
from companion.settings import Settings
from jobs.context import JobContext
from tests.messaging.conftest import app, client, dispatcher, gateway, settings, sms

__all__ = ["app", "client", "dispatcher", "gateway", "settings", "sms"]


@pytest.fixture
def ctx(
    settings: Settings, engine: AsyncEngine, clock: FrozenClock, gateway: TwilioGateway, protocols: ProtocolSource
) -> JobContext:
    return JobContext(settings=settings, engine=engine, sessionmaker=create_sessionmaker(engine), clock=clock,
                      gateway=gateway, protocols=protocols)
