"""A member an admin deactivates is signed out at once and paged no more: a chain step whose only
person they were reaches nobody, says so (audit, timeline, log, the on-call board) and falls back
to the clinic's active clinicians and admins, so the alert still reaches someone."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.models import Alert, AlertPage, AuditEvent, OutboundMessage
from tests.conftest import PASSWORD, World
from tests.messaging.conftest import Sms
from tests.safety.conftest import ON_CALL_PHONE, PATIENT_PHONE, Team


async def _sign_in(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    response = await client.post("/api/v1/auth/staff/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.mark.parametrize("held_by", ["protocol rota", "clinic schedule"])
async def test_a_deactivated_member_is_signed_out_and_never_paged(
    sms: Sms, client: httpx.AsyncClient, team: Team, world: World, session: AsyncSession,
    caplog: pytest.LogCaptureFixture, held_by: str,
) -> None:
    admin = world.headers(team.backup)
    board_url = f"/api/v1/clinics/{team.clinic.id}/oncall"
    if held_by == "clinic schedule":
        put = await client.put(f"{board_url}/positions/on_call_clinician",
                               json={"rotation": [team.on_call.id], "handoff": "mon 09:00"}, headers=admin)
        assert put.status_code == 200, put.text
    signed_in = await _sign_in(client, team.on_call.email)
    before = {b["position"]: b for b in (await client.get(board_url, headers=admin)).json()}
    assert before["on_call_clinician"]["now"]["staff_id"] == team.on_call.id
    assert before["on_call_clinician"]["warning"] is None

    off = await client.patch(f"/api/v1/staff/{team.on_call.id}", json={"active": False}, headers=admin)
    assert off.status_code == 200 and off.json()["active"] is False
    ended = await client.get("/api/v1/alerts", headers=signed_in)
    assert ended.status_code == 401 and ended.json()["detail"] == "this account is no longer active"
    board = {b["position"]: b for b in (await client.get(board_url, headers=admin)).json()}
    assert "is deactivated" in board["on_call_clinician"]["warning"]

    with caplog.at_level(logging.WARNING, logger="companion.safety"):
        await sms.say(PATIENT_PHONE, "im going to kill myself tonight")
    [alert] = list((await session.execute(select(Alert))).scalars())
    pages = list((await session.execute(select(AlertPage).where(AlertPage.alert_id == alert.id))).scalars())
    assert {p.staff_id for p in pages} == {team.backup.id}
    to_deactivated = await session.execute(select(OutboundMessage).where(OutboundMessage.to_phone == ON_CALL_PHONE))
    assert list(to_deactivated.scalars()) == []
    [step] = list((await session.execute(
        select(AuditEvent).where(AuditEvent.action == "alert.step", AuditEvent.subject == f"alert:{alert.id}")
    )).scalars())
    assert step.detail["unreached"] == ["oncall:on_call_clinician"] and step.detail["fallback"] is True
    assert step.detail["paged_staff"] == [team.backup.id]
    assert any("reached nobody (fallback paged)" in r.getMessage() for r in caplog.records)
    timeline = await client.get(f"/api/v1/alerts/{alert.id}/events", headers=admin)
    assert timeline.status_code == 200, timeline.text
    [shown] = [e for e in timeline.json() if e["kind"] == "step"]
    assert "nobody the step names could be paged" in shown["text"]


async def test_a_reactivated_member_is_paged_again(
    sms: Sms, client: httpx.AsyncClient, team: Team, world: World, session: AsyncSession,
) -> None:
    admin = world.headers(team.backup)
    for active in (False, True):
        changed = await client.patch(f"/api/v1/staff/{team.on_call.id}", json={"active": active}, headers=admin)
        assert changed.status_code == 200
    await sms.say(PATIENT_PHONE, "im going to kill myself tonight")
    [alert] = list((await session.execute(select(Alert))).scalars())
    pages = list((await session.execute(select(AlertPage).where(AlertPage.alert_id == alert.id))).scalars())
    assert [p.staff_id for p in pages] == [team.on_call.id]
