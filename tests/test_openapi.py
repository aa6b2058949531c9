"""The API description at /schema/openapi.json says what the API does: a client generated from it
sends the right bodies and expects the right answers."""

from __future__ import annotations

import json
import re
from datetime import time
from typing import Any

import pytest
from httpx import AsyncClient
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute
from pydantic import TypeAdapter

from companion.openapi import LOCAL_TIME_PATTERN
from companion.schemas import LocalTime
from tests.conftest import World


@pytest.fixture
async def spec(client: AsyncClient) -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), p, op) for p, item in spec["paths"].items() for m, op in item.items()]


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


async def test_times_of_day_are_local_times_not_durations(spec: dict[str, Any]) -> None:
    assert '"duration"' not in json.dumps(spec)
    schemas = spec["components"]["schemas"]
    for model, field in [("PatientRead", "preferred_checkin_time"), ("PatientCreate", "preferred_checkin_time"),
                         ("PatientProfileRead", "quiet_start"), ("PatientSettingsUpdate", "quiet_end")]:
        text = json.dumps(schemas[model]["properties"][field])
        assert LOCAL_TIME_PATTERN.replace("\\", "\\\\") in text, (model, field, text)


@pytest.mark.parametrize(
    ("text", "matches"),
    [("09:30", True), ("10:00:00", True), ("23:59:59.500000", True), ("00:00", True),
     ("24:00", False), ("9:30", False), ("09:30Z", False), ("09:30+01:00", False), ("PT9H30M", False)],
)
def test_the_local_time_pattern_is_what_the_api_reads_and_writes(text: str, matches: bool) -> None:
    assert bool(re.fullmatch(LOCAL_TIME_PATTERN, text)) is matches
    if matches:  # what the description allows, the API accepts
        assert isinstance(TypeAdapter(LocalTime).validate_python(text), time)


async def test_twilio_webhooks_take_a_form_and_answer_twiml_or_plain_text(spec: dict[str, Any]) -> None:
    for path in ("/webhooks/twilio/sms", "/webhooks/twilio/status"):
        operation = spec["paths"][path]["post"]
        assert list(operation["requestBody"]["content"]) == ["application/x-www-form-urlencoded"]
        form = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
        assert "MessageSid" in form["required"]
        assert [p["name"] for p in operation["parameters"] if p["in"] == "header"] == ["X-Twilio-Signature"]
        for status in ("400", "403"):
            assert list(operation["responses"][status]["content"]) == ["text/plain"]
    sms = spec["paths"]["/webhooks/twilio/sms"]["post"]["responses"]
    assert list(sms["200"]["content"]) == ["application/xml"]
    status = spec["paths"]["/webhooks/twilio/status"]["post"]["responses"]
    assert "204" in status and "200" not in status and not status["204"].get("content")


async def test_unsigned_webhooks_get_the_documented_403(client: AsyncClient) -> None:
    for path in ("/webhooks/twilio/sms", "/webhooks/twilio/status"):
        response = await client.post(path, data={"MessageSid": "SM1", "From": "+12025550142",
                                                 "MessageStatus": "delivered"})
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/plain")


def _handlers(app: Litestar) -> list[tuple[str, str, HTTPRouteHandler]]:
    return [
        (method, route.path_format, handler)
        for route in app.routes if isinstance(route, HTTPRoute)
        for handler in route.route_handlers if handler.resolve_include_in_schema()
        for method in handler.http_methods
    ]


async def test_guarded_routes_declare_their_bearer_scheme_and_their_refusals(
    app: Litestar, spec: dict[str, Any]
) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert set(schemes) == {"staffToken", "patientToken"}
    assert all(s["type"] == "http" and s["scheme"] == "bearer" for s in schemes.values())
    checked = 0
    for method, path, handler in _handlers(app):
        operation = spec["paths"][path.rstrip("/") or "/"][method.lower()]
        dependencies = handler.resolve_dependencies()
        expected = ("staffToken" if "staff" in dependencies else "patientToken" if "patient" in dependencies
                    else None)
        if expected is None:
            assert not operation.get("security"), (method, path)
            continue
        checked += 1
        assert operation["security"] == [{expected: []}], (method, path)
        assert "401" in operation["responses"], (method, path)
        if handler.opt.get("roles"):
            assert "403" in operation["responses"], (method, path)
        if "{" in path:
            assert "404" in operation["responses"], (method, path)
    assert checked >= 25


async def test_refusals_that_only_some_routes_give_are_documented_there(spec: dict[str, Any]) -> None:
    responses = {(m, p): set(op["responses"]) for m, p, op in _operations(spec)}
    assert {"401", "423"} <= responses[("POST", "/api/v1/auth/staff/login")]
    assert "429" in responses[("POST", "/api/v1/auth/patient/code")]
    # The backoff per number refuses guesses too; setting a password waits for the password pool.
    assert {"401", "429"} <= responses[("POST", "/api/v1/auth/patient/verify")]
    assert "429" in responses[("POST", "/api/v1/staff")]
    assert "429" in responses[("PATCH", "/api/v1/staff/{staff_id}")]
    assert {"200", "201", "404", "409"} <= responses[("POST", "/api/v1/me/checkins")]
    assert "503" in responses[("GET", "/ready")]
    error = spec["components"]["schemas"]["ErrorBody"]
    assert set(error["required"]) == {"status_code", "detail"}


async def test_request_bodies_say_they_refuse_unknown_fields(spec: dict[str, Any]) -> None:
    bodies = 0
    for method, path, operation in _operations(spec):
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            bodies += 1
            schema = _resolve(spec, content["application/json"]["schema"])
            assert schema.get("additionalProperties") is False, (method, path)
    assert bodies >= 12
    # Responses may grow fields: a read model says nothing of the kind.
    assert "additionalProperties" not in spec["components"]["schemas"]["PatientRead"]


async def test_a_body_with_an_unknown_field_is_refused_as_described(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    headers = world.headers(await world.staff(clinic, "admin"))
    response = await client.patch(f"/api/v1/clinics/{clinic.id}", json={"name": "New", "colour": "red"},
                                  headers=headers)
    assert response.status_code == 400
    assert "colour" in response.json()["detail"]
