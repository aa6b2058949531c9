"""The clinic's protocol and on-call schedule on the staff dashboard, in Debian's Chromium: the header
names who is on call; an admin stores a protocol that is refused (the problems listed, nothing
changed), then good ones, compares two versions and rolls back; an admin changes a rotation and adds
cover, which the header shows at once; a non-admin sees the schedule and its warnings but no way to
change it, and no protocol page. Each step leaves a screenshot in the test artefacts."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.models import ActiveProtocol, OncallOverride, OncallPosition, ProtocolVersion, StaffMember
from tests.clinics.protocol_texts import SHIPPED, SHIPPED_LABEL, labelled
from tests.conftest import World
from tests.web.axe import assert_accessible
from tests.web.conftest import LiveServer
from tests.web.staff_browser import sign_in, staff_page

try:
    from playwright.async_api import expect
except ImportError:  # the browser fixture skips these tests with a reason
    pass

CLINIC_ZONE = "America/New_York"
VIEWPORT = {"width": 1280, "height": 900}
UNTIL = r"until (Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b.*\d\d:\d\d"


@pytest.fixture
async def page(browser: Any) -> AsyncIterator[Any]:
    async with staff_page(browser, VIEWPORT) as page:
        yield page


async def _shot(page: Any, artifacts: Path, name: str) -> None:
    """The page as it stands, saved, and checked by axe (WCAG 2.1 A and AA: no violation)."""
    await page.screenshot(path=str(artifacts / f"staff-protocol-{name}.png"), full_page=True)
    await assert_accessible(page)


async def _named(session: AsyncSession, member: StaffMember, name: str) -> StaffMember:
    row = await session.get(StaffMember, member.id)
    assert row is not None
    row.name = name
    await session.commit()
    return row


async def _team(world: World, session: AsyncSession) -> tuple[StaffMember, StaffMember, StaffMember]:
    """The shipped protocol's rota: clinician@demo.clinic on call, admin@demo.clinic the backup."""
    clinic = await world.clinic(timezone=CLINIC_ZONE)
    morgan = await _named(session, await world.staff(clinic, "clinician", email="clinician@demo.clinic",
                                                     phone="+12025550181"), "Dr Morgan")
    admin = await _named(session, await world.staff(clinic, "admin", email="admin@demo.clinic",
                                                    phone="+12025550182"), "Alex Admin")
    cover = await _named(session, await world.staff(clinic, "clinician", email="cover@demo.clinic",
                                                    phone="+12025550183"), "Sam Lee")
    return morgan, admin, cover


async def _fresh(session: AsyncSession, model: Any, *where: Any) -> list[Any]:
    query = select(model).where(*where).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def _store(page: Any, expected: str) -> None:
    await page.click("#protocol-submit")
    await expect(page.locator("#protocol-changed")).to_have_text(expected)


