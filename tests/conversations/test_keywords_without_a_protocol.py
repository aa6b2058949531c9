"""Keywords do not depend on the protocol file: a STOP sent while the file is broken is recorded,
and the re-planning after it falls back to the built-in aftercare plan."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clock import FrozenClock
from companion.conversations.router import Conversations
from companion.models import AuditEvent, InboundMessage, Patient
from companion.protocols import ProtocolSource
from companion.settings import Settings
from tests.conftest import World

PHONE = "+12025550142"


async def test_a_stop_is_recorded_while_the_protocol_file_is_broken(
    world: World, session: AsyncSession, settings: Settings, clock: FrozenClock, tmp_path: Path
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PHONE)
    broken = tmp_path / "clinic.toml"
    broken.write_text("rules = [not toml", encoding="utf-8")
    inbound = InboundMessage(message_sid="SM" + "0" * 32, from_phone=PHONE, to_phone="+15005550006", body="STOP",
                             received_at=clock.now(), status="received", priority=5, attempts=0)
    session.add(inbound)
    await session.flush()
    replies = await Conversations(clock, settings, ProtocolSource.from_file(broken))(session, inbound)
    await session.commit()
    assert replies == []  # the provider confirms an opt-out itself
    stored = await session.get(Patient, patient.id, populate_existing=True)
    assert stored is not None and (stored.sms_consent, stored.sms_consent_source) == ("opted_out", "sms:STOP")
    actions = (await session.execute(select(AuditEvent.action))).scalars().all()
    assert "consent.opt_out" in actions
