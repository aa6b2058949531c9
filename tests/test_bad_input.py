"""Bad input gets a 400 naming the field, never a 500: an id past the database's integers in every
path, an offset past 2^63 in every query, a datetime at the ends of the calendar in every body, and
a body nested a thousand deep. The tables come from the app's own description, so a new route is
covered the day it is added."""

from __future__ import annotations

import json
from typing import Any

import pytest
from httpx import AsyncClient

from companion.app import create_app
from tests.conftest import World, make_settings

_SPEC: dict[str, Any] = create_app(
    make_settings("sqlite+aiosqlite://")
).openapi_schema.to_schema()
SCHEMAS: dict[str, Any] = _SPEC["components"]["schemas"]
OPERATIONS = [
    (method.upper(), path, operation)
    for path, item in _SPEC["paths"].items()
    for method, operation in item.items()
    if method in {"get", "post", "patch", "put", "delete"}
]


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return SCHEMAS[ref.rsplit("/", 1)[1]] if ref else schema


def _is_datetime(schema: dict[str, Any]) -> bool:
    schema = _resolve(schema)
    return schema.get("format") == "date-time" or any(_is_datetime(s) for s in schema.get("oneOf", []))


def _json_body(operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {})
    return _resolve(content["application/json"]["schema"]) if "application/json" in content else None


def _params(operation: dict[str, Any], where: str) -> list[dict[str, Any]]:
    return [p for p in operation.get("parameters", []) if p["in"] == where]


def _url(path: str, operation: dict[str, Any], **values: str) -> str:
    for param in _params(operation, "path"):
        path = path.replace("{" + param["name"] + "}", values.get(param["name"], "1"))
    return path


PATH_IDS = [
    (method, path, operation, param["name"])
    for method, path, operation in OPERATIONS
    for param in _params(operation, "path")
]
QUERY_INTEGERS = [
    (method, path, operation, param["name"])
    for method, path, operation in OPERATIONS
    for param in _params(operation, "query")
    if param["schema"].get("type") == "integer" or "integer" in str(param["schema"].get("oneOf", ""))
]
BODY_DATETIMES = [
    (method, path, operation, name)
    for method, path, operation in OPERATIONS
    if (body := _json_body(operation)) is not None
    for name, schema in body.get("properties", {}).items()
    if _is_datetime(schema)
]
JSON_BODIES = [(method, path, operation) for method, path, operation in OPERATIONS if _json_body(operation) is not None]
# A body that passes its own checks, so that the one bad value is the request's only fault.
VALID_BODIES: dict[str, dict[str, Any]] = {
    "AlertResolve": {"note": "called the patient back"},
    "StaffMessageCreate": {"body": "Please call the clinic today."},
    "TreatmentSessionCreate": {"modality": "iv", "started_at": "2026-11-27T09:00:00Z"},
    "OncallPositionWrite": {"rotation": [1], "handoff": "mon 09:00"},
    "OncallOverrideCreate": {"staff_id": 1, "starts_at": "2026-11-28T09:00:00Z", "ends_at": "2026-11-29T09:00:00Z"},
}


def _valid_body(operation: dict[str, Any]) -> dict[str, Any] | None:
    body = _json_body(operation)
    return None if body is None else dict(VALID_BODIES.get(body.get("title", ""), {}))


def test_the_tables_cover_the_api() -> None:
    """Guards the derivation above: if the description stopped listing these, the tables would shrink."""
    assert {row[3] for row in PATH_IDS} >= {"patient_id", "alert_id", "clinic_id", "staff_id", "session_id"}
    assert {row[3] for row in QUERY_INTEGERS} >= {"offset", "limit", "patient_id"}
    assert {row[3] for row in BODY_DATETIMES} >= {"started_at", "ended_at"}
    assert len(PATH_IDS) >= 17 and len(JSON_BODIES) >= 12


@pytest.fixture
async def as_anyone(world: World) -> dict[str, dict[str, str]]:
    """Headers that pass each route's guard: an admin for staff routes, a patient for the patient's."""
    clinic = await world.clinic()
    admin = await world.staff(clinic, "admin")
    patient = await world.patient(clinic)
    return {"staffToken": world.headers(admin), "patientToken": world.patient_headers(patient)}


