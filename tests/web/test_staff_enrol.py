"""Enrolling and managing a patient in Debian's Chromium: the enrol form shows the API's words next
to each field and keeps what was typed; the new patient is pending until they text YES (through
the signed webhook); the welcome is resent once; then the record is edited, paused, resumed and
discharged after a confirmation. Each step leaves a screenshot in the test artefacts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from companion.clock import Clock
from companion.conversations.router import Conversations
from companion.db import create_sessionmaker
from companion.messaging.inbound_worker import InboundProcessor
from companion.messaging.simulate import simulate
from companion.models import AuditEvent, OutboundMessage, Patient
from companion.protocols import ProtocolSource
from tests.conftest import World
from tests.web.conftest import LiveServer
from tests.web.staff_browser import sign_in, staff_page

try:
    from playwright.async_api import expect
except ImportError:  # the browser fixture skips these tests with a reason
    pass

PHONE = "+12025550163"
VIEWPORT = {"width": 1280, "height": 900}

# Every form control has a label; every aria-describedby names elements that exist.
LABELS_AND_DESCRIPTIONS = """() => {
  const problems = [];
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden") continue;
    const labelled = (el.labels && el.labels.length) || el.getAttribute("aria-label");
    if (!labelled) problems.push(`no label: ${el.id || el.name}`);
  }
  for (const el of document.querySelectorAll("[aria-describedby]")) {
    for (const id of el.getAttribute("aria-describedby").split(/\\s+/)) {
      if (id && !document.getElementById(id)) problems.push(`${el.id}: no element ${id}`);
    }
  }
  return problems;
}"""


@pytest.fixture
async def page(browser: Any) -> AsyncIterator[Any]:
    async with staff_page(browser, VIEWPORT) as page:
        yield page


async def _shot(page: Any, artifacts: Path, name: str) -> None:
    await page.screenshot(path=str(artifacts / f"staff-enrol-{name}.png"), full_page=True)


async def _patient(session: AsyncSession) -> Patient:
    query = select(Patient).where(Patient.phone == PHONE).execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one()


async def test_a_clinician_enrols_a_patient_who_consents_and_manages_the_record(
    live_server: LiveServer, world: World, page: Any, artifacts: Path, session: AsyncSession, engine: AsyncEngine,
) -> None:
    clinic = await world.clinic(timezone="America/New_York")
    await world.staff(clinic, "clinician", email="clinician@demo.clinic")
    await sign_in(page, live_server, "clinician@demo.clinic", "#/patients")
    await page.click("#enrol-link")
    await page.wait_for_selector("#enrol-form")
    assert await page.evaluate(LABELS_AND_DESCRIPTIONS) == []

    # Wrong in four ways: the API says why, next to each field, and nothing typed is lost.
    await page.fill("#enrol-reference", "-P7")
    await page.fill("#enrol-phone", "12")
    await page.fill("#enrol-timezone", "Mars/Olympus")
    await page.click("#enrol-submit")
    for field, words in (("reference", "pattern"), ("name", "at least 1 character"),
                         ("phone", "not a valid phone number"), ("timezone", "unknown time zone")):
        error = page.locator(f"#enrol-{field}-error")
        await expect(error).to_be_visible()
        assert words in (await error.inner_text()).lower(), field
        control = page.locator(f"#enrol-{field}")
        assert await control.get_attribute("aria-invalid") == "true"
        assert f"enrol-{field}-error" in (await control.get_attribute("aria-describedby") or "").split()
    assert await page.input_value("#enrol-reference") == "-P7"
    assert await page.input_value("#enrol-phone") == "12"
    assert await page.input_value("#enrol-timezone") == "Mars/Olympus"
    await expect(page.locator("#enrol-time-error")).to_be_hidden()
    assert await page.evaluate(LABELS_AND_DESCRIPTIONS) == []
    await _shot(page, artifacts, "01-errors")

    await page.fill("#enrol-reference", "P-7001")
    await page.fill("#enrol-name", "Nova Example")
    await page.fill("#enrol-phone", "(202) 555-0163")
    await page.fill("#enrol-timezone", "America/Chicago")
    await page.select_option("#enrol-channel", "sms")
    await page.click("#enrol-submit")
    await page.wait_for_selector("#patient-heading")
    state = page.locator("#consent-state")
    await expect(state).to_have_attribute("data-consent", "pending")
    await expect(state).to_contain_text("Pending: has not replied YES")
    await expect(page.locator("#welcome-state")).to_contain_text("queued")
    stored = await _patient(session)
    assert (stored.reference, stored.sms_consent, stored.sms_consent_source) == ("P-7001", "pending", "enrolment")
    assert await page.evaluate(LABELS_AND_DESCRIPTIONS) == []
    await _shot(page, artifacts, "02-pending")

    # The welcome once more; then the button is gone (the API refuses a second: tests/patients).
    await page.click("#consent-resend")
    await expect(page.locator("#patient-changed")).to_contain_text("Welcome text sent again")
    await expect(page.locator("#welcome-state")).to_contain_text("queued again")
    await expect(page.locator("#consent-resend")).to_have_count(0)
    welcomes = (await session.execute(select(OutboundMessage.dedupe_key).where(
        OutboundMessage.purpose == "welcome"))).scalars().all()
    assert sorted(welcomes) == [f"welcome:{stored.id}:0:0", f"welcome:{stored.id}:0:1"]

    # The list shows the patient as pending.
    await page.goto(f"{live_server.url}/staff/#/patients")
    row = page.locator(f"tr[data-patient-id='{stored.id}']")
    await expect(row).to_contain_text("SMS consent pending")

    # The patient texts YES through the signed webhook; the inbound worker handles it.
    texted = await asyncio.to_thread(simulate, live_server.settings, PHONE, "YES")
    assert texted.status_code == 200
    conversations = Conversations(Clock(), live_server.settings, ProtocolSource.from_file(
        live_server.settings.protocol_file))
    await InboundProcessor(create_sessionmaker(engine), Clock(), conversations).drain()
    await page.goto(f"{live_server.url}/staff/#/patients/{stored.id}")
    await expect(page.locator("#consent-state")).to_have_attribute("data-consent", "opted_in")
    await expect(page.locator("#consent-state")).to_contain_text("texted YES")
    await expect(page.locator("#consent-resend")).to_have_count(0)
    await _shot(page, artifacts, "03-consented")

    # Edit: a wrong number is refused next to the field, the rest kept; then saved.
    await page.click("#patient-edit")
    await page.fill("#edit-name", "Nova Q. Example")
    await page.fill("#edit-phone", "555")
    await page.click("#edit-save")
    await expect(page.locator("#edit-phone-error")).to_contain_text("Not a valid phone number")
    assert await page.input_value("#edit-name") == "Nova Q. Example"
    assert await page.evaluate(LABELS_AND_DESCRIPTIONS) == []
    await _shot(page, artifacts, "04-edit-error")
    await page.fill("#edit-phone", "+1 202 555 0163")
    await page.fill("#edit-time", "09:15")
    await page.click("#edit-save")
    await expect(page.locator("#patient-changed")).to_contain_text("Changes saved.")
    await expect(page.locator("#patient-heading")).to_contain_text("Nova Q. Example")
    stored = await _patient(session)
    assert (stored.display_name, stored.preferred_checkin_time.isoformat()) == ("Nova Q. Example", "09:15:00")

    await page.click("#patient-pause")
    await expect(page.locator("#patient-changed")).to_contain_text("Check-ins paused")
    await expect(page.locator(".patient-head .status-chip")).to_have_text("Paused")
    await page.click("#patient-resume")
    await expect(page.locator("#patient-changed")).to_contain_text("Check-ins resumed")
    await expect(page.locator(".patient-head .status-chip")).to_have_text("Active")

    await page.click("#patient-discharge")
    await expect(page.locator("#discharge-question")).to_contain_text("Discharge P-7001?")
    await page.click("#discharge-cancel")
    await expect(page.locator("#discharge-question")).to_have_count(0)
    assert (await _patient(session)).status == "active"
    await page.click("#patient-discharge")
    await _shot(page, artifacts, "05-confirm-discharge")
    await page.click("#discharge-confirm")
    await expect(page.locator("#patient-changed")).to_contain_text("Patient discharged.")
    await expect(page.locator(".patient-head .status-chip")).to_have_text("Discharged")
    await expect(page.locator("#patient-pause")).to_have_count(0)
    await _shot(page, artifacts, "06-discharged")
    assert (await _patient(session)).status == "discharged"
    actions = (await session.execute(select(AuditEvent.action).where(
        AuditEvent.subject == f"patient:{stored.id}"))).scalars().all()
    assert {"patient.create", "consent.welcome_resend", "consent.opt_in", "patient.update", "patient.pause",
            "patient.resume", "patient.discharge"} <= set(actions)


async def test_the_staff_role_sees_the_record_but_no_enrol_or_change(
    live_server: LiveServer, world: World, page: Any, session: AsyncSession,
) -> None:
    clinic = await world.clinic(timezone="America/New_York")
    await world.staff(clinic, "staff", email="desk@demo.clinic")
    patient = await world.patient(clinic, phone=PHONE, sms_consent="pending")
    await sign_in(page, live_server, "desk@demo.clinic", "#/patients")
    await page.wait_for_selector(f"tr[data-patient-id='{patient.id}']")
    await expect(page.locator("#enrol-link")).to_have_count(0)
    await page.goto(f"{live_server.url}/staff/#/patients/{patient.id}")
    await expect(page.locator("#consent-state")).to_have_attribute("data-consent", "pending")
    await expect(page.locator("#manage-not-allowed")).to_be_visible()
    await expect(page.locator("#patient-pause")).to_have_count(0)
    await page.goto(f"{live_server.url}/staff/#/patients/new")
    await expect(page.locator("#enrol-not-allowed")).to_be_visible()
