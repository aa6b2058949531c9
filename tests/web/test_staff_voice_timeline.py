"""The dashboard's alert timeline in Debian's Chromium shows a voice page with the person's name,
"voice" and its call status, beside the same step's text page with its delivery status."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from companion.models import Alert, AlertPage, AuditEvent, OutboundMessage
from tests.conftest import World
from tests.web.conftest import LiveServer
from tests.web.staff_browser import sign_in, staff_page

try:
    from playwright.async_api import expect
except ImportError:  # the browser fixture skips these tests with a reason
    pass

ON_CALL_PHONE = "+12025550181"


@pytest.fixture
async def page(browser: Any) -> AsyncIterator[Any]:
    async with staff_page(browser, {"width": 1280, "height": 800}) as page:
        yield page


async def test_the_timeline_shows_a_voice_page_with_its_person_and_call_status(
    live_server: LiveServer, world: World, page: Any, session: AsyncSession
) -> None:
    clinic = await world.clinic(timezone="America/New_York")
    on_call = await world.staff(clinic, "clinician", email="clinician@demo.clinic", phone=ON_CALL_PHONE)
    patient = await world.patient(clinic, reference="P-1042", phone="+12025550142")
    at = datetime.now(UTC) - timedelta(minutes=3)
    alert = Alert(clinic_id=clinic.id or 0, patient_id=patient.id or 0, kind="crisis", severity="urgent",
                  status="open", ack_code="4821", protocol_version="test", opened_at=at, pass_no=1, step_index=0)
    session.add(alert)
    await session.flush()
    rows = {channel: OutboundMessage(
        clinic_id=clinic.id, staff_id=on_call.id, to_phone=ON_CALL_PHONE, purpose="staff_page", body=body,
        priority=0, status=status, due_at=at, sent_at=at, channel=channel, provider_sid=f"{channel}-sid",
    ) for channel, body, status in (("sms", "Urgent alert for patient P-1042. Reply ACK 4821", "delivered"),
                                    ("voice", "Urgent alert from the companion for patient P 1 0 4 2.", "no-answer"))}
    session.add_all(rows.values())
    await session.flush()
    session.add(AlertPage(alert_id=alert.id or 0, staff_id=on_call.id or 0, pass_no=1, step_index=0,
                          target="oncall:on_call_clinician", paged_at=at, message_id=rows["sms"].id,
                          call_message_id=rows["voice"].id))
    session.add(AuditEvent(at=at, actor="system:escalation", action="alert.step", subject=f"alert:{alert.id}",
                           clinic_id=clinic.id, detail={"pass": 1, "step": 0, "paged_staff": [on_call.id],
                                                        "targets": ["oncall:on_call_clinician"], "unreached": [],
                                                        "fallback": False, "via": "both"}))
    await session.commit()

    await sign_in(page, live_server, "clinician@demo.clinic")
    card = page.locator(f"#alert-{alert.id}")
    await card.wait_for()
    await card.locator(".alert-timeline summary").click()
    timeline = card.locator(f"#alert-{alert.id}-timeline .timeline")
    await timeline.wait_for()
    pages = timeline.locator(".timeline-page")
    await expect(pages).to_have_count(2)
    text_page, voice_page = await pages.nth(0).inner_text(), await pages.nth(1).inner_text()
    assert f"Page to {on_call.name} (pass 1, step 1)" in text_page and "· SMS" in text_page
    assert text_page.endswith("· delivered")
    assert f"Voice page to {on_call.name} (pass 1, step 1)" in voice_page and "· voice" in voice_page
    assert voice_page.endswith("· no answer") and "no-answer" not in voice_page
    step = await timeline.locator(".timeline-step").inner_text()
    assert f"paged {on_call.name} by SMS and voice call" in step
