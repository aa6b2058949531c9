"""The protocol given to create_app is the one the app uses: for the inbound SMS it handles, the
alerts it opens, and the requests it answers."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinical.permissions import Permissions
from companion.models import Alert, OutboundMessage
from companion.protocols import default_protocol
from jobs import dispatch_outbox
from jobs.context import JobContext
from tests.conftest import World
from tests.fakes.fake_twilio import FakeTwilio
from tests.messaging.conftest import Sms
from tests.safety.conftest import PATIENT_PHONE, Team

SHIPPED = default_protocol()
CLINIC = replace(
    SHIPPED,
    version="north-clinic-7",
    wording=replace(SHIPPED.wording, safety_reply="North Clinic here: please call or text 988 now. We are on it."),
    # The front desk may acknowledge here; under the shipped protocol only if it was paged.
    permissions=Permissions(acknowledge=("staff", "clinician", "admin")),
)


async def _safety_replies(session: AsyncSession) -> list[OutboundMessage]:
    query = select(OutboundMessage).where(OutboundMessage.purpose == "safety_reply")
    return list((await session.execute(query)).scalars())


@pytest.mark.protocol(CLINIC)
async def test_a_crisis_sms_is_handled_under_the_protocol_given_to_the_app(
    sms: Sms, client: httpx.AsyncClient, fake: FakeTwilio, ctx: JobContext, team: Team, world: World,
    session: AsyncSession,
) -> None:
    assert CLINIC.wording.safety_reply != SHIPPED.wording.safety_reply
    await sms.say(PATIENT_PHONE, "im going to kill myself tonight")
    [alert] = list((await session.execute(select(Alert))).scalars())
    assert (alert.severity, alert.protocol_version) == ("urgent", "north-clinic-7")
    [queued] = await _safety_replies(session)
    assert queued.body == CLINIC.wording.safety_reply
    await dispatch_outbox.run(ctx)
    assert fake.messages_to(PATIENT_PHONE)[0].body == CLINIC.wording.safety_reply
    # A request reads the same protocol: its permissions let an unpaged receptionist acknowledge.
    receptionist = await world.staff(team.clinic, "staff")
    acked = await client.post(f"/api/v1/alerts/{alert.id}/ack", headers=world.headers(receptionist))
    assert (acked.status_code, acked.json()["status"], acked.json()["protocol_version"]) == (
        200, "acknowledged", "north-clinic-7")


async def test_without_a_protocol_the_app_reads_the_settings_file(
    sms: Sms, client: httpx.AsyncClient, team: Team, world: World, session: AsyncSession,
) -> None:
    await sms.say(PATIENT_PHONE, "im going to kill myself tonight")
    [alert] = list((await session.execute(select(Alert))).scalars())
    assert alert.protocol_version == SHIPPED.version
    [queued] = await _safety_replies(session)
    assert queued.body == SHIPPED.wording.safety_reply
    receptionist = await world.staff(team.clinic, "staff")
    refused = await client.post(f"/api/v1/alerts/{alert.id}/ack", headers=world.headers(receptionist))
    assert refused.status_code == 403
