"""GET /metrics: Prometheus' text format, when COMPANION_METRICS_ENABLED is set."""

from __future__ import annotations

from litestar import Controller, Request, Response, get
from litestar.datastructures import State

from companion.metrics import services
from companion.metrics.services import CONTENT_TYPE


class MetricsController(Controller):
    include_in_schema = False

    @get("/metrics")
    async def metrics(self, request: Request, state: State) -> Response[bytes]:
        body = await services.scrape(state.sessionmaker, state.clock, state.settings,
                                     request.headers.get("authorization"))
        return Response(body, media_type=CONTENT_TYPE)
