"""An unexpected error: one log line with its traceback and the request's id, a 500 naming the id,
and nothing of the request (body, phone number, query) or of the exception's message in the log."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from companion.checkins import controllers, views
from tests.conftest import World
from tests.observability.conftest import Captured

PHONE = "+12025550142"


@pytest.fixture
def broken_history(monkeypatch: pytest.MonkeyPatch) -> None:
    """The patient's history read fails in the database, on a statement that carries the phone number."""

    async def history(session: AsyncSession, patient_id: int) -> Any:
        await session.execute(text("SELECT id FROM patient WHERE phone = :phone AND no_such_column = :id"),
                              {"phone": PHONE, "id": patient_id})

    monkeypatch.setattr(views, "history", history)


async def test_an_unexpected_error_is_logged_once_with_the_id_it_answers_with(
    client: AsyncClient, world: World, json_logs: Captured, broken_history: None
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PHONE)
    response = await client.get("/api/v1/me/history?search=" + PHONE.replace("+", "%2B"),
                                headers={**world.patient_headers(patient), "X-Request-ID": "edge-0001"})

    assert response.status_code == 500
    body = response.json()
    assert body["request_id"] == response.headers["x-request-id"] == "edge-0001"
    assert body["status_code"] == 500 and "no_such_column" not in response.text and PHONE not in response.text

    errors = [r for r in json_logs.records() if r["level"] == "ERROR"]
    assert len(errors) == 1
    [error] = errors
    assert error["request_id"] == "edge-0001"
    assert error["logger"] == "companion.web"
    assert error["message"].startswith("unexpected ") and "GET /api/v1/me/history" in error["message"]
    assert "Traceback (most recent call last):" in error["exception"]
    assert "in history" in error["exception"]  # the frame that raised
    assert "statement (parameters withheld): SELECT id FROM patient" in error["exception"]
    assert PHONE not in json_logs.getvalue() and "search=" not in json_logs.getvalue()


async def test_a_generated_id_is_the_one_logged(
    client: AsyncClient, world: World, json_logs: Captured, broken_history: None
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PHONE)
    response = await client.get("/api/v1/me/history", headers=world.patient_headers(patient))
    assert response.status_code == 500
    [error] = [r for r in json_logs.records() if r["level"] == "ERROR"]
    assert error["request_id"] == response.json()["request_id"] == response.headers["x-request-id"]


async def test_domain_errors_keep_their_status_and_log_no_error(
    client: AsyncClient, world: World, json_logs: Captured
) -> None:
    clinic = await world.clinic()
    admin = await world.staff(clinic, role="admin")
    missing = await client.get("/api/v1/patients/999999", headers=world.headers(admin))
    unauthenticated = await client.get("/api/v1/patients")
    assert (missing.status_code, unauthenticated.status_code) == (404, 401)
    assert "request_id" not in missing.json()
    assert [r for r in json_logs.records() if r["level"] in ("ERROR", "CRITICAL")] == []


async def test_a_record_written_during_a_request_carries_its_id(
    client: AsyncClient, json_logs: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crisis_resources() -> Any:
        logging.getLogger("companion.test").warning("reading the crisis resources")
        return original()

    original = controllers.crisis_resources
    monkeypatch.setattr(controllers, "crisis_resources", crisis_resources)
    response = await client.get("/api/v1/crisis", headers={"X-Request-ID": "crisis-read-1"})
    assert response.status_code == 200
    [record] = [r for r in json_logs.records() if r["logger"] == "companion.test"]
    assert record["request_id"] == "crisis-read-1" and record["message"] == "reading the crisis resources"
    logging.getLogger("companion.test").warning("outside a request")
    assert "request_id" not in json_logs.records()[-1]
