"""GET /metrics on a real database: off by default, the token, the text, and gauges from rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from companion.app import create_app
from companion.clock import FrozenClock
from companion.messaging.gateways import TwilioGateway
from companion.models import Alert, InboundMessage, JobHeartbeat, OutboundMessage, Patient
from companion.settings import Settings
from tests.conftest import World
from tests.metrics.conftest import parse, value

TOKEN = "scrape-token-0123456789"
BASE = "https://companion.example.org"


def _app(settings: Settings, clock: FrozenClock, engine: AsyncEngine, gateway: TwilioGateway, **changes: object
         ) -> Litestar:
    return create_app(settings.model_copy(update=changes), clock=clock, engine=engine, gateway=gateway)


@pytest.fixture
async def client(settings: Settings, clock: FrozenClock, engine: AsyncEngine, gateway: TwilioGateway
                 ) -> AsyncIterator[httpx.AsyncClient]:
    app = _app(settings, clock, engine, gateway, metrics_enabled=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client
    await app.state.intake.close()


async def test_metrics_are_off_by_default(settings: Settings, clock: FrozenClock, engine: AsyncEngine,
                                          gateway: TwilioGateway) -> None:
    assert Settings().metrics_enabled is False
    app = _app(settings, clock, engine, gateway)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        response = await client.get("/metrics")
    assert response.status_code == 404
    assert "companion_" not in response.text


async def test_enabled_metrics_answer_in_prometheus_text(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = parse(response.text)
    assert value(samples, "companion_database_up") == 1
    assert value(samples, "companion_webhooks_received_total", endpoint="sms") is not None
    assert any(name == "process_cpu_seconds_total" for name, _ in samples)


@pytest.mark.parametrize(
    ("authorization", "status"),
    [(None, 401), ("Bearer wrong-token-0123456789", 401), (f"Basic {TOKEN}", 401), (f"Bearer {TOKEN}", 200),
     (f"bearer {TOKEN}", 200)],
)
async def test_a_token_when_set_is_required(
    settings: Settings, clock: FrozenClock, engine: AsyncEngine, gateway: TwilioGateway,
    authorization: str | None, status: int,
) -> None:
    app = _app(settings, clock, engine, gateway, metrics_enabled=True, metrics_token=TOKEN)
    headers = {"Authorization": authorization} if authorization else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        response = await client.get("/metrics", headers=headers)
    assert response.status_code == status
    if status == 401:
        assert "COMPANION_METRICS_TOKEN" in response.json()["detail"]
        assert "companion_" not in response.text.replace("COMPANION_METRICS_TOKEN", "")
    else:
        assert value(parse(response.text), "companion_database_up") == 1


async def _rows(session: AsyncSession, clock: FrozenClock, patient: Patient) -> None:
    now = clock.now()
    clinic_id, patient_id = patient.clinic_id, patient.id or 0

    def inbound(sid: str, priority: int, seconds_ago: int, status: str = "received") -> InboundMessage:
        return InboundMessage(message_sid=sid, clinic_id=clinic_id, patient_id=patient_id, from_phone="+12025550142",
                              to_phone="+15005550006", body="hello", received_at=now - timedelta(seconds=seconds_ago),
                              status=status, priority=priority)

    def outbound(purpose: str, status: str, due_seconds_ago: int) -> OutboundMessage:
        return OutboundMessage(clinic_id=clinic_id, patient_id=patient_id, to_phone="+12025550142", purpose=purpose,
                               body="text", status=status, due_at=now - timedelta(seconds=due_seconds_ago))

    def alert(severity: str, status: str, code: str, step_seconds_ago: int | None) -> Alert:
        step = None if step_seconds_ago is None else now - timedelta(seconds=step_seconds_ago)
        return Alert(clinic_id=clinic_id, patient_id=patient_id, kind="crisis", severity=severity, status=status,
                     ack_code=code, protocol_version="test", opened_at=now - timedelta(minutes=20), next_step_at=step)

    session.add_all([
        inbound("SM1", 0, 30), inbound("SM2", 5, 400), inbound("SM3", 5, 10), inbound("SM4", 5, 9000, "handled"),
        outbound("prompt", "pending", 90), outbound("prompt", "pending", 30), outbound("staff_page", "pending", -60),
        outbound("reply", "sending", 5), outbound("staff_page", "gave_up", 600), outbound("prompt", "delivered", 900),
        alert("urgent", "open", "1001", 300), alert("high", "open", "1002", 30), alert("high", "open", "1003", -60),
        alert("urgent", "acknowledged", "1004", None), alert("urgent", "resolved", "1005", None),
        JobHeartbeat(job_id="dispatch-outbox", last_started_at=now - timedelta(seconds=11),
                     last_finished_at=now - timedelta(seconds=10), last_ok_at=now - timedelta(seconds=10),
                     interval_seconds=1, runs=5),
        JobHeartbeat(job_id="watchdog", last_started_at=now - timedelta(minutes=30),
                     last_finished_at=now - timedelta(minutes=30), last_error="OperationalError: gone",
                     interval_seconds=60, runs=2),
    ])
    await session.commit()


async def test_the_database_gauges_reflect_the_rows(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    clinic = await world.clinic()
    await _rows(session, clock, await world.patient(clinic))
    samples = parse((await client.get("/metrics")).text)
    expected = [
        ("companion_inbound_backlog", {"priority": "urgent"}, 1),
        ("companion_inbound_backlog", {"priority": "routine"}, 2),  # the handled one is not waiting
        ("companion_inbound_oldest_unhandled_age_seconds", {}, 400),
        ("companion_outbox_messages", {"status": "pending", "purpose": "prompt"}, 2),
        ("companion_outbox_messages", {"status": "pending", "purpose": "staff_page"}, 1),
        ("companion_outbox_messages", {"status": "pending", "purpose": "otp"}, 0),
        ("companion_outbox_messages", {"status": "sending", "purpose": "reply"}, 1),
        ("companion_outbox_messages", {"status": "gave_up", "purpose": "staff_page"}, 1),
        ("companion_outbox_messages", {"status": "delivered", "purpose": "prompt"}, None),
        ("companion_outbox_oldest_due_age_seconds", {"purpose": "prompt"}, 90),
        ("companion_outbox_oldest_due_age_seconds", {"purpose": "staff_page"}, 0),  # not due yet
        ("companion_alerts_active", {"severity": "urgent", "status": "open"}, 1),
        ("companion_alerts_active", {"severity": "high", "status": "open"}, 2),
        ("companion_alerts_active", {"severity": "urgent", "status": "acknowledged"}, 1),
        ("companion_alerts_active", {"severity": "routine", "status": "open"}, 0),
        ("companion_escalation_steps_due", {"severity": "urgent"}, 1),
        ("companion_escalation_steps_due", {"severity": "high"}, 1),
        ("companion_escalation_steps_overdue", {"severity": "urgent"}, 1),  # 5 minutes late
        ("companion_escalation_steps_overdue", {"severity": "high"}, 0),  # 30 s: the job has time yet
        ("companion_job_heartbeat_age_seconds", {"job": "dispatch-outbox"}, 10),
        ("companion_job_heartbeat_age_seconds", {"job": "watchdog"}, 1800),
        ("companion_job_stale", {"job": "dispatch-outbox"}, 0),
        ("companion_job_stale", {"job": "watchdog"}, 1),
        ("companion_job_last_run_failed", {"job": "watchdog"}, 1),
        ("companion_job_last_run_failed", {"job": "dispatch-outbox"}, 0),
    ]
    assert [(name, labels, value(samples, name, **labels)) for name, labels, _ in expected] == expected


async def test_no_label_carries_a_phone_number_or_a_body(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic)
    await _rows(session, clock, patient)
    text = (await client.get("/metrics")).text
    for secret in ("+1202555", "2025550142", "hello", patient.reference, "Pat Example"):
        assert secret not in text
    for name, labels in parse(text):
        for label, label_value in labels:
            assert label not in {"patient", "patient_id", "phone", "to", "from", "body"}, (name, label)
            assert not (label_value.startswith("+") and label_value[1:].isdigit()), (name, label_value)
