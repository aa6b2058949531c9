"""Browser tests: the companion on a real port, driven by Debian's Chromium through Playwright.

Skipped with a reason where Chromium or Playwright is absent (`.ci/run` installs both)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from companion.app import create_app
from companion.clock import Clock
from companion.settings import Settings
from tests.live import free_port, serving

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]


def csp_violations(context: Any) -> list[str]:
    """The Content Security Policy violations Chromium reports in the consoles of ``context``'s
    pages from now on (it reports each refused script, style, image or connection there)."""
    found: list[str] = []

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            found.append(message.text)

    context.on("console", on_console)
    return found


@dataclass
class LiveServer:
    url: str
    settings: Settings


@pytest.fixture
def live_server(migrated: str, engine: AsyncEngine) -> Iterator[LiveServer]:
    """The companion on 127.0.0.1 with the console SMS gateway and its own engine and clock.

    Depends on ``engine`` only so the tables are clean before it starts."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(database_url=migrated, secret_key="browser-test-secret-key-0123456789-ab", public_base_url=url)
    with serving(create_app(settings, clock=Clock()), port):
        yield LiveServer(url, settings)


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 (a single stat at set-up)
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run does it)")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install -e '.[test]')")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
def artifacts() -> Path:
    """Screenshots land here (kept by CI as test artefacts)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