async def test_an_admin_stores_compares_and_rolls_back_protocol_versions(
    live_server: LiveServer, world: World, page: Any, artifacts: Path, session: AsyncSession
) -> None:
    _morgan, admin, _cover = await _team(world, session)
    await sign_in(page, live_server, "admin@demo.clinic")
    await expect(page.locator("#oncall-now")).to_have_text(re.compile(rf"^On call: Dr Morgan {UNTIL}$"))
    assert await page.locator("#oncall-warning").is_hidden()
    await page.click("#nav-protocol")
    active = page.locator("#protocol-active")
    await expect(active).to_contain_text(SHIPPED_LABEL)
    assert "seed file" in await active.inner_text()
    assert "on_call_clinician" in await page.locator("#protocol-summary").inner_text()
    await _shot(page, artifacts, "01-seed-in-use")

    # A version naming somebody the clinic does not have is refused, place by place; nothing changes.
    await page.fill("#protocol-text", labelled("north-broken", SHIPPED.replace(
        'rotation = ["clinician@demo.clinic"]', 'rotation = ["nobody@demo.clinic"]', 1)))
    await page.click("#protocol-submit")
    problems = page.locator("#protocol-refused-problems li")
    await problems.first.wait_for()
    assert any("nobody@demo.clinic" in text for text in await problems.all_inner_texts())
    assert await page.locator("#protocol-text").input_value() != ""  # what was typed is kept
    await expect(active).to_contain_text(SHIPPED_LABEL)
    assert await _fresh(session, ProtocolVersion) == []
    await _shot(page, artifacts, "02-refused")

    # A good one from a file: stored and in use.
    await page.set_input_files("#protocol-file", files=[{
        "name": "north.toml", "mimeType": "application/toml", "buffer": labelled("north-2026.1").encode()}])
    await expect(page.locator("#protocol-text")).to_have_value(re.compile('version = "north-2026.1"'))
    await _store(page, "Version 1 (north-2026.1) stored and in use.")
    await expect(active).to_contain_text("1 · north-2026.1")
    assert "Alex Admin" in await active.inner_text()
    assert await page.locator("#version-1").get_attribute("data-active") == "true"
    await page.fill("#protocol-text", labelled("north-2026.2"))
    await _store(page, "Version 2 (north-2026.2) stored and in use.")
    await expect(active).to_contain_text("2 · north-2026.2")
    assert await page.locator("#version-2").get_attribute("data-active") == "true"
    assert await page.locator("#version-1").get_attribute("data-active") == "false"
    versions = page.locator("#protocol-history tbody tr[data-number]")
    assert [await row.get_attribute("data-number") for row in await versions.all()] == ["2", "1"]

    await page.click("#compare-2")
    diff = page.locator("#diff-2")
    await diff.wait_for()
    assert await page.locator("#compare-2").get_attribute("aria-expanded") == "true"
    assert [line.strip() for line in await diff.locator(".diff-del").all_inner_texts()] == [
        '-version = "north-2026.1"']
    assert [line.strip() for line in await diff.locator(".diff-add").all_inner_texts()] == [
        '+version = "north-2026.2"']
    await _shot(page, artifacts, "03-compared")

    # Roll back, after a confirmation (a cancel first changes nothing).
    await page.click("#activate-1")
    await page.click("#activate-cancel-1")
    assert await page.locator("#activate-1").is_visible()
    await page.click("#activate-1")
    assert "north-2026.1" in await page.locator("#activate-question-1").inner_text()
    await _shot(page, artifacts, "04-confirm-roll-back")
    await page.click("#activate-confirm-1")
    await expect(page.locator("#protocol-changed")).to_have_text("Version 1 (north-2026.1) is in use.")
    await expect(active).to_contain_text("1 · north-2026.1")
    assert await page.locator("#version-1").get_attribute("data-active") == "true"
    await _shot(page, artifacts, "05-rolled-back")
    [row] = await _fresh(session, ActiveProtocol)
    [first] = await _fresh(session, ProtocolVersion, ProtocolVersion.number == 1)
    assert (row.version_id, row.activated_by) == (first.id, admin.id)


