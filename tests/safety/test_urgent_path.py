"""With the API deployed alone (`companion serve --no-jobs`), a message that reads as risk is handled
and answered by the API itself: the safety reply and the first page go out with no scheduler running."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.app import create_app
from companion.clock import FrozenClock
from companion.models import InboundMessage
from companion.settings import Settings
from tests.fakes.fake_twilio import FakeTwilio
from tests.live import free_port, serving
from tests.messaging.conftest import CLINIC_NUMBER, INBOUND_URL
from tests.safety.conftest import ON_CALL_PHONE, PATIENT_PHONE, Team


async def test_the_api_alone_answers_a_crisis_and_pages_the_on_call_clinician(
    settings: Settings, team: Team, fake: FakeTwilio, clock: FrozenClock, session: AsyncSession, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("the API sends urgent messages itself on PostgreSQL; on SQLite one process does everything")
    port = free_port()
    with serving(create_app(settings, clock=clock), port) as url:
        target = url
        other = "+12025550199"
        response = await fake.asend_inbound(INBOUND_URL, other, CLINIC_NUMBER, "fine thanks", target=target)
        assert response.status_code == 200
        response = await fake.asend_inbound(
            INBOUND_URL, PATIENT_PHONE, CLINIC_NUMBER, "i am going to kill myself tonight", target=target
        )
        assert response.status_code == 200
        reply = await fake.await_for(lambda m: m.to == PATIENT_PHONE, timeout=15)
        page = await fake.await_for(lambda m: m.to == ON_CALL_PHONE, timeout=15)
        await asyncio.sleep(0.2)
    assert "988" in reply.body
    assert page.body.startswith(f"Urgent alert for patient {team.patient.reference}.")
    stored = {m.from_phone: m.status for m in (await session.execute(select(InboundMessage))).scalars()}
    # The ordinary message waits for the scheduler process's inbound worker.
    assert stored == {other: "received", PATIENT_PHONE: "handled"}
    assert [m.to for m in fake.messages if m.to == other] == []
