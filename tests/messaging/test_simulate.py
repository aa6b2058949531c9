"""`companion sms simulate` posts a correctly signed message to a running companion."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from companion.app import create_app
from companion.cli import main
from companion.clinical import texts
from companion.messaging.simulate import simulate
from companion.models import InboundMessage
from companion.settings import Settings
from tests.conftest import World
from tests.live import free_port, serving


@pytest.fixture
def running(migrated: str, engine: AsyncEngine) -> Iterator[Settings]:
    """`companion serve` in a thread; the database is cleaned (``engine``) before its jobs start."""
    port = free_port()
    settings = Settings(database_url=migrated, secret_key="simulate-secret-key-0123456789-abcde",
                        public_base_url=f"http://127.0.0.1:{port}")
    # As `companion serve` runs it: the API with the workers in process.
    with serving(create_app(settings, run_workers=True), port):
        yield settings


async def test_simulated_message_is_signed_stored_and_answered(
    running: Settings, world: World, session: AsyncSession
) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone="+12025550142")
    result = await asyncio.to_thread(simulate, running, "+12025550142", "HELP")
    assert result.status_code == 200
    assert len(result.replies) == 1 and texts.NOT_EMERGENCY in result.replies[0]
    stored = (await session.execute(select(InboundMessage))).scalar_one()
    assert (stored.sender_kind, stored.keyword) == ("patient", "help")


async def test_a_wrong_key_is_refused(running: Settings, world: World) -> None:
    wrong = running.model_copy(update={"secret_key": "some-other-secret-key-0123456789-abcd"})
    result = await asyncio.to_thread(simulate, wrong, "+12025550142", "hi")
    assert result.status_code == 403


async def test_the_command_prints_the_reply(
    running: Settings, world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("companion.cli.get_settings", lambda: running)
    code = await asyncio.to_thread(main, ["sms", "simulate", "--from", "(202) 555-0177", "hello"])
    assert code == 0
    assert texts.UNKNOWN_SENDER in capsys.readouterr().out
