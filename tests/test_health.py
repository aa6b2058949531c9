from __future__ import annotations

import pytest
from httpx import AsyncClient

from companion.clinical import language
from companion.clinical.language.vocabulary import VocabularyError


async def test_health_is_alive(client: AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_reports_database_at_head(client: AsyncClient) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["ready"] is True
    assert body["revision"] == body["head"]
    assert body["risk_language"].startswith("ok")


async def test_ready_says_when_risk_language_cannot_be_read(
    client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> object:
        raise VocabularyError("vocabulary.toml: broken")

    monkeypatch.setattr(language, "load_vocabulary", broken)
    response = await client.get("/ready")
    assert response.status_code == 503
    assert response.json()["risk_language"].startswith("failing, every message is judged uncertain")


async def test_openapi_schema_is_served(client: AsyncClient) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/patients" in response.json()["paths"]
