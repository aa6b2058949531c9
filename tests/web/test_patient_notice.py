"""The patient PWA after a check-in that needs help at once, in Debian's Chromium at 360 px: a mood
of 1 shows the clinic's safety text (988) at the top of the confirmation, a post-session check with
red flags its medical text (911), never the 988 card. Screenshots land in the test artefacts folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from companion.protocols import default_protocol
from tests.checkins.helpers import make_prompt
from tests.conftest import World
from tests.web.conftest import LiveServer
from tests.web.test_patient_app import PHONE, context, expect_crisis_resources, real_now_clock, shooter, sign_in

try:
    from playwright.async_api import BrowserContext, expect
except ImportError:  # the browser fixture skips these tests with a reason
    pass

__all__ = ["context"]

WORDING = default_protocol().wording


async def _signed_in_with_a_prompt(
    live_server: LiveServer, context: BrowserContext, artifacts: Path, world: World, session: AsyncSession,
    engine: AsyncEngine, instrument: str, shots: str,
) -> tuple[Any, Any]:
    """A patient with an open prompt of ``instrument``, signed in to the app: the page and its screenshot taker."""
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PHONE)
    await make_prompt(session, real_now_clock(), patient.id or 0, instrument)
    page = await context.new_page()
    shot = shooter(page, artifacts, shots)
    await sign_in(page, live_server, engine, patient)
    return page, shot


async def test_a_mood_of_1_shows_the_safety_text_at_once(
    live_server: LiveServer,
    context: BrowserContext,
    artifacts: Path,
    world: World,
    session: AsyncSession,
    engine: AsyncEngine,
) -> None:
    page, shot = await _signed_in_with_a_prompt(
        live_server, context, artifacts, world, session, engine, "mood", "notice-mood")

    await page.get_by_role("link", name="Start Daily mood").click()
    await page.get_by_role("radio", name="1", exact=True).check()
    await page.get_by_role("button", name="Next").click()
    await page.get_by_role("button", name="Skip this question").click()
    await page.get_by_role("button", name="Skip this question").click()
    await page.get_by_role("button", name="Send").click()

    await expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    alert = page.get_by_role("alert")
    await expect(alert).to_have_text(WORDING.safety_reply)
    card = page.get_by_role("region", name="Please look after yourself")
    await expect(card.get_by_role("link", name="Call 988")).to_have_attribute("href", "tel:988")
    # The card comes first: above the thank-you.
    order = await page.evaluate(
        "() => { const main = document.getElementById('main');"
        " return [...main.children].map((n) => n.tagName + (n.className ? '.' + n.className : '')); }"
    )
    assert order[0] == "SECTION.safety", order
    await shot("01-safety-text")
    await expect_crisis_resources(page)


async def test_post_session_red_flags_show_the_medical_text_not_the_988_card(
    live_server: LiveServer,
    context: BrowserContext,
    artifacts: Path,
    world: World,
    session: AsyncSession,
    engine: AsyncEngine,
) -> None:
    page, shot = await _signed_in_with_a_prompt(
        live_server, context, artifacts, world, session, engine, "post_session", "notice-red-flags")

    await page.get_by_role("link", name="Start After your session").click()
    await page.get_by_role("radio", name="Yes").check()
    await page.get_by_role("button", name="Next").click()
    for _ in range(4):
        await page.get_by_role("radio", name="None").check()
        await page.get_by_role("button", name="Next").click()
    await page.get_by_role("radio", name="Yes").check()
    await page.get_by_role("button", name="Send").click()

    await expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    await expect(page.get_by_role("alert")).to_have_text(WORDING.medical_reply)
    card = page.get_by_role("region", name="Your symptoms need attention")
    await expect(card.get_by_role("link", name="Call 911")).to_have_attribute("href", "tel:911")
    await expect(page.get_by_role("region", name="Please look after yourself")).to_have_count(0)
    await expect(page.locator("#main").get_by_role("link", name="Call 988")).to_have_count(0)
    await shot("01-medical-text")
