from __future__ import annotations

from datetime import timedelta

import pytest
from httpx import AsyncClient

from companion.auth import tokens
from companion.clock import FrozenClock
from tests.conftest import PASSWORD, World, waiting_out_backoff


async def _login(client: AsyncClient, email: str, password: str) -> tuple[int, dict]:
    response = await client.post("/api/v1/auth/staff/login", json={"email": email, "password": password})
    return response.status_code, response.json()


async def test_login_returns_a_working_token(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    member = await world.staff(clinic, "clinician", email="Casey@Example.org")
    status, body = await _login(client, "casey@example.org", PASSWORD)
    assert status == 200, body
    assert body["role"] == "clinician"
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert (await client.get("/api/v1/patients", headers=headers)).status_code == 200
    assert member.id is not None


async def test_wrong_password_and_unknown_email_answer_alike(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    await world.staff(clinic, email="a@example.org")
    status_wrong, body_wrong = await _login(client, "a@example.org", "not the password")
    status_unknown, body_unknown = await _login(client, "nobody@example.org", PASSWORD)
    assert status_wrong == status_unknown == 401
    assert body_wrong["detail"] == body_unknown["detail"]


async def test_repeated_failures_lock_the_account_for_a_while(
    client: AsyncClient, world: World, clock: FrozenClock
) -> None:
    clinic = await world.clinic()
    await world.staff(clinic, email="lock@example.org")
    for _ in range(world.settings.login_max_failures):
        # The account backs off before it locks: a client waits the Retry-After out.
        response = await waiting_out_backoff(
            clock, lambda: client.post("/api/v1/auth/staff/login", json={"email": "lock@example.org", "password": "x"})
        )
        assert response.status_code == 401
    status, body = await _login(client, "lock@example.org", PASSWORD)
    assert status == 423, body
    clock.advance(minutes=world.settings.login_lockout_minutes + 1)
    assert (await _login(client, "lock@example.org", PASSWORD))[0] == 200


async def test_inactive_account_cannot_sign_in_and_its_token_stops_working(
    client: AsyncClient, world: World
) -> None:
    clinic = await world.clinic()
    admin = await world.staff(clinic, "admin")
    member = await world.staff(clinic, "clinician", email="gone@example.org")
    headers = world.headers(member)
    response = await client.patch(f"/api/v1/staff/{member.id}", json={"active": False}, headers=world.headers(admin))
    assert response.status_code == 200
    assert (await _login(client, "gone@example.org", PASSWORD))[0] == 401
    assert (await client.get("/api/v1/patients", headers=headers)).status_code == 401


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Basic abc", "Bearer not-a-token", "Bearer eyJ.forged"],
)
async def test_missing_or_malformed_token_is_refused(client: AsyncClient, world: World, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = await client.get("/api/v1/patients", headers=headers)
    assert response.status_code == 401


async def test_expired_and_forged_tokens_are_refused(client: AsyncClient, world: World, clock: FrozenClock) -> None:
    clinic = await world.clinic()
    member = await world.staff(clinic)
    headers = world.headers(member)
    assert (await client.get("/api/v1/patients", headers=headers)).status_code == 200
    clock.advance(timedelta(days=61))
    assert (await client.get("/api/v1/patients", headers=headers)).status_code == 401
    claims = tokens.make_claims("staff", member.id or 0, clinic.id or 0, "admin", clock.now(), timedelta(hours=1))
    forged = tokens.issue("some-other-secret-value", claims)
    response = await client.get("/api/v1/patients", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


PATIENT = {"reference": "P-7", "display_name": "Robin", "phone": "+12025550177", "timezone": "America/New_York"}


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "allowed"),
    [
        ("admin", "GET", "/api/v1/staff", None, True),
        ("clinician", "GET", "/api/v1/staff", None, False),
        ("staff", "GET", "/api/v1/staff", None, False),
        ("admin", "GET", "/api/v1/clinics", None, True),
        ("clinician", "GET", "/api/v1/clinics", None, False),
        ("staff", "GET", "/api/v1/patients", None, True),
        ("clinician", "POST", "/api/v1/patients", PATIENT, True),
        ("admin", "POST", "/api/v1/patients", PATIENT, True),
        ("staff", "POST", "/api/v1/patients", PATIENT, False),
    ],
)
async def test_roles_are_enforced_per_endpoint(
    client: AsyncClient, world: World, role: str, method: str, path: str, body: dict | None, allowed: bool
) -> None:
    clinic = await world.clinic()
    member = await world.staff(clinic, role)
    response = await client.request(method, path, json=body, headers=world.headers(member))
    assert (response.status_code < 400) is allowed, response.text
    if not allowed:
        assert response.status_code == 403


async def test_role_change_takes_effect_on_existing_tokens(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    admin = await world.staff(clinic, "admin")
    other = await world.staff(clinic, "admin")
    headers = world.headers(other)
    assert (await client.get("/api/v1/staff", headers=headers)).status_code == 200
    response = await client.patch(f"/api/v1/staff/{other.id}", json={"role": "staff"}, headers=world.headers(admin))
    assert response.status_code == 200
    # The old token is ended; a new sign-in carries the new role, which the endpoint refuses.
    assert (await client.get("/api/v1/staff", headers=headers)).status_code == 401
    status, body = await _login(client, other.email, PASSWORD)
    assert status == 200 and body["role"] == "staff"
    fresh = {"Authorization": f"Bearer {body['access_token']}"}
    assert (await client.get("/api/v1/staff", headers=fresh)).status_code == 403
