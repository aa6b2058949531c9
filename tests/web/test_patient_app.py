"""The patient PWA in Debian's Chromium at 360 px: sign-in to a completed PHQ-9 and its chart, a
check-in made offline and sent once on reconnect, an SMS link, and installability.

Screenshots of each step land in the test artefacts folder."""

from __future__ import annotations

import asyncio
import json
import re
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from companion.auth.links import link_url
from companion.clock import FrozenClock
from companion.db import create_sessionmaker
from companion.models import CheckIn, OutboundMessage, Patient, Prompt, TreatmentSession
from tests.checkins.helpers import make_prompt
from tests.conftest import World
from tests.web.axe import assert_accessible
from tests.web.conftest import LiveServer, csp_violations

try:
    from playwright.async_api import Browser, BrowserContext, Page, expect
except ImportError:  # the browser fixture skips these tests with a reason
    pass

PHONE = "+12025550142"
VIEWPORT = {"width": 360, "height": 740}
NOT_EMERGENCY = "Messages are reviewed during clinic hours; this is not an emergency service."
DASH = "\N{EN DASH}"
PHQ9_BAND_LABELS = [f"Minimal 0{DASH}4", f"Mild 5{DASH}9", f"Moderate 10{DASH}14", f"Moderately severe 15{DASH}19",
                    f"Severe 20{DASH}27"]
FREQUENCY = ["Not at all", "Several days", "More than half the days", "Nearly every day"]
TIMEOUT_MS = 20000  # generous: a loaded CI machine is slow to paint


def real_now_clock() -> FrozenClock:
    """The live server keeps real time, so rows made for it are stamped with the real now."""
    return FrozenClock(datetime.now(UTC))


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    context.set_default_timeout(TIMEOUT_MS)
    violations = csp_violations(context)
    try:
        yield context
    finally:
        await context.close()
    assert violations == [], f"the content security policy refused: {violations}"


def shooter(page: Page, artifacts: Path, prefix: str) -> Callable[[str], Awaitable[None]]:
    """What the patient sees: the 360 x 740 viewport, with the crisis lines fixed at its foot; each
    screen shot is also checked by axe (WCAG 2.1 A and AA: no violation)."""

    async def shot(name: str) -> None:
        await page.screenshot(path=str(artifacts / f"{prefix}-{name}.png"))
        await assert_accessible(page)

    return shot


async def expect_crisis_resources(page: Page) -> None:
    """The crisis lines and the statement of when messages are read, on every screen."""
    for name, href in (("Call 988", "tel:988"), ("Text 988", "sms:988"), ("Call 911", "tel:911")):
        link = page.get_by_role("complementary", name="Crisis lines").get_by_role("link", name=re.compile(name))
        await expect(link).to_be_visible()
        await expect(link).to_have_attribute("href", href)
    await expect(page.locator("#not-emergency")).to_have_text(NOT_EMERGENCY)
    await expect(page.locator("#crisis-text")).to_contain_text("call or text 988")


async def latest_code(engine: AsyncEngine, patient_id: int | None) -> str:
    query = (
        select(OutboundMessage.body)
        .where(OutboundMessage.purpose == "otp", OutboundMessage.patient_id == patient_id)
        .order_by(OutboundMessage.id.desc())  # type: ignore[union-attr]
        .limit(1)
    )
    for _ in range(100):
        async with create_sessionmaker(engine)() as session:
            body = (await session.execute(query)).scalar_one_or_none()
        if body is not None:
            match = re.search(r"Your sign-in code is (\d{6})\.", body)
            assert match, "the sign-in SMS carries the code"
            return match.group(1)
        await asyncio.sleep(0.05)
    raise AssertionError("no sign-in code was sent")


