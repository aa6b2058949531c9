"""The scheduler process's own /metrics port: the same text and the same token as the API's."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from companion.clock import FrozenClock
from companion.db import create_sessionmaker
from companion.metrics.server import start_metrics_server
from companion.settings import Settings
from tests.metrics.conftest import parse, value

TOKEN = "jobs-scrape-token-0123456789"


async def test_the_jobs_port_serves_metrics_behind_the_token(
    settings: Settings, engine: AsyncEngine, clock: FrozenClock
) -> None:
    enabled = settings.model_copy(update={"metrics_enabled": True, "metrics_token": TOKEN})
    server = await start_metrics_server(enabled, create_sessionmaker(engine), clock, port=0)
    try:
        url = f"http://127.0.0.1:{server.port}/metrics"
        async with httpx.AsyncClient() as http:
            refused = await http.get(url)
            scraped = await http.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
    finally:
        await server.stop()
    assert refused.status_code == 401
    assert scraped.status_code == 200
    samples = parse(scraped.text)
    assert value(samples, "companion_database_up") == 1
    assert value(samples, "companion_inbound_backlog", priority="urgent") == 0


async def test_the_jobs_port_is_404_while_metrics_are_off(
    settings: Settings, engine: AsyncEngine, clock: FrozenClock
) -> None:
    server = await start_metrics_server(settings, create_sessionmaker(engine), clock, port=0)
    try:
        async with httpx.AsyncClient() as http:
            response = await http.get(f"http://127.0.0.1:{server.port}/metrics")
    finally:
        await server.stop()
    assert response.status_code == 404