async def test_an_admin_changes_a_rotation_and_adds_cover_which_the_header_shows(
    live_server: LiveServer, world: World, page: Any, artifacts: Path, session: AsyncSession
) -> None:
    morgan, admin, cover = await _team(world, session)
    await sign_in(page, live_server, "admin@demo.clinic", "#/protocol")
    # The clinic's schedule is seeded from the first version it activates.
    await page.fill("#protocol-text", labelled("north-2026.1"))
    await _store(page, "Version 1 (north-2026.1) stored and in use.")
    await page.click("#oncall-now")
    await page.wait_for_selector("#rotation-form-backup_clinician")
    board = page.locator("#oncall-row-on_call_clinician")
    assert "Dr Morgan" in await board.inner_text()

    # backup_clinician: Dr Morgan added and moved first, the handoff moved to Tuesday 08:00.
    await page.select_option("#rotation-add-backup_clinician", str(morgan.id))
    await page.click("#rotation-add-button-backup_clinician")
    edit = page.locator("#rotation-edit-backup_clinician li")
    assert await edit.all_inner_texts() != []
    await page.click("#rotation-edit-backup_clinician li:nth-child(2) button[data-move='up']")
    await page.select_option("#handoff-day-backup_clinician", "tue")
    await page.fill("#handoff-time-backup_clinician", "08:00")
    await page.click("#rotation-save-backup_clinician")
    await expect(page.locator("#oncall-message")).to_have_text("Rotation of Backup clinician saved.")
    assert await page.locator("#rotation-backup_clinician li").all_inner_texts() == ["Dr Morgan", "Alex Admin"]
    assert await page.locator("#handoff-backup_clinician").inner_text() == "Hands over Tue 08:00 clinic time."
    [backup] = await _fresh(session, OncallPosition, OncallPosition.name == "backup_clinician")
    assert (backup.rotation, backup.handoff) == ([morgan.id, admin.id], "tue 08:00")

    # A rotation of nobody is refused next to the form.
    await page.click("#rotation-edit-on_call_clinician li button[aria-label='Remove Dr Morgan from the rotation']")
    await page.click("#rotation-save-on_call_clinician")
    await expect(page.locator("#rotation-message-on_call_clinician")).to_contain_text("at least one person")

    # Cover by Sam Lee from now until tomorrow, clinic time: the header names them at once.
    zone = ZoneInfo(CLINIC_ZONE)
    ends = (datetime.now(UTC) + timedelta(days=1)).astimezone(zone).replace(second=0, microsecond=0)
    await page.select_option("#override-staff-on_call_clinician", str(cover.id))
    await page.fill("#override-end-on_call_clinician", f"{ends:%Y-%m-%dT%H:%M}")
    await page.fill("#override-note-on_call_clinician", "Dr Morgan at a conference")
    await _shot(page, artifacts, "06-add-cover")
    await page.click("#override-submit-on_call_clinician")
    await expect(page.locator("#oncall-message")).to_have_text("Cover by Sam Lee added for On call clinician.")
    await expect(page.locator("#oncall-now")).to_have_text(re.compile(rf"^On call: Sam Lee {UNTIL}$"))
    await expect(page.locator("#oncall-row-on_call_clinician")).to_contain_text("Sam Lee")
    [added] = await _fresh(session, OncallOverride)
    assert (added.staff_id, added.note, added.created_by) == (cover.id, "Dr Morgan at a conference", admin.id)
    assert added.ends_at.replace(tzinfo=UTC) == ends.astimezone(UTC)
    assert added.starts_at.replace(tzinfo=UTC) <= datetime.now(UTC)
    await _shot(page, artifacts, "07-cover-in-header")

    # Removed again: Dr Morgan is on call.
    await page.click(f"#remove-override-{added.id}")
    await expect(page.locator("#oncall-message")).to_have_text("Cover by Sam Lee removed.")
    await expect(page.locator("#oncall-now")).to_have_text(re.compile(rf"^On call: Dr Morgan {UNTIL}$"))


async def test_a_clinician_sees_the_schedule_and_its_warning_but_cannot_change_it(
    live_server: LiveServer, world: World, page: Any, artifacts: Path, session: AsyncSession
) -> None:
    _morgan, admin, _cover = await _team(world, session)
    row = await session.get(StaffMember, admin.id)
    assert row is not None
    row.phone = None  # the shipped rota's backup can no longer be paged
    await session.commit()

    await sign_in(page, live_server, "clinician@demo.clinic")
    await expect(page.locator("#oncall-now")).to_have_text(re.compile(rf"^On call: Dr Morgan {UNTIL}$"))
    warning = page.locator("#oncall-warning")
    await expect(warning).to_contain_text(
        "nobody with a phone is on call for backup_clinician: Alex Admin has no phone number")
    assert await warning.get_attribute("role") == "status"
    assert await page.locator("#nav-protocol").is_hidden()
    assert await page.locator("#nav-team").is_hidden()

    await page.click("#nav-oncall")
    await expect(page.locator("#oncall-row-backup_clinician")).to_contain_text("Alex Admin has no phone number")
    await page.wait_for_selector("#position-on_call_clinician")
    assert await page.locator("form").count() == 0
    assert await page.locator("button[id^='remove-override-']").count() == 0
    assert "An admin sets rotations and cover" in await page.locator(".page-head").inner_text()
    await _shot(page, artifacts, "08-clinician-on-call")

    # The protocol page by its address: the API says no, the page explains.
    await page.evaluate("window.location.hash = '#/protocol'")
    error = page.locator("#protocol-error")
    await error.wait_for()
    text = await error.inner_text()
    assert "permission" in text and "admin" in text
