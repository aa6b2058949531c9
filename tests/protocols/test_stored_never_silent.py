"""A crisis arriving while the clinic's stored version cannot be loaded is judged and answered
under the last good version; /ready says what is wrong (docs/protocol.md)."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.models import Alert, OutboundMessage
from tests.messaging.conftest import Sms
from tests.protocols.stored import labelled, store
from tests.safety.conftest import PATIENT_PHONE, Team, app, client, gateway, settings, sms, team

__all__ = ["app", "client", "gateway", "settings", "sms", "team"]


async def test_a_crisis_while_the_active_version_does_not_load_is_answered_under_the_last_good_one(
    sms: Sms, client: httpx.AsyncClient, app: Litestar, team: Team, session: AsyncSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = await store(session, team.clinic, labelled("north-7"))
    assert (await sms.say(PATIENT_PHONE, "ok")) is not None  # the app has loaded north-7
    await store(session, team.clinic, labelled("north-8").replace("version =", "version == ", 1))
    app.state.protocols.invalidate()
    await sms.say(PATIENT_PHONE, "I took all my pills an hour ago")
    [alert] = list((await session.execute(select(Alert))).scalars())
    assert (alert.severity, alert.protocol_version, alert.protocol_version_id) == ("urgent", "north-7", good.id)
    purposes = (await session.execute(select(OutboundMessage.purpose))).scalars().all()
    assert "safety_reply" in purposes and "staff_page" in purposes
    assert f"the protocol of clinic {team.clinic.id} does not load" in caplog.text
    response = await client.get("/ready")
    assert response.status_code == 503
    assert "the active version does not load" in response.json()["protocol"]
    assert "version north-7 stays in use" in response.json()["protocol"]
