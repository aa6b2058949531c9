"""`companion worker`: the dispatcher and the inbound worker without the scheduler, as many as
wanted beside the one scheduler process; refused on SQLite with the reason."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import select

from companion.cli import main
from companion.models import InboundMessage, JobHeartbeat, OutboundMessage
from companion.settings import Settings
from jobs.context import JobContext
from jobs.scheduler import Workers
from tests.conftest import World
from tests.fakes.fake_twilio import FakeTwilio
from tests.messaging.conftest import CLINIC_NUMBER, INBOUND_URL, Sms

PHONE = "+12025550142"


async def _until(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_a_worker_handles_texts_and_sends_replies_and_runs_no_scheduled_job(
    ctx: JobContext, world: World, sms: Sms, fake: FakeTwilio
) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone=PHONE)
    workers = Workers.create(ctx, ticks=False)
    await workers.start()
    try:
        assert not workers.scheduler.running
        response = await fake.asend_inbound(INBOUND_URL, PHONE, CLINIC_NUMBER, "HELP", None, client=sms.client)
        assert response.status_code == 200, response.text

        async def handled() -> bool:
            async with ctx.sessionmaker() as session:
                rows = (await session.execute(select(InboundMessage.status))).scalars().all()
            return list(rows) == ["handled"]

        async def replied() -> bool:
            return bool(fake.messages_to(PHONE))

        await _until(handled)
        await _until(replied)
        assert "988" in fake.messages_to(PHONE)[-1].body  # the HELP reply, sent by this worker's dispatcher
        async with ctx.sessionmaker() as session:
            beats = (await session.execute(select(JobHeartbeat.job_id))).scalars().all()
        assert list(beats) == []  # no tick ran: those are the scheduler's
    finally:
        await workers.shutdown()


def test_a_worker_on_sqlite_is_refused_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(database_url="sqlite+aiosqlite:///worker.db", secret_key="worker-test-secret-key-0123456789-ab")
    monkeypatch.setattr("companion.cli.get_settings", lambda: settings)
    assert main(["worker"]) == 2
    assert "PostgreSQL" in capsys.readouterr().err


async def test_a_worker_with_only_inbound_handles_texts_and_leaves_the_sending_to_a_dispatcher(
    ctx: JobContext, world: World, sms: Sms, fake: FakeTwilio
) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone=PHONE)
    inbound_only = Workers.create(ctx, ticks=False, roles=frozenset({"inbound"}))
    await inbound_only.start()
    try:
        assert inbound_only.loop_task is None and inbound_only.inbound_tasks
        await fake.asend_inbound(INBOUND_URL, PHONE, CLINIC_NUMBER, "HELP", None, client=sms.client)

        async def queued() -> bool:
            async with ctx.sessionmaker() as session:
                return list((await session.execute(select(OutboundMessage.status))).scalars()) == ["pending"]

        await _until(queued)
        await asyncio.sleep(0.3)
        assert not fake.messages_to(PHONE)  # nobody here sends
    finally:
        await inbound_only.shutdown()
    dispatch_only = Workers.create(ctx, ticks=False, roles=frozenset({"dispatch"}))
    await dispatch_only.start()
    try:
        assert dispatch_only.loop_task is not None and not dispatch_only.inbound_tasks

        async def replied() -> bool:
            return bool(fake.messages_to(PHONE))

        await _until(replied)
    finally:
        await dispatch_only.shutdown()


def test_a_worker_is_told_what_it_may_run(ctx: JobContext, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="dispatch and/or inbound, not reminders"):
        Workers.create(ctx, ticks=False, roles=frozenset({"reminders"}))
    with pytest.raises(SystemExit):
        main(["worker", "--only", "reminders"])
    assert "give inbound, dispatch, or inbound,dispatch" in capsys.readouterr().err
