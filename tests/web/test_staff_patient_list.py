"""The patient list in Debian's Chromium: search by name, filter by open alert severity and missed
check-ins, sort; the filter bar is labelled and axe finds nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from companion.models import Alert, Prompt
from tests.conftest import World
from tests.web.axe import assert_accessible
from tests.web.conftest import LiveServer
from tests.web.staff_browser import sign_in, staff_page

try:
    from playwright.async_api import expect
except ImportError:  # the browser fixture skips these tests with a reason
    pass

VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture
async def page(browser: Any) -> AsyncIterator[Any]:
    async with staff_page(browser, VIEWPORT) as page:
        yield page


async def test_a_clinician_finds_patients_by_name_alert_and_missed_check_ins(
    live_server: LiveServer, world: World, page: Any, artifacts: Path, session: AsyncSession,
) -> None:
    clinic = await world.clinic()
    clinician = await world.staff(clinic, "clinician", email="doc@example.org")
    now = datetime.now(UTC)
    rivera = await world.patient(clinic, reference="P-1", name="Alex Rivera", phone="+12025550111")
    chen = await world.patient(clinic, reference="P-2", name="Sam Chen", phone="+12025550112")
    await world.patient(clinic, reference="P-3", name="Jordan Patel", phone="+12025550113")
    session.add(Alert(clinic_id=clinic.id, patient_id=chen.id, kind="crisis", severity="urgent", status="open",
                      ack_code="K1", protocol_version="1", chain={}, findings=[], opened_at=now))
    session.add(Prompt(clinic_id=clinic.id, patient_id=rivera.id, instrument="mood", instrument_version="1",
                       slot="mood:x", status="expired", due_at=now - timedelta(days=2),
                       expires_at=now - timedelta(days=1)))
    await session.commit()

    await sign_in(page, live_server, clinician.email, "#/patients")
    references = page.locator(".patients-table tbody th a.patient-ref")
    await expect(references).to_have_text(["P-1", "P-2", "P-3"])
    await page.select_option("#patient-alert", "urgent")
    await expect(references).to_have_text(["P-2"])
    await page.select_option("#patient-alert", "")
    await page.select_option("#patient-missed", "true")
    await expect(references).to_have_text(["P-1"])
    await page.select_option("#patient-missed", "")
    await page.fill("#patient-search", "pat")
    await expect(references).to_have_text(["P-3"])
    await page.fill("#patient-search", "")
    await page.select_option("#patient-sort", "name")
    await expect(references).to_have_text(["P-1", "P-3", "P-2"])
    await assert_accessible(page)
    await page.screenshot(path=str(artifacts / "staff-patient-list.png"), full_page=True)
