"""The patient's record in Debian's Chromium: a check-in opens to every question in its wording with
the answer, the PHQ-9 chart shades its bands and marks the response, and a session is corrected (a
date far from today asks to be confirmed first) and cancelled; axe finds nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.db import create_sessionmaker
from companion.models import Answer, CheckIn, TreatmentSession
from tests.conftest import World
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


async def test_a_clinician_reads_every_answer_sees_the_response_and_corrects_and_cancels_sessions(
    live_server: LiveServer, world: World, page: Any, artifacts: Path, session: AsyncSession,
) -> None:
    clinic = await world.clinic()
    clinician = await world.staff(clinic, "clinician", email="doc@example.org")
    patient = await world.patient(clinic)
    now = datetime.now(UTC).replace(microsecond=0)
    first = TreatmentSession(patient_id=patient.id, clinic_id=clinic.id, modality="iv",
                             started_at=now - timedelta(days=20), ended_at=now - timedelta(days=20, hours=-2))
    second = TreatmentSession(patient_id=patient.id, clinic_id=clinic.id, modality="iv",
                              started_at=now - timedelta(days=6), ended_at=now - timedelta(days=6, hours=-2))
    session.add_all([first, second])
    for days_ago, total in ((24, 18), (12, 12), (3, 8)):
        at = now - timedelta(days=days_ago)
        checkin = CheckIn(clinic_id=clinic.id, patient_id=patient.id, instrument="phq9", instrument_version="1",
                          source="sms", status="complete", started_at=at, updated_at=at, completed_at=at, total=total,
                          band="mild", flags={})
        session.add(checkin)
        await session.flush()
        for n in range(1, 10):
            session.add(Answer(checkin_id=checkin.id, patient_id=patient.id, question_key=f"phq9_{n}",
                               value=1 if n < 9 else 0, source="sms", received_at=at))
    await session.commit()

    await sign_in(page, live_server, clinician.email, f"#/patients/{patient.id}")
    chart = page.locator("svg[data-chart=phq9]")
    await expect(chart.locator("rect.band")).to_have_count(5)
    await expect(chart.locator("circle.point-response")).to_have_count(1)
    await expect(chart.locator("circle.point-response")).to_have_attribute("data-value", "8")
    await expect(page.locator("figure[data-instrument=phq9] figcaption")).to_contain_text("a response from")

    newest = page.locator(".checkins-table tbody tr").first
    await newest.get_by_role("button", name="Answers").click()
    answers = page.locator(".checkin-answers .patient-answer")
    await expect(answers).to_have_count(9)
    await expect(answers.first).to_contain_text("Little interest or pleasure in doing things")
    await assert_accessible(page)
    await page.screenshot(path=str(artifacts / "staff-patient-record.png"), full_page=True)

    # correct the newer session's start to a date a year out: confirmed first, then saved
    await page.click(f"#session-{second.id}-edit-open")
    far = (now + timedelta(days=365)).astimezone(UTC)
    await page.fill(f"#session-{second.id}-edit-started", far.strftime("%Y-%m-%dT09:00"))
    await page.fill(f"#session-{second.id}-edit-ended", "")
    await page.click(f"#session-{second.id}-edit-submit")
    await expect(page.locator(f"#session-{second.id}-edit-far-date")).to_contain_text("days from today")
    await expect(page.locator(f"#session-{second.id}-edit-submit")).to_have_text("Save anyway")
    await assert_accessible(page)
    await page.fill(f"#session-{second.id}-edit-started", (now - timedelta(days=5)).strftime("%Y-%m-%dT09:00"))
    await page.click(f"#session-{second.id}-edit-submit")  # near today: no question asked
    await expect(page.locator(f"#session-{second.id}-edit-form")).to_have_count(0)

    await page.click(f"#session-{first.id}-cancel")
    await page.click(f"#session-{first.id}-cancel-yes")
    await expect(page.locator(f"[data-session-id='{first.id}'] .status-chip-cancelled")).to_be_visible()
    async with create_sessionmaker(world.engine)() as check:
        rows = {s.id: s for s in (await check.execute(select(TreatmentSession))).scalars()}
    assert rows[first.id].cancelled_at is not None
    assert rows[second.id].started_at.date() == (now - timedelta(days=5)).date()

