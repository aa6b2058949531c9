"""The staff dashboard in a browser, for its tests: a page that fails its test on any script
error or refused content, and signing in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tests.conftest import PASSWORD
from tests.web.axe import axe_violations, described
from tests.web.conftest import LiveServer, csp_violations

TIMEOUT_MS = 20000  # generous: a loaded CI machine is slow to paint


@asynccontextmanager
async def staff_page(browser: Any, viewport: dict[str, int]) -> AsyncIterator[Any]:
    """A new page in its own context; on leaving, no script error and no CSP refusal happened."""
    context = await browser.new_context(viewport=viewport, locale="en-US", timezone_id="Europe/Berlin")
    context.set_default_timeout(TIMEOUT_MS)
    violations = csp_violations(context)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    await context.close()
    assert errors == [], f"script errors in the page: {errors}"
    assert violations == [], f"the content security policy refused: {violations}"


async def accessibility_violations(page: Any) -> list[str]:
    """What axe-core finds wrong with the page as it is now (WCAG 2.1 A and AA and best practice),
    one line per rule with the elements at fault; empty when nothing (tests/web/axe.py)."""
    return described(await axe_violations(page, best_practice=True))


async def sign_in(page: Any, server: LiveServer, email: str, route: str = "") -> None:
    await page.goto(f"{server.url}/staff/{route}")
    await page.fill("#signin-email", email)
    await page.fill("#signin-password", PASSWORD)
    await page.click("#signin-submit")
    await page.wait_for_selector("#topbar:not([hidden])")
