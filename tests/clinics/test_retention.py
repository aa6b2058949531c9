"""The purge of messages and audit rows past each clinic's retention periods, against a real
database: what goes, what is never deleted (unsent rows, unhandled or unreviewed messages, what an
unresolved alert or a page refers to), each clinic by its own periods, in bounded batches."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from companion.clinics.retention import held_by_alerts, purge_batch, retention_periods
from companion.clock import FrozenClock
from companion.db import create_sessionmaker
from companion.models import (
    Alert,
    AlertPage,
    Answer,
    AuditEvent,
    CheckIn,
    Clinic,
    InboundMessage,
    MessageAttempt,
    OutboundMessage,
    Patient,
    StaffMember,
)
from companion.models.base import table_of
from companion.models.clinic import DEFAULT_AUDIT_RETENTION_DAYS, DEFAULT_MESSAGE_RETENTION_DAYS
from tests.conftest import World

OLD = timedelta(days=40)  # past a 30-day message period, within the defaults
ANCIENT = timedelta(days=DEFAULT_AUDIT_RETENTION_DAYS + 10)  # past every default


@pytest.mark.parametrize(
    ("alerts", "inbound", "subjects"),
    [
        ([], set(), set()),
        ([(7, [{"reply_key": "sms:12"}, {"reply_key": "answer:3"}, {}])], {12}, {"alert:7"}),
        ([(1, [{"reply_key": "sms:x"}]), (2, [{"reply_key": None}, {"reply_key": "sms:5"}])], {5},
         {"alert:1", "alert:2"}),
    ],
)
def test_what_unresolved_alerts_hold(alerts: list[Any], inbound: set[int], subjects: set[str]) -> None:
    held = held_by_alerts(alerts)
    assert held.inbound_ids == inbound and held.audit_subjects == subjects


class Rows:
    """Rows written straight to the tables, at a chosen age."""

    def __init__(self, engine: AsyncEngine, clock: FrozenClock) -> None:
        self.engine, self.clock = engine, clock
        self.count = 0

    async def _insert(self, model: type, **values: Any) -> int:
        table = table_of(model)
        async with self.engine.begin() as conn:
            return int((await conn.execute(insert(table).returning(table.c.id), [values])).scalar_one())

    async def outbound(self, clinic_id: int | None, age: timedelta, status: str = "delivered", **extra: Any) -> int:
        self.count += 1
        at = self.clock.now() - age
        return await self._insert(OutboundMessage, clinic_id=clinic_id, to_phone="+12025550142", purpose="prompt",
                                  body="How are you?", priority=5, status=status, due_at=at, attempts=1,
                                  dedupe_key=f"test:{self.count}", created_at=at, **extra)

    async def attempt(self, message_id: int) -> int:
        return await self._insert(MessageAttempt, message_id=message_id, at=self.clock.now(), outcome="accepted")

    async def inbound(self, clinic_id: int | None, age: timedelta, status: str = "handled", **extra: Any) -> int:
        self.count += 1
        return await self._insert(InboundMessage, message_sid=f"SM{self.count:032d}", clinic_id=clinic_id,
                                  from_phone="+12025550142", to_phone="+15005550006", body="7",
                                  received_at=self.clock.now() - age, status=status, **extra)

    async def audit(self, clinic_id: int | None, age: timedelta, subject: str = "patient:1") -> int:
        return await self._insert(AuditEvent, clinic_id=clinic_id, actor="staff:1", action="patient.read",
                                  subject=subject, at=self.clock.now() - age, detail={})

    async def alert(self, clinic_id: int, patient_id: int, status: str, findings: list[dict[str, Any]]) -> int:
        return await self._insert(Alert, clinic_id=clinic_id, patient_id=patient_id, kind="crisis", severity="urgent",
                                  status=status, ack_code="1234", protocol_version="v1", chain={}, findings=findings,
                                  opened_at=self.clock.now() - OLD)


async def _ids(session: AsyncSession, model: type) -> set[int]:
    table = table_of(model)
    return set((await session.execute(select(table.c.id))).scalars())


async def _purge_all(engine: AsyncEngine, clock: FrozenClock, limit: int = 1000) -> int:
    total = 0
    while True:
        async with create_sessionmaker(engine)() as session, session.begin():
            done = (await purge_batch(session, clock, limit)).total
        total += done
        if done < limit:
            return total


async def _clinic(world: World, session: AsyncSession, name: str, message_days: int, audit_days: int) -> Clinic:
    clinic = await world.clinic(name)
    stored = await session.get(Clinic, clinic.id)
    assert stored is not None
    stored.message_retention_days, stored.audit_retention_days = message_days, audit_days
    await session.commit()
    return stored


async def test_old_rows_go_and_rows_still_needed_stay(
    engine: AsyncEngine, session: AsyncSession, world: World, clock: FrozenClock
) -> None:
    short = await _clinic(world, session, "Short", 30, 365)
    long = await _clinic(world, session, "Long", 3650, 3650)
    assert short.id is not None and long.id is not None
    patient: Patient = await world.patient(short)
    assert patient.id is not None
    staff: StaffMember = await world.staff(short)
    rows = Rows(engine, clock)
    gone_out, kept_out, gone_in, kept_in, gone_audit, kept_audit = (set[int]() for _ in range(6))

    # The outbox: a finished old row goes with its attempt; unsent rows, pages and recent rows stay.
    sent = await rows.outbound(short.id, OLD)
    gone_out.add(sent)
    attempt = await rows.attempt(sent)
    gone_out.add(await rows.outbound(short.id, OLD, status="gave_up"))
    kept_out.add(await rows.outbound(short.id, OLD, status="pending"))
    kept_out.add(await rows.outbound(short.id, OLD, status="sending"))
    kept_out.add(await rows.outbound(short.id, timedelta(days=29)))
    kept_out.add(await rows.outbound(long.id, OLD))
    kept_out.add(await rows.outbound(None, OLD))  # no clinic: the default two years
    gone_out.add(await rows.outbound(None, timedelta(days=DEFAULT_MESSAGE_RETENTION_DAYS + 1)))
    page = await rows.outbound(short.id, OLD)
    kept_out.add(page)  # an alert's page, resolved or not: the alert keeps its record
    resolved = await rows.alert(short.id, patient.id, "resolved", [])
    await rows._insert(AlertPage, alert_id=resolved, staff_id=staff.id, pass_no=1, step_index=0, target="sms",
                       message_id=page, paged_at=clock.now() - OLD)
    first = await rows.outbound(short.id, OLD, status="failed")
    retry = await rows.outbound(short.id, OLD, retry_of=first)
    gone_out.add(retry)
    kept_out.add(first)  # until its retry has gone: then the next run takes it

    # Inbound: handled and reviewed old messages go; unhandled, unreviewed and held ones stay.
    answered = await rows.inbound(short.id, OLD)
    gone_in.add(answered)
    checkin = await rows._insert(CheckIn, clinic_id=short.id, patient_id=patient.id, instrument="mood",
                                 instrument_version="1", source="sms", status="complete", flags=[],
                                 started_at=clock.now() - OLD, updated_at=clock.now() - OLD)
    answer = await rows._insert(Answer, checkin_id=checkin, patient_id=patient.id, question_key="mood", value=7,
                                source="sms", received_at=clock.now() - OLD, inbound_message_id=answered)
    gone_in.add(await rows.inbound(short.id, OLD, needs_review=True, reviewed_at=clock.now() - OLD))
    kept_in.add(await rows.inbound(short.id, OLD, status="received"))
    kept_in.add(await rows.inbound(short.id, OLD, status="failed"))
    kept_in.add(await rows.inbound(short.id, OLD, needs_review=True))
    kept_in.add(await rows.inbound(short.id, timedelta(days=29)))
    kept_in.add(await rows.inbound(long.id, OLD))
    held = await rows.inbound(short.id, OLD)
    kept_in.add(held)
    open_alert = await rows.alert(short.id, patient.id, "acknowledged", [{"reply_key": f"sms:{held}"}])
    was_held = await rows.inbound(short.id, OLD)
    gone_in.add(was_held)
    closed = await rows.alert(short.id, patient.id, "resolved", [{"reply_key": f"sms:{was_held}"}])

    # Audit rows: by the audit period; an unresolved alert's rows stay.
    gone_audit.add(await rows.audit(short.id, timedelta(days=366)))
    gone_audit.add(await rows.audit(short.id, timedelta(days=366), subject=f"alert:{closed}"))
    kept_audit.add(await rows.audit(short.id, timedelta(days=366), subject=f"alert:{open_alert}"))
    kept_audit.add(await rows.audit(short.id, OLD))
    kept_audit.add(await rows.audit(long.id, timedelta(days=366)))
    kept_audit.add(await rows.audit(None, timedelta(days=366)))
    gone_audit.add(await rows.audit(None, ANCIENT))

    deleted = await _purge_all(engine, clock)
    assert deleted == len(gone_out) + len(gone_in) + len(gone_audit)
    async with create_sessionmaker(engine)() as check:
        assert await _ids(check, OutboundMessage) == kept_out
        assert attempt not in await _ids(check, MessageAttempt)
        assert await _ids(check, InboundMessage) == kept_in
        assert await _ids(check, AuditEvent) == kept_audit
        kept_answer = await check.get(Answer, answer)
        assert kept_answer is not None and kept_answer.value == 7 and kept_answer.inbound_message_id is None

    # The retry has gone, so the row it retried goes on the next run; nothing else does.
    assert await _purge_all(engine, clock) == 1
    async with create_sessionmaker(engine)() as check:
        assert await _ids(check, OutboundMessage) == kept_out - {first}


async def test_a_batch_deletes_at_most_its_limit(
    engine: AsyncEngine, session: AsyncSession, world: World, clock: FrozenClock
) -> None:
    clinic = await _clinic(world, session, "Busy", 30, 365)
    rows = Rows(engine, clock)
    for _ in range(3):
        await rows.outbound(clinic.id, OLD)
        await rows.inbound(clinic.id, OLD)
        await rows.audit(clinic.id, timedelta(days=400))
    async with create_sessionmaker(engine)() as batch, batch.begin():
        counts = await purge_batch(batch, clock, 4)
    assert (counts.outbound, counts.inbound, counts.audit) == (3, 1, 0)
    assert await _purge_all(engine, clock, 2) == 5
    async with create_sessionmaker(engine)() as check:
        remaining = [await check.scalar(select(func.count()).select_from(table_of(m)))
                     for m in (OutboundMessage, InboundMessage, AuditEvent)]
    assert remaining == [0, 0, 0]


async def test_periods_default_and_are_edited_by_the_clinic_admin(
    client: AsyncClient, world: World, session: AsyncSession
) -> None:
    clinic = await world.clinic()
    headers = world.headers(await world.staff(clinic, "admin"))
    read = await client.get(f"/api/v1/clinics/{clinic.id}", headers=headers)
    assert read.json()["message_retention_days"] == DEFAULT_MESSAGE_RETENTION_DAYS
    assert read.json()["audit_retention_days"] == DEFAULT_AUDIT_RETENTION_DAYS
    ok = await client.patch(f"/api/v1/clinics/{clinic.id}", json={"message_retention_days": 90}, headers=headers)
    assert ok.status_code == 200 and ok.json()["message_retention_days"] == 90
    assert [p.message_days for p in await retention_periods(session) if p.clinic_id == clinic.id] == [90]
    for change in ({"message_retention_days": 7}, {"audit_retention_days": 30}, {"audit_retention_days": 99999}):
        bad = await client.patch(f"/api/v1/clinics/{clinic.id}", json=change, headers=headers)
        assert bad.status_code == 400, change

