"""The staff dashboard in Debian's Chromium: a clinician acknowledges and resolves an alert raised by an
SMS reply; roles limit what the page offers (and the API's refusal is explained); a treatment session
recorded from the timeline appears on its chart. Each step leaves a screenshot in the test artefacts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.messaging.simulate import simulate
from companion.models import Alert, CheckIn, Clinic, Patient, StaffMember, TreatmentSession
from tests.conftest import PASSWORD, World
from tests.web.axe import assert_accessible
from tests.web.conftest import LiveServer
from tests.web.staff_browser import sign_in, staff_page

try:
    from playwright.async_api import expect
except ImportError:  # the browser fixture skips these tests with a reason
    pass

ON_CALL_PHONE = "+12025550181"
BACKUP_PHONE = "+12025550182"
PATIENT_PHONE = "+12025550142"
CLINIC_ZONE = "America/New_York"
VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture
async def page(browser: Any) -> AsyncIterator[Any]:
    async with staff_page(browser, VIEWPORT) as page:
        yield page


async def _shot(page: Any, artifacts: Path, name: str) -> None:
    """The page as it stands, saved, and checked by axe (WCAG 2.1 A and AA: no violation)."""
    await page.screenshot(path=str(artifacts / f"staff-dashboard-{name}.png"), full_page=True)
    await assert_accessible(page)


async def _team(world: World) -> tuple[Clinic, StaffMember, StaffMember, Patient]:
    """The default protocol pages clinician@demo.clinic (on call) and admin@demo.clinic (backup)."""
    clinic = await world.clinic(timezone=CLINIC_ZONE)
    on_call = await world.staff(clinic, "clinician", email="clinician@demo.clinic", phone=ON_CALL_PHONE)
    backup = await world.staff(clinic, "admin", email="admin@demo.clinic", phone=BACKUP_PHONE)
    patient = await world.patient(clinic, reference="P-1042", phone=PATIENT_PHONE)
    return clinic, on_call, backup, patient


async def _fresh(session: AsyncSession, model: Any, *where: Any) -> list[Any]:
    query = select(model).where(*where).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def test_a_clinician_acknowledges_and_resolves_an_alert_raised_by_an_sms_reply(
    live_server: LiveServer, world: World, browser: Any, page: Any, artifacts: Path, session: AsyncSession
) -> None:
    clinic, on_call, _backup, patient = await _team(world)
    # An older high alert for another patient: the urgent one must still come first.
    other = await world.patient(clinic, reference="P-2077", phone="+12025550177")
    session.add(Alert(
        clinic_id=clinic.id or 0, patient_id=other.id or 0, kind="same_day", severity="high", status="open",
        ack_code="5150", protocol_version="test", opened_at=datetime.now(UTC) - timedelta(hours=2),
    ))
    await session.commit()

    await page.clock.install()
    await page.goto(f"{live_server.url}/staff/")
    await page.wait_for_selector("#signin-email")
    assert await page.title() == "Sign in · Companion staff"
    await _shot(page, artifacts, "01-sign-in")
    await page.fill("#signin-email", "clinician@demo.clinic")
    await page.fill("#signin-password", PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_selector(".alert-list article[data-severity='high']")
    assert await page.locator(".alert-list > li").count() == 1

    # The patient replies by SMS; the open list picks the alert up on its next refresh.
    reply = await asyncio.to_thread(simulate, live_server.settings, PATIENT_PHONE, "i am going to kill myself tonight")
    assert reply.status_code == 200
    [raised] = await _fresh(session, Alert, Alert.patient_id == patient.id)
    assert (raised.severity, raised.kind, raised.status) == ("urgent", "crisis", "open")
    assert raised.safety_reply_at is not None
    await page.clock.fast_forward(15_500)
    await page.wait_for_selector(f"#alert-{raised.id}")

    first = page.locator(".alert-list > li").first.locator("article")
    assert await page.locator(".alert-list > li").count() == 2
    assert await first.get_attribute("data-severity") == "urgent"
    assert await first.get_attribute("id") == f"alert-{raised.id}"
    assert "Urgent" in (await first.locator(".sev-badge").text_content() or "")
    assert "P-1042" in await first.locator(".alert-title").inner_text()
    age = await first.locator(".alert-age").inner_text()
    assert age == "just now" or age.endswith("min ago"), age
    assert (await first.locator(".alert-step").inner_text()).startswith("Pass 1, step 1")
    assert "Risk language" in await first.locator(".findings").inner_text()
    # Under the findings, what the patient wrote, quoted as sent.
    words = first.locator(f"#alert-{raised.id}-evidence .patient-words blockquote")
    await expect(words).to_have_text("“i am going to kill myself tonight”")
    second = page.locator(".alert-list > li").nth(1).locator("article")
    assert await second.get_attribute("data-severity") == "high"
    assert await second.locator(".alert-age").inner_text() == "2 h ago"
    # Times are the clinic's, not the browser's (Berlin).
    clinic_now = datetime.now(ZoneInfo(CLINIC_ZONE))
    assert await page.locator("#clinic-clock").inner_text() in {
        f"Clinic time {clinic_now + timedelta(minutes=delta):%H:%M} {name}"
        for delta in (-1, 0, 1) for name in ("EST", "EDT")
    }
    title = await page.title()
    assert title == "(2) Alerts · Companion staff" and "P-1042" not in title and "#/alerts" in page.url
    await _shot(page, artifacts, "02-open-alerts")

    await first.locator(f"#ack-{raised.id}").click()
    await page.wait_for_selector(f"#alert-{raised.id}[data-status='acknowledged']")
    first = page.locator(f"#alert-{raised.id}")
    assert await first.locator(".status-chip").inner_text() == "Acknowledged"
    assert "by you" in await first.locator(".alert-facts").inner_text()
    # Focus moves to the note; resolving is refused until there is one.
    assert await page.evaluate("document.activeElement.id") == f"note-{raised.id}"
    resolve = first.locator(f"#resolve-{raised.id}")
    assert await resolve.is_disabled()
    await page.keyboard.type("ok")
    assert await resolve.is_disabled()
    # A refresh underneath keeps what is being typed and where.
    before = await page.locator("#alerts-updated").inner_text()
    await page.clock.fast_forward(15_500)
    await expect(page.locator("#alerts-updated")).not_to_have_text(before)
    assert await page.locator(f"#note-{raised.id}").input_value() == "ok"
    assert await page.evaluate("document.activeElement.id") == f"note-{raised.id}"
    await _shot(page, artifacts, "03-acknowledged")
    await page.fill(f"#note-{raised.id}", "Called the patient; safe with family tonight; crisis plan reviewed.")
    assert await resolve.is_enabled()
    await _shot(page, artifacts, "04-resolution-note")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == f"resolve-{raised.id}"
    await page.keyboard.press("Enter")
    await page.wait_for_selector(f"#alert-{raised.id}", state="detached")
    assert await page.locator(".alert-list > li").count() == 1
    assert await page.locator(".alert-list article").get_attribute("data-severity") == "high"
    await expect(page).to_have_title("(1) Alerts · Companion staff")
    await _shot(page, artifacts, "05-resolved-left-the-list")

    await page.click("button[data-filter='resolved']")
    done = page.locator(f"#alert-{raised.id}")
    await done.wait_for()
    assert "crisis plan reviewed" in await done.locator(".resolution-note").inner_text()
    await _shot(page, artifacts, "06-resolved-list")
    # Its timeline, opened from the card: what raised it, each page, the acknowledgement and resolution by name.
    await done.locator(".alert-timeline summary").click()
    timeline = done.locator(f"#alert-{raised.id}-timeline .timeline")
    await timeline.wait_for()
    text = await timeline.inner_text()
    assert "Raised: urgent, crisis chain" in text and "Page to" in text
    assert f"Acknowledged by {on_call.name}" in text and f"Resolved by {on_call.name}" in text, text
    await expect(timeline.locator(".timeline-finding .patient-words").first).to_contain_text(
        "i am going to kill myself tonight")
    await _shot(page, artifacts, "07-alert-timeline")

    [stored] = await _fresh(session, Alert, Alert.id == raised.id)
    assert stored.status == "resolved"
    assert stored.resolution_note == "Called the patient; safe with family tonight; crisis plan reviewed."
    assert stored.resolved_by == on_call.id and stored.acknowledged_by == on_call.id
    assert stored.escalation_end_reason == "acknowledged" and stored.next_step_at is None


async def test_roles_limit_the_page_and_a_refusal_is_explained(
    live_server: LiveServer, world: World, browser: Any, page: Any, artifacts: Path, session: AsyncSession
) -> None:
    clinic, on_call, _backup, patient = await _team(world)
    await world.staff(clinic, "staff", email="frontdesk@demo.clinic")

    await sign_in(page, live_server, "frontdesk@demo.clinic", f"#/patients/{patient.id}")
    await page.wait_for_selector("#record-not-allowed")
    assert await page.locator("#session-form").count() == 0
    assert "clinician or admin" in await page.locator("#record-not-allowed").inner_text()
    assert await page.locator("#nav-team").is_hidden()
    assert "Pat Example" not in await page.title() and page.url.endswith(f"#/patients/{patient.id}")
    await _shot(page, artifacts, "07-staff-role-timeline")

    # An admin-only page reached by its address: the API says no, the page explains.
    await page.evaluate("window.location.hash = '#/team'")
    error = page.locator("#team-error")
    await error.wait_for()
    text = await error.inner_text()
    assert "permission" in text and "admin" in text
    await _shot(page, artifacts, "08-staff-role-refused")

    # A session that is no longer valid goes back to sign-in with a message.
    await page.evaluate(
        "() => { const k = 'companion.staff.session'; const s = JSON.parse(sessionStorage.getItem(k));"
        " s.token = 'forged.token'; sessionStorage.setItem(k, JSON.stringify(s)); }"
    )
    await page.click("[data-nav='patients']")
    await page.wait_for_selector("#signin-email")
    assert "session has ended" in await page.locator("#signin-message").inner_text()
    assert await page.locator("#topbar").is_hidden()

    # A clinician whose role is withdrawn while signed in: the form is refused and says why.
    await page.fill("#signin-email", "clinician@demo.clinic")
    await page.fill("#signin-password", PASSWORD)
    await page.click("#signin-submit")
    await page.wait_for_selector("#topbar:not([hidden])")
    await page.evaluate(f"window.location.hash = '#/patients/{patient.id}'")
    await page.wait_for_selector("#session-form")
    [member] = await _fresh(session, StaffMember, StaffMember.id == on_call.id)
    member.role = "staff"
    await session.commit()
    await page.select_option("#session-modality", "iv")
    await page.click("#session-submit")
    refusal = page.locator("#session-message .notice-error")
    await refusal.wait_for()
    text = await refusal.inner_text()
    assert "permission" in text and "clinician" in text
    assert await page.locator("#session-modality").input_value() == "iv"  # what was typed is kept
    await _shot(page, artifacts, "09-refused-session")
    assert await _fresh(session, TreatmentSession, TreatmentSession.patient_id == patient.id) == []

    await page.click("#sign-out")
    await page.wait_for_selector("#signin-email")
    assert await page.evaluate("sessionStorage.getItem('companion.staff.session')") is None


async def test_a_session_recorded_from_the_timeline_is_marked_on_the_mood_chart(
    live_server: LiveServer, world: World, browser: Any, page: Any, artifacts: Path, session: AsyncSession
) -> None:
    clinic, on_call, _backup, patient = await _team(world)
    now = datetime.now(UTC)
    zone = ZoneInfo(CLINIC_ZONE)
    earlier = now - timedelta(days=9)
    session.add(TreatmentSession(
        patient_id=patient.id or 0, clinic_id=clinic.id or 0, modality="intranasal", started_at=earlier,
        ended_at=earlier + timedelta(hours=2), dose_mg=84, recorded_by=on_call.id,
    ))
    moods = [6, 7, 5, 6, 7, 4, 6, 2]
    for index, value in enumerate(moods):
        at = now - timedelta(days=len(moods) - index, hours=-1)
        session.add(CheckIn(
            clinic_id=clinic.id or 0, patient_id=patient.id or 0, instrument="mood", instrument_version="1",
            source="sms", status="complete", started_at=at, updated_at=at, completed_at=at, total=value,
        ))
    await session.commit()

    await sign_in(page, live_server, "clinician@demo.clinic")
    await page.click("[data-nav='patients']")
    row = page.locator(f"tr[data-patient-id='{patient.id}']")
    await row.wait_for()
    assert "2" in await row.locator(".cell-mood").inner_text()
    assert await row.locator(".sparkline").get_attribute("aria-label") == (
        "Last 7 moods: 7, 5, 6, 7, 4, 6, 2; baseline 6"
    )
    await _shot(page, artifacts, "10-patients")
    await row.locator("a.patient-ref").click()

    chart = page.locator("svg.timeline-chart")
    await chart.wait_for()
    assert await chart.locator(".mood-point").count() == len(moods)
    assert await chart.locator(".session-mark").count() == 1
    assert await chart.locator(".mood-point-low").count() == 1
    assert await page.locator("#session-form").is_visible()
    await _shot(page, artifacts, "11-timeline")

    day = (now.astimezone(zone) - timedelta(days=1)).date()
    await page.select_option("#session-modality", "iv")
    await page.fill("#session-started", f"{day:%Y-%m-%d}T09:30")
    await page.fill("#session-ended", f"{day:%Y-%m-%d}T11:10")
    await page.fill("#session-dose", "35")
    await page.fill("#session-location", "Room 2")
    await _shot(page, artifacts, "12-record-session")
    await page.click("#session-submit")
    await page.wait_for_selector("#session-recorded")
    assert "IV infusion session" in await page.locator("#session-recorded").inner_text()
    await expect(page.locator("svg.timeline-chart .session-mark")).to_have_count(2)
    assert await page.evaluate("document.activeElement.id") == "session-recorded"
    assert await page.locator(".session-list li").count() == 2
    await _shot(page, artifacts, "13-session-recorded")

    recorded = [s for s in await _fresh(session, TreatmentSession, TreatmentSession.patient_id == patient.id)
                if s.modality == "iv"]
    assert len(recorded) == 1
    started = datetime.combine(day, datetime.min.time().replace(hour=9, minute=30), tzinfo=zone)
    assert recorded[0].started_at == started.astimezone(UTC)
    assert recorded[0].ended_at == (started + timedelta(minutes=100)).astimezone(UTC)
    assert (recorded[0].dose_mg, recorded[0].location, recorded[0].recorded_by) == (35.0, "Room 2", on_call.id)


async def test_the_front_desk_is_not_offered_what_the_protocol_keeps_for_clinicians(
    live_server: LiveServer, world: World, page: Any, artifacts: Path, session: AsyncSession
) -> None:
    """An unpaged non-clinical member sees the urgent alert but no Acknowledge or Resolve, and is
    told who may; a routine alert they may resolve keeps its form."""
    clinic, _on_call, _backup, patient = await _team(world)
    await world.staff(clinic, "staff", email="frontdesk@demo.clinic")
    urgent = Alert(clinic_id=clinic.id or 0, patient_id=patient.id or 0, kind="crisis", severity="urgent",
                   status="open", ack_code="4821", protocol_version="test", opened_at=datetime.now(UTC))
    routine = Alert(clinic_id=clinic.id or 0, patient_id=patient.id or 0, kind="routine", severity="routine",
                    status="open", ack_code="7070", protocol_version="test", opened_at=datetime.now(UTC))
    session.add_all([urgent, routine])
    await session.commit()

    await sign_in(page, live_server, "frontdesk@demo.clinic")
    await page.wait_for_selector(f"#alert-{urgent.id}-permission")
    assert await page.locator(f"#ack-{urgent.id}").count() == 0
    assert await page.locator(f"#resolve-{urgent.id}").count() == 0
    note = await page.locator(f"#alert-{urgent.id}-permission").inner_text()
    assert note == ("Only someone paged for it, a clinician or an admin may acknowledge an urgent alert. "
                    "Only a clinician or an admin may resolve an urgent alert.")
    assert await page.locator(f"#resolve-{routine.id}").count() == 1
    assert await page.locator(f"#alert-{routine.id}-permission").count() == 0
    await _shot(page, artifacts, "10-front-desk-alerts")
