"""An admin invites a member, resets a password and unlocks an account; set-your-password links work
once and not after they expire, are replaced or withdrawn; the clinic always keeps an active
admin; every change is audited (docs/sign-in.md, "Invitations, resets and unlocking")."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
import pytest
from httpx import AsyncClient
from sqlalchemy import select

from companion.clock import FrozenClock
from companion.db import create_sessionmaker
from companion.models import AuditEvent, OutboundMessage, SignInThrottle, StaffMember
from tests.conftest import PASSWORD, World, waiting_out_backoff

LOGIN = "/api/v1/auth/staff/login"
SETUP = "/api/v1/auth/staff/setup"
NEW_PASSWORD = "a passphrase of my own"
KIM = {"name": "Nurse Kim", "email": "Kim@Example.org", "phone": "202-555-0160", "role": "clinician"}


async def _login(client: AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(LOGIN, json={"email": email, "password": password})


def _token(link: str) -> str:
    assert "/staff/#/setup/" in link
    return link.rsplit("/", 1)[1]


async def _setup(client: AsyncClient, link: str, password: str = NEW_PASSWORD) -> httpx.Response:
    return await client.post(SETUP, json={"token": _token(link), "password": password})


async def _rows(world: World, model: Any, *where: Any) -> list[Any]:
    async with create_sessionmaker(world.engine)() as session:
        return list((await session.execute(select(model).where(*where))).scalars())


async def _audit(world: World, action: str) -> list[AuditEvent]:
    return await _rows(world, AuditEvent, AuditEvent.action == action)


async def test_an_invited_member_sets_their_own_password_through_the_link_once(
    client: AsyncClient, world: World
) -> None:
    clinic = await world.clinic()
    admin = await world.staff(clinic, "admin")
    invited = await client.post("/api/v1/staff/invitations", json=KIM, headers=world.headers(admin))
    assert invited.status_code == 201, invited.text
    body = invited.json()
    assert body["kind"] == "invite" and body["sent_by_sms"] is True
    assert body["staff"]["email"] == "kim@example.org" and body["staff"]["pending_link"] == "invite"
    assert body["link"].startswith(f"{world.settings.public_base_url}/staff/#/setup/")
    [sms] = await _rows(world, OutboundMessage, OutboundMessage.staff_id == body["staff"]["id"])
    assert (sms.purpose, sms.to_phone, sms.status) == ("staff_link", "+12025550160", "pending")
    assert body["link"] in sms.body and "invited" in sms.body
    # No password yet: nothing signs in, not even an empty guess at the placeholder.
    assert (await _login(client, "kim@example.org", "!unset")).status_code == 401

    done = await _setup(client, body["link"])
    assert done.status_code == 200 and done.json() == {"email": "kim@example.org"}
    signed_in = await _login(client, "kim@example.org", NEW_PASSWORD)
    assert signed_in.status_code == 200 and signed_in.json()["role"] == "clinician"
    again = await _setup(client, body["link"], "a second try at it")
    assert again.status_code == 401 and "no longer valid" in again.json()["detail"]
    assert (await _login(client, "kim@example.org", "a second try at it")).status_code == 401
    listed = {m["email"]: m for m in (await client.get("/api/v1/staff", headers=world.headers(admin))).json()}
    assert listed["kim@example.org"]["pending_link"] is None
    [event] = await _audit(world, "staff.invite")
    assert (event.actor, event.detail) == (f"staff:{admin.id}", {"role": "clinician", "sent_by_sms": True})
    [setup] = await _audit(world, "staff.password_set")
    assert setup.actor == f"staff:{body['staff']['id']}" and setup.detail["kind"] == "invite"


async def test_an_invitation_without_a_phone_is_only_shown_to_the_admin(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    admin = await world.staff(clinic, "admin")
    invited = await client.post("/api/v1/staff/invitations", json={**KIM, "phone": None},
                                headers=world.headers(admin))
    assert invited.status_code == 201 and invited.json()["sent_by_sms"] is False
    assert await _rows(world, OutboundMessage) == []
    duplicate = await client.post("/api/v1/staff/invitations", json={**KIM, "email": "KIM@example.org"},
                                  headers=world.headers(admin))
    assert duplicate.status_code == 409 and duplicate.json()["extra"][0]["key"] == "email"


async def test_a_link_stops_working_when_it_expires(client: AsyncClient, world: World, clock: FrozenClock) -> None:
    clinic = await world.clinic()
    admin = await world.staff(clinic, "admin")
    invited = (await client.post("/api/v1/staff/invitations", json=KIM, headers=world.headers(admin))).json()
    clock.advance(hours=world.settings.staff_link_ttl_hours, seconds=1)
    assert (await _setup(client, invited["link"])).status_code == 401
    listed = (await client.get(f"/api/v1/staff/{invited['staff']['id']}", headers=world.headers(admin))).json()
    assert listed["pending_link"] is None and listed["link_expires_at"] is None


async def test_a_forged_or_altered_link_is_refused(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    admin = await world.staff(clinic, "admin")
    invited = (await client.post("/api/v1/staff/invitations", json=KIM, headers=world.headers(admin))).json()
    staff_id, nonce, signature = _token(invited["link"]).split(".")
    other = await world.staff(clinic, "admin")
    for token in (f"{staff_id}.{nonce}.{signature[:-2]}AA", f"{other.id}.{nonce}.{signature}",
                  f"{staff_id}.{nonce}x.{signature}", "not-a-token", f"{staff_id}.{nonce}"):
        refused = await client.post(SETUP, json={"token": token, "password": NEW_PASSWORD})
        assert refused.status_code == 401, token
    assert (await _setup(client, invited["link"])).status_code == 200  # the real one still works


async def test_of_two_uses_at_once_exactly_one_sets_the_password(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    admin = await world.staff(clinic, "admin")
    invited = (await client.post("/api/v1/staff/invitations", json=KIM, headers=world.headers(admin))).json()
    answers = await asyncio.gather(*(_setup(client, invited["link"], f"password number {i}") for i in range(4)))
    assert Counter(a.status_code for a in answers) == {200: 1, 401: 3}
    winner = next(i for i, a in enumerate(answers) if a.status_code == 200)
    assert (await _login(client, "kim@example.org", f"password number {winner}")).status_code == 200


async def test_a_reset_ends_the_sessions_and_the_old_password_and_a_new_link_replaces_the_last(
    client: AsyncClient, world: World
) -> None:
    clinic = await world.clinic()
    admin = await world.staff(clinic, "admin")
    member = await world.staff(clinic, "clinician", phone="+12025550161")
    token = (await _login(client, member.email, PASSWORD)).json()["access_token"]
    signed_in = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/patients", headers=signed_in)).status_code == 200

    first = await client.post(f"/api/v1/staff/{member.id}/reset", headers=world.headers(admin))
    assert first.status_code == 200, first.text
    assert first.json()["kind"] == "reset" and first.json()["staff"]["pending_link"] == "reset"
    assert (await client.get("/api/v1/patients", headers=signed_in)).status_code == 401
    assert (await _login(client, member.email, PASSWORD)).status_code == 401
    second = (await client.post(f"/api/v1/staff/{member.id}/reset", headers=world.headers(admin))).json()
    assert (await _setup(client, first.json()["link"])).status_code == 401  # replaced
    assert (await _setup(client, second["link"])).status_code == 200
    assert (await _login(client, member.email, NEW_PASSWORD)).status_code == 200
    texts = await _rows(world, OutboundMessage, OutboundMessage.staff_id == member.id)
    assert [m.purpose for m in texts] == ["staff_link", "staff_link"]
    assert all("password was reset" in m.body for m in texts)
    events = await _audit(world, "staff.reset")
    assert [e.detail for e in events] == [{"sent_by_sms": True, "sessions_ended": True}] * 2


async def test_deactivating_withdraws_an_open_link_and_a_deactivated_member_cannot_be_reset(
    client: AsyncClient, world: World
) -> None:
    clinic = await world.clinic()
    admin = await world.staff(clinic, "admin")
    invited = (await client.post("/api/v1/staff/invitations", json=KIM, headers=world.headers(admin))).json()
    member_id = invited["staff"]["id"]
    off = await client.patch(f"/api/v1/staff/{member_id}", json={"active": False}, headers=world.headers(admin))
    assert off.status_code == 200 and off.json()["pending_link"] is None
    assert (await _setup(client, invited["link"])).status_code == 401
    refused = await client.post(f"/api/v1/staff/{member_id}/reset", headers=world.headers(admin))
    assert refused.status_code == 409 and refused.json()["extra"][0]["key"] == "active"


async def test_an_admins_own_password_is_reset_by_another_admin(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    admin = await world.staff(clinic, "admin")
    refused = await client.post(f"/api/v1/staff/{admin.id}/reset", headers=world.headers(admin))
    assert refused.status_code == 409 and "another admin" in refused.json()["detail"]
    assert (await client.get("/api/v1/staff", headers=world.headers(admin))).status_code == 200  # still signed in
    assert (await _login(client, admin.email, PASSWORD)).status_code == 200


async def test_the_last_active_admin_is_kept(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    alex = await world.staff(clinic, "admin")
    for change, field in (({"role": "clinician"}, "role"), ({"active": False}, "active")):
        refused = await client.patch(f"/api/v1/staff/{alex.id}", json=change, headers=world.headers(alex))
        assert refused.status_code == 409, change
        assert refused.json()["extra"][0]["key"] == field and "last active admin" in refused.json()["detail"]
    # A deactivated admin is no admin to fall back on.
    gone = await world.staff(clinic, "admin")
    assert (await client.patch(f"/api/v1/staff/{gone.id}", json={"active": False},
                               headers=world.headers(alex))).status_code == 200
    assert (await client.patch(f"/api/v1/staff/{alex.id}", json={"role": "staff"},
                               headers=world.headers(alex))).status_code == 409
    # With a second active admin, one may step down; then the other is the last.
    sam = await world.staff(clinic, "admin")
    stepped = await client.patch(f"/api/v1/staff/{alex.id}", json={"role": "clinician"}, headers=world.headers(alex))
    assert stepped.status_code == 200 and stepped.json()["role"] == "clinician"
    assert (await client.get("/api/v1/staff", headers=world.headers(alex))).status_code == 401  # session ended
    last = await client.patch(f"/api/v1/staff/{sam.id}", json={"active": False}, headers=world.headers(sam))
    assert last.status_code == 409
    # Another clinic's admins do not count.
    other = await world.clinic()
    await world.staff(other, "admin")
    assert (await client.patch(f"/api/v1/staff/{sam.id}", json={"role": "staff"},
                               headers=world.headers(sam))).status_code == 409


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    alex, sam = await world.staff(clinic, "admin"), await world.staff(clinic, "admin")
    answers = await asyncio.gather(
        client.patch(f"/api/v1/staff/{sam.id}", json={"role": "staff"}, headers=world.headers(alex)),
        client.patch(f"/api/v1/staff/{alex.id}", json={"role": "staff"}, headers=world.headers(sam)),
    )
    assert sorted(a.status_code for a in answers) in ([200, 401], [200, 409]), [a.text for a in answers]
    admins = await _rows(world, StaffMember, StaffMember.role == "admin", StaffMember.active.is_(True))
    assert len(admins) == 1


@pytest.mark.settings(login_max_failures=5)
async def test_unlock_clears_the_lockout_and_the_backoff_so_the_member_signs_in_at_once(
    client: AsyncClient, world: World, clock: FrozenClock
) -> None:
    clinic = await world.clinic()
    admin = await world.staff(clinic, "admin")
    member = await world.staff(clinic, "clinician")
    for i in range(world.settings.login_max_failures):
        failed = await waiting_out_backoff(clock, lambda i=i: _login(client, member.email, f"wrong {i}"))
        assert failed.status_code == 401
    assert (await _login(client, member.email, PASSWORD)).status_code == 423
    listed = (await client.get(f"/api/v1/staff/{member.id}", headers=world.headers(admin))).json()
    assert listed["locked_until"] is not None

    unlocked = await client.post(f"/api/v1/staff/{member.id}/unlock", headers=world.headers(admin))
    assert unlocked.status_code == 200 and unlocked.json()["locked_until"] is None
    assert await _rows(world, SignInThrottle, SignInThrottle.scope == "staff") == []
    assert (await _login(client, member.email, PASSWORD)).status_code == 200  # no clock advanced
    [event] = await _audit(world, "staff.unlock")
    assert (event.actor, event.subject, event.detail) == (f"staff:{admin.id}", f"staff:{member.id}",
                                                          {"was_locked": True})


async def test_unlock_clears_a_backoff_in_force(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    admin = await world.staff(clinic, "admin")
    member = await world.staff(clinic, "clinician")
    for i in range(world.settings.login_backoff_free_per_account):
        assert (await _login(client, member.email, f"wrong {i}")).status_code == 401
    assert (await _login(client, member.email, PASSWORD)).status_code == 429
    waiting = (await client.get("/api/v1/staff", headers=world.headers(admin))).json()
    assert [m["locked_until"] is not None for m in waiting if m["id"] == member.id] == [True]
    assert all(m["locked_until"] is None for m in waiting if m["id"] != member.id)
    assert (await client.post(f"/api/v1/staff/{member.id}/unlock", headers=world.headers(admin))).status_code == 200
    assert (await _login(client, member.email, PASSWORD)).status_code == 200
    # Unlocking a member who was not locked is harmless, and audited as such.
    again = await client.post(f"/api/v1/staff/{member.id}/unlock", headers=world.headers(admin))
    assert again.status_code == 200
    assert [e.detail for e in await _audit(world, "staff.unlock")] == [{"was_locked": True}, {"was_locked": False}]


@pytest.mark.parametrize("role", ["clinician", "staff"])
async def test_only_admins_manage_access(client: AsyncClient, world: World, role: str) -> None:
    clinic = await world.clinic()
    member = await world.staff(clinic, "clinician")
    caller = world.headers(await world.staff(clinic, role))
    calls = [
        client.post("/api/v1/staff/invitations", json=KIM, headers=caller),
        client.post(f"/api/v1/staff/{member.id}/reset", headers=caller),
        client.post(f"/api/v1/staff/{member.id}/unlock", headers=caller),
        client.patch(f"/api/v1/staff/{member.id}", json={"active": False}, headers=caller),
    ]
    for answer in [await call for call in calls]:
        assert answer.status_code == 403, answer.text
    for path in ("/invitations", f"/{member.id}/reset", f"/{member.id}/unlock"):
        assert (await client.post(f"/api/v1/staff{path}", json=KIM if "inv" in path else None)).status_code == 401
    assert await _rows(world, AuditEvent, AuditEvent.action.in_(["staff.invite", "staff.reset", "staff.unlock"])) == []


async def test_another_clinics_member_is_not_found(client: AsyncClient, world: World) -> None:
    clinic, other = await world.clinic(), await world.clinic()
    admin = world.headers(await world.staff(clinic, "admin"))
    stranger = await world.staff(other, "clinician")
    for path in (f"/{stranger.id}/reset", f"/{stranger.id}/unlock"):
        assert (await client.post(f"/api/v1/staff{path}", headers=admin)).status_code == 404