async def sign_in(page: Page, server: LiveServer, engine: AsyncEngine, patient: Patient,
                  shot: Callable[[str], Awaitable[None]] | None = None) -> None:
    await page.goto(f"{server.url}/")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await expect_crisis_resources(page)
    await page.get_by_label("Mobile number").fill("(202) 555-0142")
    if shot:
        await shot("01-sign-in")
    await page.get_by_role("button", name="Text me a code").click()
    await expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    await page.get_by_label("6-digit code").fill(await latest_code(engine, patient.id))
    if shot:
        await shot("02-code")
    await page.get_by_label("6-digit code").press("Enter")
    await expect(page.get_by_role("heading", name="Hello, Pat")).to_be_visible()


async def checkins_with(engine: AsyncEngine, **where: Any) -> list[CheckIn]:
    query = select(CheckIn).filter_by(**where).order_by(CheckIn.id)
    async with create_sessionmaker(engine)() as session:
        return list((await session.execute(query)).scalars())


async def wait_for_checkins(engine: AsyncEngine, count: int, **where: Any) -> list[CheckIn]:
    for _ in range(200):
        rows = await checkins_with(engine, **where)
        if len(rows) >= count:
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(f"the companion has {len(rows)} check-ins, not {count}")


async def test_a_patient_signs_in_completes_the_phq9_and_sees_it_charted(
    live_server: LiveServer, context: BrowserContext, artifacts: Path, world: World, session: AsyncSession,
    engine: AsyncEngine,
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PHONE)
    prompt = await make_prompt(session, real_now_clock(), patient.id or 0, "phq9")
    page = await context.new_page()
    shot = shooter(page, artifacts, "phq9")

    await sign_in(page, live_server, engine, patient, shot)
    await expect_crisis_resources(page)
    await expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    await shot("03-today")

    await page.get_by_role("link", name="Start Mood questionnaire (PHQ-9)").click()
    answers = [0, 1, 1, 0, 1, 0, 1, 0, 0]
    for number, value in enumerate(answers, start=1):
        await expect(page.get_by_text(f"Mood questionnaire (PHQ-9) · Question {number} of 9")).to_be_visible()
        await expect(page.get_by_text("Over the last 2 weeks")).to_be_visible()
        await expect(page.locator("h1")).to_be_focused()
        if number == 1:
            # By keyboard alone: into the answers, choose, and go on with Enter.
            await page.keyboard.press("Tab")
            await expect(page.get_by_role("radio", name="Not at all")).to_be_focused()
            await page.keyboard.press("Space")
            await expect(page.get_by_role("radio", name="Not at all")).to_be_checked()
            await shot("04-question-1")
            await page.keyboard.press("Enter")
        elif number == 2:
            await page.keyboard.press("Tab")
            await page.keyboard.press("ArrowDown")
            await expect(page.get_by_role("radio", name="Several days")).to_be_checked()
            await page.keyboard.press("Enter")
        else:
            if number == 3:
                # Going on without an answer is refused, with a message.
                await page.get_by_role("button", name="Next").click()
                await expect(page.get_by_role("alert")).to_have_text("Choose an answer to go on.")
            await page.get_by_role("radio", name=FREQUENCY[value], exact=True).check()
            if number == 9:
                await shot("05-question-9")
                await expect(page.get_by_role("button", name="Send")).to_be_visible()
                await page.get_by_role("button", name="Send").click()
            else:
                await page.get_by_role("button", name="Next").click()

    await expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    await expect(page.get_by_role("status").filter(has_text="was sent to your care team")).to_be_visible()
    await expect_crisis_resources(page)
    await shot("06-sent")
    [stored] = await checkins_with(engine, prompt_id=prompt.id)
    assert (stored.status, stored.total, stored.band, stored.source) == ("complete", 4, "minimal", "app")
    assert stored.client_ref is not None

    await page.get_by_role("navigation", name="Main").get_by_role("link", name="History").click()
    chart = page.locator("svg[data-chart=phq9]")
    await expect(chart).to_be_visible()
    assert await chart.locator("text.band-label").all_text_contents() == PHQ9_BAND_LABELS
    assert await chart.locator("rect.band").count() == 5
    await expect(chart.locator("circle.point")).to_have_count(1)
    await expect(chart.locator("circle.point")).to_have_attribute("data-value", "4")
    await expect(page.get_by_text("Your latest score is 4 (minimal)")).to_be_visible()
    await expect(page.get_by_text("No mood check-ins yet.")).to_be_visible()
    await expect_crisis_resources(page)
    # chart text is at least 12 px as drawn on this 360 px screen
    smallest = await chart.evaluate(
        "(svg) => Math.min(...[...svg.querySelectorAll('text')].map((t) =>"
        " parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a))"
    )
    assert smallest >= 12, smallest
    await page.get_by_role("heading", name="Mood questionnaire (PHQ-9)").scroll_into_view_if_needed()
    await page.evaluate("window.scrollBy(0, 40)")
    await shot("07-history")

    await page.get_by_role("link", name="Settings").click()
    await expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    await page.get_by_label("Preferred check-in time").fill("22:30")  # inside the quiet hours, 21:00 to 08:00
    await expect(page.locator("#quiet-note")).to_contain_text("22:30 is inside your quiet hours")
    await expect(page.locator("#quiet-note")).to_contain_text("come at 08:00")
    await page.get_by_label("Preferred check-in time").fill("08:30")
    await expect(page.locator("#quiet-note")).to_be_hidden()
    await page.get_by_role("radio", name="Both").check()
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.locator("#settings-status")).to_have_text("Saved. Your check-ins will follow these settings.")
    await expect_crisis_resources(page)
    await shot("08-settings")
    async with create_sessionmaker(engine)() as check:
        saved = await check.get(Patient, patient.id)
        assert saved is not None and (saved.preferred_checkin_time.isoformat(), saved.channel) == ("08:30:00", "both")

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert await page.evaluate("localStorage.getItem('companion.session')") is None


