"""ProtocolSource over stored versions: each clinic its own active version, the seed file for a
clinic without one, a version that does not load never replacing the last good one, and a new
version seen without a restart (docs/protocol.md)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from companion.protocols import DEFAULT_PROTOCOL_FILE, ProtocolSource, default_protocol
from tests.conftest import World
from tests.protocols.stored import labelled, store


async def test_each_clinic_uses_its_own_active_version_and_the_others_the_seed(
    session: AsyncSession, world: World
) -> None:
    north, south, east = await world.clinic("North"), await world.clinic("South"), await world.clinic("East")
    await store(session, north, labelled("north-1"))
    await store(session, south, labelled("south-1"))
    second = await store(session, south, labelled("south-2"))
    source = ProtocolSource.from_file(DEFAULT_PROTOCOL_FILE)
    assert (await source.for_clinic(session, north.id or 0)).version == "north-1"
    south_protocol = await source.for_clinic(session, south.id or 0)
    assert (south_protocol.version, south_protocol.stored_id) == ("south-2", second.id)
    assert await source.for_clinic(session, east.id or 0) == default_protocol()  # the seed file's
    assert set(await source.stored(session)) == {north.id, south.id}
    assert source.status() == (True, "2 clinic(s) on their stored version; seed file for the others: "
                                     "version default-2026.1 in use")


async def test_a_version_activated_elsewhere_is_used_within_the_refresh_interval(
    session: AsyncSession, world: World
) -> None:
    clinic = await world.clinic()
    await store(session, clinic, labelled("v1"))
    source = ProtocolSource.from_file(DEFAULT_PROTOCOL_FILE, refresh_seconds=0.2)
    assert (await source.for_clinic(session, clinic.id or 0)).version == "v1"
    await store(session, clinic, labelled("v2"))  # as another process would
    await asyncio.sleep(0.25)
    assert (await source.for_clinic(session, clinic.id or 0)).version == "v2"
    await store(session, clinic, labelled("v3"))
    source.invalidate()  # activated in this process: used at once
    assert (await source.for_clinic(session, clinic.id or 0)).version == "v3"


async def test_an_active_version_that_does_not_load_keeps_the_last_good_one(
    session: AsyncSession, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    clinic = await world.clinic()
    good = await store(session, clinic, labelled("good-1"))
    source = ProtocolSource.from_file(DEFAULT_PROTOCOL_FILE, refresh_seconds=0)
    assert (await source.for_clinic(session, clinic.id or 0)).version == "good-1"
    await store(session, clinic, labelled("bad-2").replace("[[rules]]", "[[rules]\n", 1))
    for _ in range(3):
        protocol = await source.for_clinic(session, clinic.id or 0)
        assert (protocol.version, protocol.stored_id) == ("good-1", good.id)
    assert caplog.text.count("does not load") == 1  # once per version, not per message
    ok, line = source.status()
    assert not ok and f"clinic {clinic.id}: the active version does not load (not valid TOML" in line
    assert "); version good-1 stays in use" in line
    # A process started after the bad version was activated falls back to the newest earlier version.
    fresh = ProtocolSource.from_file(DEFAULT_PROTOCOL_FILE)
    assert (await fresh.for_clinic(session, clinic.id or 0)).version == "good-1"
    assert not fresh.status()[0]
    # Mended by activating a good version again.
    await store(session, clinic, labelled("good-3"))
    assert (await source.for_clinic(session, clinic.id or 0)).version == "good-3"
    assert source.status()[0]


async def test_with_no_version_that_loads_the_built_in_default_is_used(session: AsyncSession, world: World) -> None:
    clinic = await world.clinic()
    only = await store(session, clinic, labelled("fine-1"))
    await session.execute(text("UPDATE protocol_version SET text = 'version = 7' WHERE id = :id"), {"id": only.id})
    await session.commit()
    source = ProtocolSource.from_file(DEFAULT_PROTOCOL_FILE)
    assert await source.for_clinic(session, clinic.id or 0) == default_protocol()
    ok, line = await source.check(session)
    assert not ok and "the built-in default default-2026.1 stays in use" in line
