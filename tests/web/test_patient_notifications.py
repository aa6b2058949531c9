"""Notifications in the patient app, in Debian's Chromium: turning them on in settings sends the
browser's subscription to the companion; a prompt then reaches the push-service stand-in signed and
encrypted for that subscription; the service worker shows its notification and a tap opens the
check-in; a refused permission is said plainly.

Headless Chromium has no push service of its own (``pushManager.subscribe`` fails there with
"Registration failed - permission denied" even with the permission granted), so the page's
``PushManager.subscribe`` is replaced by one that hands back a subscription made by the stand-in
(a real P-256 key pair and auth secret, as a browser makes them), and the push is handed to the
service worker as the ``push`` event the browser would fire. Everything else is the real path: the
permission prompt, the settings screen, the API, the dispatcher, pywebpush and VAPID, the worker's
``push`` and ``notificationclick`` handlers.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from companion.app import create_app
from companion.clock import Clock
from companion.messaging.push_dispatcher import PushDispatcher
from companion.messaging.push_gateway import WebPushGateway
from companion.models import Patient, PushSubscription
from companion.scheduling import due
from companion.settings import Settings
from companion.vapid_keys import new_private_key_pem, public_key_of, subject_for
from tests.checkins.helpers import make_prompt
from tests.conftest import World
from tests.delivery import delivery_events
from tests.fakes.fake_push import FakePushService
from tests.live import free_port, serving
from tests.web.axe import assert_accessible
from tests.web.conftest import LiveServer, csp_violations
from tests.web.test_patient_app import PHONE, TIMEOUT_MS, VIEWPORT, real_now_clock, shooter, sign_in

try:
    from playwright.async_api import Browser, BrowserContext, expect
except ImportError:  # the browser fixture skips these tests with a reason
    pass

KEY = new_private_key_pem()
SWITCH = "Tell me when a check-in is ready"

# The page's PushManager as a browser with a push service would behave, holding the stand-in's
# subscription: subscribe records its options and hands the subscription back, getSubscription
# finds it until it is ended.
STAND_IN = """
(() => {
  const given = %s;
  const key = "companion.test.subscribed";
  const subscription = {
    endpoint: given.endpoint,
    expirationTime: null,
    options: null,
    toJSON() { return given; },
    async unsubscribe() { localStorage.removeItem(key); return true; },
  };
  PushManager.prototype.subscribe = async function (options) {
    const bytes = Array.from(new Uint8Array(options.applicationServerKey));
    localStorage.setItem(key, JSON.stringify({ userVisibleOnly: options.userVisibleOnly, key: bytes }));
    return subscription;
  };
  PushManager.prototype.getSubscription = async function () {
    return localStorage.getItem(key) ? subscription : null;
  };
})();
"""


@pytest.fixture(scope="module")
def push_service() -> Iterator[FakePushService]:
    service = FakePushService(expected_key=public_key_of(KEY))
    service.start()
    yield service
    service.stop()


@pytest.fixture
def push_server(migrated: str, engine: AsyncEngine) -> Iterator[LiveServer]:
    """The companion with push on (its VAPID key known to the stand-in), taking the stand-in's
    http endpoints."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(database_url=migrated, secret_key="browser-test-secret-key-0123456789-ab", public_base_url=url,
                        vapid_private_key=KEY, push_allow_http_endpoints=True)
    with serving(create_app(settings, clock=Clock()), port):
        yield LiveServer(url, settings)


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


async def _app_patient(world: World, session: AsyncSession) -> Patient:
    made = await world.patient(await world.clinic(), phone=PHONE)
    patient = await session.get(Patient, made.id)
    assert patient is not None
    patient.channel = "app"
    await session.commit()
    return patient


