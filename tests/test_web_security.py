"""Security headers on every answer, no-store on the API's, and HEAD wherever GET is answered."""

from __future__ import annotations

import re

import pytest
from httpx import AsyncClient
from litestar import Litestar
from litestar.routes import HTTPRoute

from companion.web_security import CONTENT_SECURITY_POLICY, SECURITY_HEADERS
from tests.conftest import PASSWORD, World

EXPECTED = {name.decode(): value.decode() for name, value in SECURITY_HEADERS if name != b"cache-control"}
PER_REQUEST = {"date", "x-request-id"}


def test_the_policy_allows_only_the_apps_own_origin() -> None:
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["default-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    for name in ("script-src", "style-src", "img-src", "connect-src", "manifest-src", "worker-src"):
        assert directives[name] == "'self'", name
    assert "unsafe" not in CONTENT_SECURITY_POLICY and "http" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    ("path", "cache_control"),
    [
        ("/", "no-cache"),
        ("/staff/", "no-cache"),
        ("/app.js", "no-cache"),
        ("/sw.js", "no-cache"),
        ("/health", "no-store"),
        ("/api/v1/crisis", "no-store"),
        ("/api/v1/patients", "no-store"),  # 401
        ("/no/such/page", "no-store"),  # 404
        ("/schema/openapi.json", "no-store"),
    ],
)
async def test_every_answer_carries_the_security_headers(client: AsyncClient, path: str, cache_control: str) -> None:
    response = await client.get(path)
    for name, value in EXPECTED.items():
        assert response.headers[name] == value, name
    assert response.headers["cache-control"] == cache_control


async def test_answers_that_carry_a_token_are_never_stored(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    member = await world.staff(clinic, email="casey@example.org")
    login = await client.post("/api/v1/auth/staff/login", json={"email": member.email, "password": PASSWORD})
    assert login.status_code == 200 and "access_token" in login.json()
    assert login.headers["cache-control"] == "no-store"
    refused = await client.post("/api/v1/auth/patient/link", json={"token": "1.a.b"})
    assert refused.status_code == 401 and refused.headers["cache-control"] == "no-store"


async def test_the_schema_is_served_as_json_only(client: AsyncClient) -> None:
    assert (await client.get("/schema/openapi.json")).status_code == 200
    for viewer in ("/schema/swagger", "/schema/redoc", "/schema/elements"):
        assert (await client.get(viewer)).status_code == 404


def _concrete(path: str, ids: dict[str, int]) -> str:
    def fill(match: re.Match[str]) -> str:
        name, kind = match.group(1), match.group(2)
        return "index.html" if kind == "path" else str(ids.get(name, 1))

    return re.sub(r"\{(\w+):(\w+)\}", fill, path)


async def test_every_get_route_answers_head_alike_without_a_body(
    app: Litestar, client: AsyncClient, world: World
) -> None:
    clinic = await world.clinic()
    admin = await world.staff(clinic, role="admin")
    patient = await world.patient(clinic)
    ids = {"clinic_id": clinic.id or 0, "staff_id": admin.id or 0, "patient_id": patient.id or 0}
    paths = sorted({_concrete(route.path, ids) for route in app.routes
                    if isinstance(route, HTTPRoute) and "GET" in route.methods})
    assert {"/", "/staff", "/health", "/ready", "/api/v1/me/history", "/api/v1/patients"} <= set(paths)
    for path in paths:
        headers = world.patient_headers(patient) if path.startswith("/api/v1/me") else world.headers(admin)
        get = await client.get(path, headers=headers)
        head = await client.head(path, headers=headers)
        assert head.status_code == get.status_code != 405, path
        assert head.content == b"", path
        same = {k: v for k, v in get.headers.items() if k not in PER_REQUEST}
        assert {k: v for k, v in head.headers.items() if k not in PER_REQUEST} == same, path
        assert int(head.headers["content-length"]) == len(get.content), path
