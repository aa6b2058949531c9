"""A version refused by the clinic check never becomes active: the clinic's crises keep paging
under the version it had."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.models import Alert, OutboundMessage
from tests.conftest import World
from tests.messaging.conftest import Sms
from tests.protocols.stored import labelled
from tests.safety.conftest import ON_CALL_PHONE, PATIENT_PHONE, Team, app, client, gateway, settings, sms, team

__all__ = ["app", "client", "gateway", "settings", "sms", "team"]
TOML = {"content-type": "application/toml"}


async def test_a_refused_version_leaves_the_old_one_paging(
    sms: Sms, client: httpx.AsyncClient, team: Team, world: World, session: AsyncSession
) -> None:
    headers = {**world.headers(team.backup), **TOML}
    url = f"/api/v1/clinics/{team.clinic.id}/protocol"
    assert (await client.put(url, content=labelled("north-1"), headers=headers)).status_code == 201
    stranger = labelled("north-2").replace('rotation = ["clinician@demo.clinic"]', 'rotation = ["sam@elsewhere.test"]')
    refused = await client.put(url, content=stranger, headers=headers)
    assert refused.status_code == 422
    assert any(p.startswith("rota.on_call_clinician.rotation[0]: 'sam@elsewhere.test' is not a member")
               for p in refused.json()["problems"])
    assert (await client.get(url, headers=headers)).json()["label"] == "north-1"

    await sms.say(PATIENT_PHONE, "i am going to overdose on my pills tonight")
    [alert] = list((await session.execute(select(Alert))).scalars())
    assert alert.protocol_version == "north-1"
    pages = (await session.execute(select(OutboundMessage.to_phone).where(
        OutboundMessage.purpose == "staff_page"))).scalars().all()
    assert pages == [ON_CALL_PHONE]