async def test_notifications_turned_on_bring_a_check_in_that_a_tap_opens(
    push_server: LiveServer, push_service: FakePushService, context: BrowserContext, artifacts: Path, world: World,
    session: AsyncSession, engine: AsyncEngine,
) -> None:
    patient = await _app_patient(world, session)
    device = push_service.device()
    await context.grant_permissions(["notifications"], origin=push_server.url)
    await context.add_init_script(STAND_IN % json.dumps(device.subscription()))
    page = await context.new_page()
    shot = shooter(page, artifacts, "notifications")
    await sign_in(page, push_server, engine, patient)

    await page.get_by_role("link", name="Settings").click()
    switch = page.get_by_role("switch", name=SWITCH)
    await expect(page.locator("#notifications-status")).to_have_text("Notifications are off on this device.")
    await expect(switch).to_be_enabled()
    await switch.check()
    await expect(page.locator("#notifications-status")).to_have_text(re.compile("^Notifications are on."))
    await expect(switch).to_be_checked()
    await shot("01-on")
    await assert_accessible(page)  # WCAG 2.1 A and AA on the settings screen with its switch
    asked = json.loads(await page.evaluate("localStorage.getItem('companion.test.subscribed')"))
    assert asked["userVisibleOnly"] is True
    assert bytes(asked["key"]) == base64.urlsafe_b64decode(public_key_of(KEY) + "=")
    [stored] = (await session.execute(select(PushSubscription))).scalars().all()
    assert (stored.patient_id, stored.endpoint, stored.expired_at) == (patient.id, device.endpoint, None)

    # A prompt is released and pushed: it reaches the stand-in, signed and encrypted for this device.
    clock = real_now_clock()
    await make_prompt(session, clock, patient.id or 0, "mood", release=False)
    assert await due.release_due(session, clock, 500, push_server.settings) == 1
    await session.commit()
    gateway = WebPushGateway(KEY, subject_for(push_server.settings), timeout=5.0)
    try:
        sent = await PushDispatcher(engine, gateway, clock, events=delivery_events(clock)).drain()
    finally:
        await gateway.close()
    assert sent == 1
    [push] = push_service.pushes_to(device)
    assert push.status == 201 and push.refused is None and push.payload is not None
    assert push.payload["url"].startswith(f"{push_server.url}/?c=")

    # The browser hands the push to the service worker, which shows it; a tap opens the check-in.
    [worker] = context.service_workers
    shown = await worker.evaluate(
        """async (data) => {
          const event = new PushEvent("push", { data: JSON.stringify(data) });
          try { self.dispatchEvent(event); } catch (error) { /* waitUntil refuses a synthetic event */ }
          for (let i = 0; i < 50; i += 1) {
            const found = await self.registration.getNotifications();
            if (found.length) return found.map((n) => ({ title: n.title, body: n.body, tag: n.tag, url: n.data.url }));
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          return [];
        }""",
        push.payload,
    )
    assert shown == [{"title": "Time for your check-in", "body": "How are you doing today? Tap to answer.",
                      "tag": push.payload["tag"], "url": push.payload["url"]}]
    await worker.evaluate(
        """async () => {
          const [notification] = await self.registration.getNotifications();
          try {
            self.dispatchEvent(new NotificationEvent("notificationclick", { notification }));
          } catch (error) { /* as above */ }
        }"""
    )
    await expect(page.get_by_role("heading", name=re.compile("^How is your mood today"))).to_be_visible()
    assert "c=" not in page.url
    await shot("02-opened")

    # Off again: the companion ends the subscription.
    await page.get_by_role("link", name="Settings").click()
    await expect(page.locator("#notifications-status")).to_have_text(re.compile("^Notifications are on."))
    await expect(switch).to_be_checked()  # the app found the browser's subscription
    await switch.uncheck()
    await expect(page.locator("#notifications-status")).to_have_text("Notifications are off on this device.")
    await session.refresh(stored)
    assert stored.expired_at is not None


async def test_a_refused_permission_is_said_plainly(
    push_server: LiveServer, context: BrowserContext, artifacts: Path, world: World, session: AsyncSession,
    engine: AsyncEngine,
) -> None:
    patient = await _app_patient(world, session)
    page = await context.new_page()
    await sign_in(page, push_server, engine, patient)
    await page.get_by_role("link", name="Settings").click()
    switch = page.get_by_role("switch", name=SWITCH)
    await expect(switch).to_be_enabled()
    await switch.click()
    await expect(page.locator("#notifications-status")).to_have_text(re.compile("so none (will|can) come"))
    await expect(switch).not_to_be_checked()
    await shooter(page, artifacts, "notifications")("03-refused")
    assert (await session.execute(select(PushSubscription))).scalars().all() == []
