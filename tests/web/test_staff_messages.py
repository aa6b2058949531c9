"""The inbox and a patient's conversation in Debian's Chromium: a patient's text waits under
"Needs review", a clinician marks it reviewed, opens the patient, reads the thread and sends a
message that leaves through the outbox with the clinician as its author."""

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
from companion.models import AuditEvent, InboundMessage, OutboundMessage
from companion.protocols import ProtocolSource
from tests.conftest import World
from tests.web.axe import assert_accessible
from tests.web.conftest import LiveServer
from tests.web.staff_browser import sign_in, staff_page

try:
    from playwright.async_api import expect
except ImportError:  # the browser fixture skips these tests with a reason
    pass

PATIENT_PHONE = "+12025550142"
VIEWPORT = {"width": 1280, "height": 800}
TEXT = "Can someone call me about my next appointment?"
ANSWER = "Hi Pat, this is Dr Lee: I will call you at 4pm today."


@pytest.fixture
async def page(browser: Any) -> AsyncIterator[Any]:
    async with staff_page(browser, VIEWPORT) as page:
        yield page


async def _shot(page: Any, artifacts: Path, name: str) -> None:
    """The page as it stands, saved, and checked by axe (WCAG 2.1 A and AA: no violation)."""
    await page.screenshot(path=str(artifacts / f"staff-messages-{name}.png"), full_page=True)
    await assert_accessible(page)


async def test_a_clinician_reviews_a_text_in_the_inbox_and_answers_from_the_patients_page(
    live_server: LiveServer, world: World, page: Any, artifacts: Path, session: AsyncSession, engine: AsyncEngine,
) -> None:
    clinic = await world.clinic(timezone="America/New_York")
    clinician = await world.staff(clinic, "clinician", email="clinician@demo.clinic")
    patient = await world.patient(clinic, reference="P-1042", phone=PATIENT_PHONE, name="Pat Example")
    texted = await asyncio.to_thread(simulate, live_server.settings, PATIENT_PHONE, TEXT)
    assert texted.status_code == 200
    # The server handles at once only what reads as risk; the scheduler's inbound loops, not
    # running here, handle the rest.
    conversations = Conversations(Clock(), live_server.settings, ProtocolSource.from_file(
        live_server.settings.protocol_file))
    assert await InboundProcessor(create_sessionmaker(engine), Clock(), conversations).drain() == 1
    [inbound] = (await session.execute(select(InboundMessage))).scalars().all()
    assert (inbound.patient_id, inbound.needs_review) == (patient.id, True)

    await sign_in(page, live_server, "clinician@demo.clinic")
    await page.click("[data-nav='messages']")
    item = page.locator(f"li[data-message-id='{inbound.id}']")
    await item.wait_for()
    assert await page.locator("#messages-filter").input_value() == "review"
    assert TEXT in await item.locator(".message-body").inner_text()
    assert "P-1042" in await item.locator(".message-head").inner_text()
    assert "Needs review" in await item.inner_text()
    assert "Answered: " in await item.locator(".message-reply").inner_text()
    await _shot(page, artifacts, "01-inbox")

    await item.locator("button", has_text="Mark reviewed").click()
    await page.wait_for_selector("#message-reviewed")
    await expect(page.locator(".message-item")).to_have_count(0)
    assert await page.evaluate("document.activeElement.id") == "message-reviewed"
    await page.select_option("#messages-filter", "all")
    await expect(item.locator(".message-reviewed")).to_contain_text("Reviewed by Clinician Person")
    assert await item.locator("button").count() == 0
    await _shot(page, artifacts, "02-reviewed")

    await item.locator("a.patient-ref").click()
    thread = page.locator("#patient-thread .thread")
    await thread.wait_for()
    await expect(thread.locator(".thread-item")).to_have_count(2)
    assert await thread.locator(".thread-item").first.get_attribute("data-direction") == "received"
    assert TEXT in await thread.locator(".thread-received .thread-body").inner_text()
    assert "Automatic reply" in await thread.locator(".thread-sent .thread-meta").inner_text()
    assert "null" not in await page.locator("#patient-thread").inner_text()

    await page.fill("#message-body", "   ")
    await page.click("#message-send")
    await expect(page.locator("#message-message")).to_contain_text("Write the message first.")
    await page.fill("#message-body", ANSWER)
    await page.click("#message-send")
    await page.wait_for_selector("#message-sent")
    await expect(thread.locator(".thread-item")).to_have_count(3)
    last = thread.locator(".thread-item").last
    assert await last.get_attribute("data-direction") == "sent"
    assert ANSWER in await last.locator(".thread-body").inner_text()
    assert "Message from staff: Clinician Person" in await last.locator(".thread-meta").inner_text()
    assert await page.locator("#message-body").input_value() == ""
    await _shot(page, artifacts, "03-sent")

    [sent] = (await session.execute(
        select(OutboundMessage).where(OutboundMessage.purpose == "staff_message")
        .execution_options(populate_existing=True))).scalars().all()
    assert (sent.body, sent.staff_id, sent.patient_id, sent.to_phone) == (ANSWER, clinician.id, patient.id,
                                                                           PATIENT_PHONE)
    actions = set((await session.execute(select(AuditEvent.action))).scalars())
    assert {"message.list", "message.review", "message.thread", "message.send"} <= actions
