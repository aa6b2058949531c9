"""A version activated in one process is used by another within seconds, without a restart."""

from __future__ import annotations

import asyncio
import sys

from sqlalchemy.ext.asyncio import AsyncSession

from companion.settings import Settings
from tests.conftest import World
from tests.protocols.stored import labelled, store

WITHIN_SECONDS = 5.0


async def _next_line(process: asyncio.subprocess.Process, within: float) -> str:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), within)
    return line.decode().strip()


async def test_another_process_sees_a_new_version_within_seconds(
    session: AsyncSession, world: World, settings: Settings
) -> None:
    clinic = await world.clinic()
    await store(session, clinic, labelled("first"))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.protocols.watch_version", settings.database_url, str(clinic.id), "60",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert await _next_line(process, 30) == "first"
        await store(session, clinic, labelled("second"))
        assert await _next_line(process, WITHIN_SECONDS) == "second"
    finally:
        process.kill()
        await process.wait()
