"""The team page in Debian's Chromium: an admin sees who is on call and every member with role,
account, sign-in state and phone; invites a member (the one-time link shown once and sent by SMS),
changes a role, unlocks a locked member and deactivates another after a confirmation, which the
on-call panel warns of at once; the invited member opens the link, sets a password and signs in.
axe finds nothing wrong on the way; each step leaves a screenshot in the test artefacts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.models import AuditEvent, OutboundMessage, StaffMember
from tests.conftest import World
from tests.web.conftest import LiveServer
from tests.web.staff_browser import accessibility_violations, sign_in, staff_page

try:
    from playwright.async_api import expect
except ImportError:  # the browser fixture skips these tests with a reason
    pass

VIEWPORT = {"width": 1366, "height": 900}
KIM_PHONE = "+12025550160"
KIM_PASSWORD = "kims very own passphrase"


@pytest.fixture
async def page(browser: Any) -> AsyncIterator[Any]:
    async with staff_page(browser, VIEWPORT) as page:
        yield page


async def _shot(page: Any, artifacts: Path, name: str) -> None:
    await page.screenshot(path=str(artifacts / f"staff-team-{name}.png"), full_page=True)


async def _no_violations(page: Any) -> None:
    found = await accessibility_violations(page)
    assert found == [], "\n".join(found)


async def _named(session: AsyncSession, member: StaffMember, name: str, **changes: Any) -> StaffMember:
    row = await session.get(StaffMember, member.id)
    assert row is not None
    row.name = name
    for field, value in changes.items():
        setattr(row, field, value)
    await session.commit()
    return row


async def _fresh(session: AsyncSession, model: Any, *where: Any) -> list[Any]:
    query = select(model).where(*where).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def test_an_admin_invites_changes_a_role_unlocks_and_deactivates(
    live_server: LiveServer, world: World, browser: Any, page: Any, artifacts: Path, session: AsyncSession
) -> None:
    # The shipped protocol's rota: clinician@demo.clinic on call, admin@demo.clinic the backup.
    clinic = await world.clinic(timezone="America/New_York")
    morgan = await _named(session, await world.staff(clinic, "clinician", email="clinician@demo.clinic",
                                                     phone="+12025550181"), "Dr Morgan")
    admin = await _named(session, await world.staff(clinic, "admin", email="admin@demo.clinic",
                                                    phone="+12025550182"), "Alex Admin")
    sam = await _named(session, await world.staff(clinic, "clinician", email="sam@demo.clinic"), "Sam Lee",
                       failed_logins=0, locked_until=datetime.now(UTC) + timedelta(minutes=15))

    await sign_in(page, live_server, "admin@demo.clinic", "#/team")
    await page.wait_for_selector("#team-table")
    board = page.locator("#team-oncall #oncall-row-on_call_clinician")
    await expect(board).to_contain_text("Dr Morgan")
    await expect(page.locator(f"#member-{sam.id}")).to_contain_text("Locked until")
    await expect(page.locator(f"#member-{morgan.id}")).to_contain_text("+12025550181")
    assert await page.locator(f"#unlock-{morgan.id}").count() == 0  # only the locked are offered it
    await _no_violations(page)
    await _shot(page, artifacts, "01-team")

    # Invite: the link is shown once, and goes to the phone by SMS.
    await page.fill("#invite-name", "Nurse Kim")
    await page.fill("#invite-email", "kim@demo.clinic")
    await page.fill("#invite-phone", "202-555-0160")
    await page.select_option("#invite-role", "staff")
    await page.click("#invite-submit")
    await expect(page.locator("#issued-link-heading")).to_have_text("Invitation for Nurse Kim")
    await expect(page.locator("#issued-link-heading")).to_be_focused()
    link = await page.input_value("#issued-link")
    assert link.startswith(f"{live_server.url}/staff/#/setup/")
    [kim] = await _fresh(session, StaffMember, StaffMember.email == "kim@demo.clinic")
    [text] = await _fresh(session, OutboundMessage, OutboundMessage.staff_id == kim.id)
    assert (text.purpose, text.to_phone) == ("staff_link", KIM_PHONE) and link in text.body
    await expect(page.locator(f"#member-{kim.id}")).to_contain_text("Invited: link open until")
    await _no_violations(page)
    await _shot(page, artifacts, "02-invited")

    # Change a role.
    await page.select_option(f"#role-{kim.id}", "clinician")
    await page.click(f"#role-save-{kim.id}")
    await expect(page.locator("#team-message")).to_contain_text("Nurse Kim is now clinician")
    assert (await _fresh(session, StaffMember, StaffMember.id == kim.id))[0].role == "clinician"

    # Unlock a locked member.
    await page.click(f"#unlock-{sam.id}")
    await expect(page.locator("#team-message")).to_contain_text("Sam Lee is unlocked")
    await expect(page.locator(f"#member-{sam.id}")).not_to_contain_text("Locked until")
    assert (await _fresh(session, StaffMember, StaffMember.id == sam.id))[0].locked_until is None
    await _shot(page, artifacts, "03-unlocked")

    # Deactivate, after a confirmation: the on-call panel warns at once.
    await page.click(f"#deactivate-{morgan.id}")
    await expect(page.locator(f"#deactivate-{morgan.id}-question")).to_contain_text("paged no more")
    await expect(page.locator(f"#deactivate-{morgan.id}-confirm")).to_be_focused()
    await _no_violations(page)
    await _shot(page, artifacts, "04-deactivate-asked")
    await page.click(f"#deactivate-{morgan.id}-cancel")  # Cancel changes nothing
    assert (await _fresh(session, StaffMember, StaffMember.id == morgan.id))[0].active is True
    await page.click(f"#deactivate-{morgan.id}")
    await page.click(f"#deactivate-{morgan.id}-confirm")
    await expect(page.locator("#team-message")).to_contain_text("Dr Morgan is deactivated")
    await expect(page.locator(f"#member-{morgan.id}")).to_contain_text("Deactivated")
    await expect(board).to_contain_text("Dr Morgan is deactivated")
    await expect(page.locator(f"#reactivate-{morgan.id}")).to_be_visible()
    assert (await _fresh(session, StaffMember, StaffMember.id == morgan.id))[0].active is False
    await _no_violations(page)
    await _shot(page, artifacts, "05-deactivated")

    # The last admin is kept: the refusal is explained.
    await page.click(f"#deactivate-{admin.id}")
    await page.click(f"#deactivate-{admin.id}-confirm")
    await expect(page.locator("#team-message")).to_contain_text("last active admin")
    await expect(page.locator(f"#deactivate-{admin.id}")).to_be_visible()

    actions = [e.action for e in await _fresh(session, AuditEvent, AuditEvent.actor == f"staff:{admin.id}")]
    for action in ("staff.invite", "staff.update", "staff.unlock"):
        assert action in actions

    # The invited member opens the link in a browser of their own and sets a password.
    async with staff_page(browser, VIEWPORT) as own:
        await own.goto(link)
        await own.wait_for_selector("#setup-password")
        assert "#/setup/" not in own.url  # the token leaves the address bar at once
        await _no_violations(own)
        await own.fill("#setup-password", KIM_PASSWORD)
        await own.fill("#setup-repeat", "something else entirely")
        await own.click("#setup-submit")
        await expect(own.locator("#setup-message")).to_contain_text("differ")
        await own.fill("#setup-password", KIM_PASSWORD)
        await own.fill("#setup-repeat", KIM_PASSWORD)
        await _shot(own, artifacts, "06-set-password")
        await own.click("#setup-submit")
        await expect(own.locator("#signin-message")).to_contain_text("Your password is set")
        assert await own.input_value("#signin-email") == "kim@demo.clinic"
        await own.fill("#signin-password", KIM_PASSWORD)
        await own.click("#signin-submit")
        await own.wait_for_selector("#topbar:not([hidden])")
        await expect(own.locator("#who")).to_contain_text("kim@demo.clinic")
        # The link worked once.
        await own.click("#sign-out")
        await own.goto(link)
        await own.fill("#setup-password", "another passphrase")
        await own.fill("#setup-repeat", "another passphrase")
        await own.click("#setup-submit")
        await expect(own.locator("#setup-message")).to_contain_text("no longer valid")
