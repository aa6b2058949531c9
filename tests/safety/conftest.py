"""Safety tests run the SMS path end to end with the default protocol, whose rota names the
demo clinic's people (clinician@demo.clinic on call, admin@demo.clinic as backup)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from companion.clock import FrozenClock
from companion.db import create_sessionmaker
from companion.messaging.gateways import TwilioGateway
from companion.models import Clinic, Patient, StaffMember
from companion.protocols import ProtocolSource
from companion.settings import Settings
from jobs.context import JobContext
from tests.conftest import World
from tests.messaging.conftest import app, client, dispatcher, gateway, settings, sms

__all__ = ["app", "client", "dispatcher", "gateway", "settings", "sms"]

ON_CALL_PHONE = "+12025550181"
BACKUP_PHONE = "+12025550182"
PATIENT_PHONE = "+12025550142"


@dataclass
class Team:
    clinic: Clinic
    on_call: StaffMember
    backup: StaffMember
    patient: Patient


@pytest.fixture
async def team(world: World) -> Team:
    clinic = await world.clinic(timezone="America/New_York")
    on_call = await world.staff(clinic, "clinician", email="clinician@demo.clinic", phone=ON_CALL_PHONE)
    backup = await world.staff(clinic, "admin", email="admin@demo.clinic", phone=BACKUP_PHONE)
    patient = await world.patient(clinic, phone=PATIENT_PHONE)
    return Team(clinic, on_call, backup, patient)


@pytest.fixture
def ctx(
    settings: Settings, engine: AsyncEngine, clock: FrozenClock, gateway: TwilioGateway, protocols: ProtocolSource
) -> JobContext:
    return JobContext(settings=settings, engine=engine, sessionmaker=create_sessionmaker(engine), clock=clock,
                      gateway=gateway, protocols=protocols)
