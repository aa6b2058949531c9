"""A version activated through the API is the one the next crisis SMS is handled under, in this
process at once: the first version activated seeds the clinic's on-call schedule from its own rota,
which decides who is paged from then on, and the alert names the stored version."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.models import Alert, AlertPage, ProtocolVersion
from tests.clinics.protocol_texts import SHIPPED, labelled, on_call
from tests.conftest import World
from tests.messaging.conftest import Sms
from tests.safety.conftest import PATIENT_PHONE, Team

PAGER_PHONE = "+12025550183"
TOML = {"content-type": "application/toml"}


async def _pages(session: AsyncSession, alert: Alert) -> list[tuple[int, str]]:
    rows = await session.execute(select(AlertPage).where(AlertPage.alert_id == alert.id)
                                 .order_by(AlertPage.step_index, AlertPage.staff_id))
    return [(page.staff_id, page.target) for page in rows.scalars()]


async def test_a_crisis_sms_is_paged_by_the_activated_versions_own_rota(
    sms: Sms, client: httpx.AsyncClient, team: Team, world: World, session: AsyncSession,
) -> None:
    pager = await world.staff(team.clinic, "clinician", email="pager@north.example", phone=PAGER_PHONE)
    headers = {**world.headers(team.backup), **TOML}
    url = f"/api/v1/clinics/{team.clinic.id}/protocol"
    stored_first = await client.put(url, content=SHIPPED, headers=headers, params={"activate": "false"})
    assert stored_first.status_code == 201 and stored_first.json()["active"] is False
    new = await client.put(url, content=labelled("north-2", on_call("pager@north.example")), headers=headers,
                           params={"activate": "false"})
    assert new.status_code == 201 and new.json()["active"] is False
    activated = await client.post(f"{url}/versions/{new.json()['number']}/activate", headers=headers)
    assert activated.status_code == 200, activated.text

    await sms.say(PATIENT_PHONE, "im going to kill myself tonight")
    [alert] = list((await session.execute(select(Alert))).scalars())
    stored = (await session.execute(select(ProtocolVersion).where(ProtocolVersion.number == 2))).scalar_one()
    assert (alert.protocol_version, alert.protocol_version_id) == ("north-2", stored.id)
    assert await _pages(session, alert) == [(pager.id, "oncall:on_call_clinician")]

    # Roll back: the shipped version is in use again, but the schedule it would have seeded is already
    # the clinic's own rows, which a protocol version never changes.
    rolled = await client.post(f"{url}/versions/1/activate", headers=headers)
    assert rolled.status_code == 200
    second = await world.patient(team.clinic, reference="P-1043", phone="+12025550144")
    await sms.say(second.phone, "i want to end my life tonight")
    latest = (await session.execute(select(Alert).order_by(Alert.id.desc()))).scalars().first()
    assert latest is not None and latest.id != alert.id and latest.protocol_version != "north-2"
    assert latest.protocol_version == "default-2026.1"
    assert await _pages(session, latest) == [(pager.id, "oncall:on_call_clinician")]
