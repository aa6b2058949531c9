"""Outcomes and the audit log in Debian's Chromium: an admin reads the clinic's outcomes (the
figures the API computes, charts with their tables), downloads the CSV (audited), finds that
download in the audit log; a clinician sees outcomes but not the audit log; axe finds nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.models import AuditEvent
from tests.conftest import World
from tests.reports.data import course
from tests.web.axe import assert_accessible
from tests.web.conftest import LiveServer
from tests.web.staff_browser import sign_in, staff_page

try:
    from playwright.async_api import expect
except ImportError:  # the browser fixture skips these tests with a reason
    pass

VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture
async def page(browser: Any) -> AsyncIterator[Any]:
    async with staff_page(browser, VIEWPORT) as page:
        yield page


async def test_an_admin_reads_outcomes_exports_them_and_finds_the_export_in_the_audit_log(
    live_server: LiveServer, world: World, page: Any, artifacts: Path, session: AsyncSession,
) -> None:
    clinic = await world.clinic()
    admin = await world.staff(clinic, "admin", email="head@example.org")
    first = await world.patient(clinic, reference="P-1", phone="+12025550111")
    second = await world.patient(clinic, reference="P-2", phone="+12025550112")
    await course(session, clinic, first, "iv", [20, 14, 8], answered=3, expired=1)
    await course(session, clinic, second, "oral", [12, 11], answered=1, expired=1)

    await sign_in(page, live_server, admin.email, "#/outcomes")
    await expect(page.locator("h1")).to_have_text("Outcomes")
    facts = page.locator(".outcomes-facts")
    await expect(facts).to_contain_text("50%")  # one responder of two followed up
    await expect(facts).to_contain_text("16 → 9.5 (-6.5)")
    await expect(page.locator("table").first).to_contain_text("IV infusion")
    await assert_accessible(page)
    await page.screenshot(path=str(artifacts / "staff-outcomes.png"), full_page=True)

    async with page.expect_download() as waiting:
        await page.click("#outcomes-export")
    download = await waiting.value
    assert download.suggested_filename == "outcomes.csv"
    text = await asyncio.to_thread(Path(await download.path()).read_text, encoding="utf-8")
    assert text.splitlines()[0].startswith("patient_reference,modality,baseline_phq9")
    assert [line.split(",")[0] for line in text.splitlines()[1:]] == ["P-1", "P-2"]
    events = (await session.execute(select(AuditEvent).where(AuditEvent.action == "outcomes.export"))).scalars()
    assert [e.actor for e in events] == [f"staff:{admin.id}"]

    await page.click("#nav-audit")
    await page.fill("#audit-action", "outcomes.")
    await page.click("#audit-filters button[type=submit]")
    rows = page.locator(".audit-table tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text(admin.name)
    await expect(rows.first).to_contain_text("outcomes.export")
    await assert_accessible(page)
    await page.screenshot(path=str(artifacts / "staff-audit-log.png"), full_page=True)


async def test_a_clinician_sees_outcomes_but_not_the_audit_log(
    live_server: LiveServer, world: World, page: Any,
) -> None:
    clinic = await world.clinic()
    clinician = await world.staff(clinic, "clinician", email="doc@example.org")
    await sign_in(page, live_server, clinician.email)
    await expect(page.locator("#nav-outcomes")).to_be_visible()
    await expect(page.locator("#nav-audit")).to_be_hidden()
    await page.click("#nav-outcomes")
    await expect(page.locator(".outcomes-facts")).to_contain_text("Patients")
