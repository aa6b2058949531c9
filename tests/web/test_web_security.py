"""The apps under their content security policy in Chromium, and what the service worker keeps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from companion.web_security import CONTENT_SECURITY_POLICY
from tests.conftest import World
from tests.web.conftest import LiveServer, csp_violations
from tests.web.test_patient_app import PHONE, VIEWPORT, sign_in

try:
    from playwright.async_api import expect
except ImportError:  # the browser fixture skips these tests with a reason
    pass

TIMEOUT_MS = 20000

# Every entry of the service worker's caches: its address, the headers kept with its request and
# whether its body holds the given token.
CACHED = """async (token) => {
  const entries = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      const body = await response.text();
      entries.push({ cache: name, url: new URL(request.url).pathname, headers: [...request.headers.keys()],
                     token: body.includes(token) });
    }
  }
  return entries;
}"""

INLINE_SCRIPT = """() => {
  const script = document.createElement("script");
  script.textContent = "window.inlineRan = true";
  document.head.append(script);
  return window.inlineRan === true;
}"""


@pytest.fixture
async def context(browser: Any) -> AsyncIterator[Any]:
    context = await browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context
    finally:
        await context.close()


@pytest.mark.parametrize(("path", "heading"), [("/", "Sign in"), ("/staff/", "Staff sign-in")])
async def test_the_apps_load_under_their_policy_and_it_refuses_inline_script(
    live_server: LiveServer, context: Any, path: str, heading: str
) -> None:
    violations = csp_violations(context)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    response = await page.goto(f"{live_server.url}{path}")
    assert response is not None and response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    await expect(page.get_by_role("heading", name=heading)).to_be_visible()
    await page.wait_for_load_state("networkidle")
    assert violations == [] and errors == []

    # The policy is in force (and the check above would see a refusal): an injected script is refused.
    assert await page.evaluate(INLINE_SCRIPT) is False
    for _ in range(100):  # the console message arrives a moment later
        if violations:
            break
        await asyncio.sleep(0.02)
    assert len(violations) == 1 and "script-src 'self'" in violations[0]


async def test_the_service_worker_keeps_no_token(
    live_server: LiveServer, context: Any, world: World, engine: AsyncEngine
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PHONE)
    page = await context.new_page()
    await page.goto(f"{live_server.url}/")
    await page.evaluate("navigator.serviceWorker.ready")
    await page.reload()  # now the worker controls the page: the reads below go through it
    assert await page.evaluate("navigator.serviceWorker.controller?.scriptURL") == f"{live_server.url}/sw.js"

    await sign_in(page, live_server, engine, patient)
    await page.get_by_role("link", name="History").click()
    await expect(page.get_by_role("heading", name="Your history")).to_be_visible()
    await page.wait_for_load_state("networkidle")
    token = await page.evaluate("JSON.parse(localStorage.getItem('companion.session')).token")
    entries = await page.evaluate(CACHED, token)

    reads = {entry["url"] for entry in entries if entry["cache"] == "companion-api"}
    assert {"/api/v1/me/checkins/pending", "/api/v1/me/history"} <= reads  # the offline copies of the patient's reads
    assert [e for e in entries if e["token"]] == []  # no body holds the token
    assert [e for e in entries if "authorization" in e["headers"]] == []  # nor does a stored request
    assert [e for e in entries if e["url"].startswith("/api/v1/auth/")] == []
