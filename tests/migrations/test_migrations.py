"""The migrations build the schema from empty on both databases, and agree with the models."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from companion.db import create_engine, metadata
from companion.migrate import downgrade, head_revision, upgrade
from companion.settings import Settings
from tests.conftest import World


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def _diff(connection: Connection) -> list[object]:
    return compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)


async def _run(settings: Settings, fn):  # type: ignore[no-untyped-def]
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(fn)
    finally:
        await engine.dispose()


async def test_base_to_head_to_base_and_back(settings: Settings) -> None:
    await asyncio.to_thread(downgrade, settings.database_url, "base")
    assert await _run(settings, _tables) == set()
    await asyncio.to_thread(upgrade, settings.database_url, "head")
    assert await _run(settings, _tables) == {t.name for t in metadata.sorted_tables}
    await asyncio.to_thread(downgrade, settings.database_url, "base")
    assert await _run(settings, _tables) == set()
    await asyncio.to_thread(upgrade, settings.database_url, "head")


async def test_models_and_migrations_agree(settings: Settings) -> None:
    assert await _run(settings, _diff) == []


def test_single_head() -> None:
    assert head_revision() is not None


async def test_token_versions_start_at_zero_for_rows_stored_before_them(
    settings: Settings, engine: AsyncEngine, world: World
) -> None:
    clinic = await world.clinic()
    await world.staff(clinic)
    await world.patient(clinic)
    await engine.dispose()
    await asyncio.to_thread(downgrade, settings.database_url, "7cc8c7d6e716")
    await asyncio.to_thread(upgrade, settings.database_url, "head")
    async with engine.connect() as conn:
        staff = (await conn.execute(text("SELECT token_version FROM staff_member"))).scalars().all()
        patients = (await conn.execute(text("SELECT token_version FROM patient"))).scalars().all()
    assert (list(staff), list(patients)) == ([0], [0])


async def test_patients_stored_before_pending_keep_their_consent_and_a_downgrade_keeps_pending_ones_quiet(
    settings: Settings, engine: AsyncEngine, world: World
) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, reference="P-1", phone="+12025550101")
    await world.patient(clinic, reference="P-2", phone="+12025550102", sms_consent="pending")
    await engine.dispose()
    await asyncio.to_thread(downgrade, settings.database_url, "w3bpush0sub1")
    async with engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT reference, sms_consent, sms_consent_source FROM patient ORDER BY reference"))).all()
    # The earlier code knows no pending: opted out is where it sends nothing routine and YES opts in.
    assert [tuple(r) for r in rows] == [("P-1", "opted_in", "sms:YES"), ("P-2", "opted_out", "downgrade:pending")]
    await engine.dispose()
    await asyncio.to_thread(upgrade, settings.database_url, "head")
    async with engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT reference, sms_consent, sms_welcome_sent_at FROM patient ORDER BY reference"))).all()
    assert [tuple(r) for r in rows] == [("P-1", "opted_in", None), ("P-2", "opted_out", None)]
