"""Two clinics, each with its own stored protocol (different rotas, chains and wording): a crisis
at each is judged under its own clinic's version and pages only that clinic's people."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.models import Alert, Clinic, OutboundMessage
from tests.conftest import World
from tests.messaging.conftest import CLINIC_NUMBER, Sms
from tests.protocols.stored import labelled, store
from tests.safety.conftest import app, client, gateway, settings, sms

__all__ = ["app", "client", "gateway", "settings", "sms"]

SOUTH_NUMBER = "+15005550007"


def _clinic_protocol(label: str, on_call: str, backup: str) -> str:
    return labelled(label).replace("clinician@demo.clinic", on_call).replace("admin@demo.clinic", backup)


async def _pages(session: AsyncSession, clinic: Clinic) -> set[str]:
    rows = await session.execute(select(OutboundMessage.to_phone).where(
        OutboundMessage.purpose == "staff_page", OutboundMessage.clinic_id == clinic.id))
    return set(rows.scalars())


async def test_a_crisis_at_each_clinic_pages_only_its_own_people(
    sms: Sms, world: World, session: AsyncSession
) -> None:
    north = await world.clinic("North Clinic")
    south = await world.clinic("South Clinic", timezone="America/Chicago")
    north.sms_sender, south.sms_sender = CLINIC_NUMBER, SOUTH_NUMBER
    session.add_all([await session.merge(north), await session.merge(south)])
    await session.commit()
    await world.staff(north, "clinician", email="morgan@north.test", phone="+12025550201")
    await world.staff(north, "admin", email="lee@north.test", phone="+12025550202")
    await world.staff(south, "clinician", email="rivera@south.test", phone="+13125550301")
    await world.staff(south, "admin", email="okafor@south.test", phone="+13125550302")
    await world.patient(north, reference="N-1", phone="+12025550111")
    await world.patient(south, reference="S-1", phone="+13125550111", timezone="America/Chicago")
    north_version = await store(session, north, _clinic_protocol("north-3", "morgan@north.test", "lee@north.test"))
    south_version = await store(session, south, _clinic_protocol("south-9", "rivera@south.test", "okafor@south.test"))

    north_replies = await sms.say("+12025550111", "I have a rope and I am going to hang myself tonight")
    south_replies = await sms.say("+13125550111", "took every pill in the bottle, sorry for everything",
                                  to=SOUTH_NUMBER)

    alerts = {a.clinic_id: a for a in (await session.execute(select(Alert))).scalars()}
    assert (alerts[north.id].protocol_version, alerts[north.id].protocol_version_id) == ("north-3", north_version.id)
    assert (alerts[south.id].protocol_version, alerts[south.id].protocol_version_id) == ("south-9", south_version.id)
    assert {alerts[north.id].severity, alerts[south.id].severity} == {"urgent"}
    assert north_replies and south_replies  # each patient is answered at once
    assert await _pages(session, north) == {"+12025550201"}  # north's on-call clinician only
    assert await _pages(session, south) == {"+13125550301"}  # south's on-call clinician only