def _headers(operation: dict[str, Any], as_anyone: dict[str, dict[str, str]]) -> dict[str, str]:
    schemes = [name for requirement in operation.get("security") or [] for name in requirement]
    return as_anyone[schemes[0]] if schemes else {}


def _fault(response: Any, field: str) -> str | None:
    """What is wrong with the answer to a request whose only fault is ``field``, if anything."""
    if response.status_code != 400:
        return f"{response.status_code} {response.text[:200]}"
    body = response.json()
    if body.get("status_code") != 400 or field not in [e.get("key") for e in body.get("extra", [])]:
        return f"400 not naming {field}: {body}"
    return None


# Each test runs its whole table and reports every row that fails (one app and one world per
# table keeps the suite fast).

ID_VALUES = ["99999999999999999999", "9223372036854775808", "2147483648", "0", "-1"]


async def test_an_id_that_cannot_exist_is_a_400_naming_it(
    client: AsyncClient, as_anyone: dict[str, dict[str, str]]
) -> None:
    faults = []
    for method, path, operation, name in PATH_IDS:
        for value in ID_VALUES:
            response = await client.request(method, _url(path, operation, **{name: value}),
                                            json=_valid_body(operation), headers=_headers(operation, as_anyone))
            if fault := _fault(response, name):
                faults.append(f"{method} {path} {name}={value}: {fault}")
    assert faults == []


QUERY_VALUES = ["99999999999999999999", "18446744073709551616", "9223372036854775808", "-1"]


async def test_a_number_out_of_range_in_a_query_is_a_400_naming_it(
    client: AsyncClient, as_anyone: dict[str, dict[str, str]]
) -> None:
    faults = []
    for method, path, operation, name in QUERY_INTEGERS:
        for value in QUERY_VALUES:
            response = await client.request(method, _url(path, operation), params={name: value},
                                            headers=_headers(operation, as_anyone))
            if fault := _fault(response, name):
                faults.append(f"{method} {path} ?{name}={value}: {fault}")
    assert faults == []


DATETIME_VALUES = ["9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59Z",
                   "1800-01-01T00:00:00Z"]


async def test_a_datetime_out_of_range_in_a_body_is_a_400_naming_it(
    client: AsyncClient, as_anyone: dict[str, dict[str, str]]
) -> None:
    faults = []
    for method, path, operation, name in BODY_DATETIMES:
        for value in DATETIME_VALUES:
            body = {**(_valid_body(operation) or {}), name: value}
            response = await client.request(method, _url(path, operation), json=body,
                                            headers=_headers(operation, as_anyone))
            if fault := _fault(response, name):
                faults.append(f"{method} {path} {name}={value}: {fault}")
    assert faults == []


NESTED = ["[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000]


async def test_a_body_nested_too_deep_is_a_400_naming_the_body(
    client: AsyncClient, as_anyone: dict[str, dict[str, str]]
) -> None:
    faults = []
    for method, path, operation in JSON_BODIES:
        for nested in NESTED:
            headers = {**_headers(operation, as_anyone), "content-type": "application/json"}
            response = await client.request(method, _url(path, operation), content=nested, headers=headers)
            if fault := _fault(response, "body"):
                faults.append(f"{method} {path} {nested[:8]}...: {fault}")
    assert faults == []


async def test_a_body_within_the_depth_still_reaches_its_checks(
    client: AsyncClient, as_anyone: dict[str, dict[str, str]]
) -> None:
    """The guard refuses depth, not bodies: a deep-ish answer is the instrument's to judge."""
    nested: Any = 1
    for _ in range(20):
        nested = {"a": nested}
    response = await client.post(
        "/api/v1/me/checkins", content=json.dumps({"instrument": "mood", "answers": {"mood": nested}}),
        headers={**as_anyone["patientToken"], "content-type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert [e["key"] for e in response.json()["extra"]] == ["answers.mood"]