async def test_a_worrying_answer_shows_help_at_once_and_the_screener_follows(
    live_server: LiveServer, context: BrowserContext, artifacts: Path, world: World, session: AsyncSession,
    engine: AsyncEngine,
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PHONE)
    await make_prompt(session, real_now_clock(), patient.id or 0, "phq9")
    page = await context.new_page()
    shot = shooter(page, artifacts, "safety")
    await sign_in(page, live_server, engine, patient)

    await page.get_by_role("link", name="Start Mood questionnaire (PHQ-9)").click()
    for number in range(1, 10):
        await expect(page.get_by_text(f"Mood questionnaire (PHQ-9) · Question {number} of 9")).to_be_visible()
        await page.get_by_role("radio", name="Several days" if number == 9 else "Not at all").check()
        await page.get_by_role("button", name="Send" if number == 9 else "Next").click()

    await expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    safety = page.get_by_role("region", name="Please look after yourself")
    await expect(safety).to_contain_text("call or text 988 (Suicide & Crisis Lifeline) or call 911.")
    await expect(safety).to_contain_text(NOT_EMERGENCY)
    await expect(safety.get_by_role("link", name="Call 988")).to_have_attribute("href", "tel:988")
    await expect(page.get_by_role("heading", name="A few more questions")).to_be_visible()
    await shot("01-help-at-once")

    # The screener, with its skip rule: a no to thoughts of suicide skips the three that follow.
    await page.get_by_role("link", name="Start A few questions about your safety").click()
    await expect(page.get_by_text("These questions are about the past month.")).to_be_visible()
    await expect(page.get_by_text("A few questions about your safety · Question 1 of 3")).to_be_visible()
    await shot("02-screener")
    for question in ("wished you were dead", "any thoughts of killing yourself", "ever done anything"):
        await expect(page.locator("h1")).to_contain_text(question)
        await page.get_by_role("radio", name="No").check()
        await page.get_by_role("button", name=re.compile("^(Next|Send)$")).click()
    await expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    [screener] = await wait_for_checkins(engine, 1, instrument="cssrs")
    assert screener.status == "complete"
    [phq9] = await checkins_with(engine, instrument="phq9")
    assert (phq9.total, phq9.flags) == (1, ["phq9_item9"])
    await expect_crisis_resources(page)


