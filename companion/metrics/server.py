"""The scheduler process's own /metrics (COMPANION_METRICS_JOBS_PORT): its dispatcher's send
latency and provider errors live in that process, so it answers scrapes itself. Served with
aiohttp on the jobs' event loop; the same access rules and the same text as the API's /metrics."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from companion.clock import Clock
from companion.errors import DomainError
from companion.metrics import services
from companion.settings import Settings

log = logging.getLogger("companion.metrics")


@dataclass
class MetricsServer:
    runner: web.AppRunner
    port: int  # the port bound (the one asked for, or the one the system chose for 0)

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_metrics_server(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, *, port: int
) -> MetricsServer:
    async def handle(request: web.Request) -> web.Response:
        try:
            body = await services.scrape(sessionmaker, clock, settings, request.headers.get("Authorization"))
        except DomainError as exc:
            return web.Response(status=exc.status_code, text=exc.message)
        return web.Response(body=body, headers={"Content-Type": services.CONTENT_TYPE})

    app = web.Application()
    app.router.add_get("/metrics", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.metrics_jobs_host, port)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port
    log.info("scheduler metrics on http://%s:%s/metrics", settings.metrics_jobs_host, bound)
    return MetricsServer(runner, bound)