async def test_a_check_in_made_offline_is_sent_once_when_back_online(
    live_server: LiveServer, context: BrowserContext, artifacts: Path, world: World, session: AsyncSession,
    engine: AsyncEngine,
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PHONE)
    session.add(TreatmentSession(patient_id=patient.id or 0, clinic_id=clinic.id or 0, modality="iv",
                                 started_at=datetime.now(UTC) - timedelta(days=2)))
    await session.commit()
    page = await context.new_page()
    shot = shooter(page, artifacts, "offline")
    await sign_in(page, live_server, engine, patient)
    assert await page.evaluate("navigator.serviceWorker.ready.then(() => true)")

    await context.set_offline(True)
    await expect(page.locator("#offline")).to_be_visible()
    await page.get_by_role("link", name="Check in now").click()
    await expect(page.get_by_text("Daily mood · Question 1 of 4")).to_be_visible()
    await page.get_by_role("radio", name="7", exact=True).check()
    await shot("01-mood")
    await page.get_by_role("button", name="Next").click()
    await page.get_by_role("button", name="Skip this question").click()
    await page.get_by_label("Your answer").fill("7.5")
    await page.get_by_role("button", name="Next").click()
    await page.get_by_label("Your answer").fill("Slept well after the session.")
    await page.get_by_role("button", name="Send").click()

    await expect(page.get_by_role("heading", name="Saved on this device")).to_be_visible()
    await expect(page.locator("#saved-notice")).to_contain_text("will be sent when you're back online")
    await expect_crisis_resources(page)
    await shot("02-saved-offline")
    [entry] = await page.evaluate("CompanionOutbox.list()")
    client_ref = entry["client_ref"]
    assert entry["body"] == {"instrument": "mood", "client_ref": client_ref,
                             "answers": {"mood": 7, "anxiety": None, "sleep_hours": 7.5,
                                         "note": "Slept well after the session."}}
    assert await checkins_with(engine, patient_id=patient.id) == []

    await page.get_by_role("link", name="Back to today").click()
    waiting = page.get_by_role("region", name="Waiting to send")
    await expect(waiting).to_contain_text("Daily mood")
    await expect(waiting).to_contain_text("It will be sent when you're back online.")
    await shot("03-today-waiting")

    await context.set_offline(False)
    [stored] = await wait_for_checkins(engine, 1, client_ref=client_ref)
    assert (stored.instrument, stored.status, stored.total) == ("mood", "complete", 7)
    await expect(page.locator("#toast")).to_have_text("Your saved check-in was sent.")
    await expect(waiting).to_have_count(0)
    await expect(page.locator("#offline")).to_be_hidden()
    await shot("04-sent-on-reconnect")
    assert await page.evaluate("CompanionOutbox.list()") == []

    # As if the companion's answer had been lost on the way: the same check-in goes again.
    resend = "async (entry) => { await CompanionOutbox.put(entry); return CompanionOutbox.flush(); }"
    again = await page.evaluate(resend, entry)
    assert len(again["sent"]) == 1 and again["sent"][0]["checkin"]["id"] == stored.id
    assert await page.evaluate("CompanionOutbox.list()") == []
    assert [c.id for c in await checkins_with(engine, patient_id=patient.id)] == [stored.id]

    await page.get_by_role("navigation", name="Main").get_by_role("link", name="History").click()
    chart = page.locator("svg[data-chart=mood]")
    await expect(chart).to_be_visible()
    await expect(chart.locator("circle.point")).to_have_count(1)
    await expect(chart.locator("line.session")).to_have_count(1)
    await shot("05-history")


async def test_an_sms_link_opens_its_check_in_once(
    live_server: LiveServer, context: BrowserContext, artifacts: Path, world: World, session: AsyncSession,
    engine: AsyncEngine,
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PHONE)
    prompt = await make_prompt(session, real_now_clock(), patient.id or 0, "post_session")
    stored = await session.get(Prompt, prompt.id)
    assert stored is not None
    url = link_url(live_server.settings, stored)
    await session.commit()
    page = await context.new_page()
    shot = shooter(page, artifacts, "link")

    await page.goto(url)
    await expect(page.get_by_text("After your session · Question 1 of 6")).to_be_visible()
    assert "c=" not in page.url
    await page.get_by_role("radio", name="Yes").check()
    await expect_crisis_resources(page)
    await shot("01-opened")
    await page.get_by_role("button", name="Next").click()
    await page.get_by_role("button", name="Back").click()
    await expect(page.get_by_role("radio", name="Yes")).to_be_checked()
    for _ in range(5):
        await page.get_by_role("button", name=re.compile("^(Next|Send)$")).click()
        await page.get_by_role("radio", name=re.compile("^(None|No)$")).check()
    await page.get_by_role("button", name="Send").click()
    await expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    [checkin] = await wait_for_checkins(engine, 1, prompt_id=prompt.id)
    assert checkin.status == "complete" and checkin.flags == []

    # A used link does not sign in again; the patient is still signed in from the first use.
    await page.goto(url)
    await expect(page.get_by_text("That link has expired or was already used.")).to_be_visible()
    await expect(page.get_by_role("heading", name="Hello, Pat")).to_be_visible()
    await shot("02-used-again")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "a PNG file"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


async def test_the_app_is_installable_and_opens_offline(
    live_server: LiveServer, context: BrowserContext, artifacts: Path
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        index = await client.get("/")
        assert index.status_code == 200 and "text/html" in index.headers["content-type"]
        assert re.search(r'<link rel="manifest" href="/manifest.webmanifest">', index.text)
        assert '<meta name="viewport" content="width=device-width' in index.text
        response = await client.get("/manifest.webmanifest")
        assert response.status_code == 200
        manifest = json.loads(response.text)
        assert manifest["name"] and manifest["short_name"] == "Companion"
        assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/", "/", "standalone")
        assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
        assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])
        sizes: dict[tuple[str, str], tuple[int, int]] = {}
        for icon in manifest["icons"]:
            assert icon["type"] == "image/png"
            image = await client.get(icon["src"])
            assert image.status_code == 200 and image.headers["content-type"] == "image/png"
            width, height = png_size(image.content)
            assert f"{width}x{height}" == icon["sizes"]
            sizes[(icon["sizes"], icon.get("purpose", "any"))] = (width, height)
        assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes.keys()
        worker = await client.get("/sw.js")
        assert worker.status_code == 200 and "javascript" in worker.headers["content-type"]

    page = await context.new_page()
    await page.goto(f"{live_server.url}/")
    assert await page.evaluate("navigator.serviceWorker.ready.then((r) => r.active.scriptURL)") == (
        f"{live_server.url}/sw.js")
    await page.reload()
    controller = await page.evaluate("navigator.serviceWorker.controller?.scriptURL")
    assert controller == f"{live_server.url}/sw.js"
    cdp = await context.new_cdp_session(page)
    manifest_check = await cdp.send("Page.getAppManifest")
    assert manifest_check["errors"] == [] and manifest_check["url"] == f"{live_server.url}/manifest.webmanifest"
    installability = await cdp.send("Page.getInstallabilityErrors")
    # A Playwright context is an off-the-record profile, where Chromium never offers to install;
    # every other installability check must pass.
    errors = [e["errorId"] for e in installability["installabilityErrors"] if e["errorId"] != "in-incognito"]
    assert errors == []
    await cdp.detach()  # a DevTools session left open undoes the offline emulation on reload

    # The shell comes from the cache: the app and its crisis resources open without a network.
    await context.set_offline(True)
    await page.reload()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await expect(page.locator("#offline")).to_be_visible()
    await expect_crisis_resources(page)
    await page.screenshot(path=str(artifacts / "install-offline-sign-in.png"))
