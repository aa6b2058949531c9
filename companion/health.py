"""Liveness and readiness."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Controller, Response, get
from litestar.datastructures import State
from sqlalchemy import text

from companion.migrate import current_revision, head_revision


@dataclass
class Readiness:
    ready: bool
    database: str
    migrations: str
    revision: str | None = None
    head: str | None = None


async def check_readiness(state: State) -> Readiness:
    engine = state.engine
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        revision = await current_revision(engine)
    except Exception:
        return Readiness(ready=False, database="unreachable", migrations="unknown")
    head = head_revision()
    at_head = revision == head
    return Readiness(
        ready=at_head,
        database="ok",
        migrations="at head" if at_head else "behind head: run `companion migrate`",
        revision=revision,
        head=head,
    )


class HealthController(Controller):
    tags = ["health"]

    @get("/health")
    async def health(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready")
    async def ready(self, state: State) -> Response[Readiness]:
        readiness = await check_readiness(state)
        return Response(readiness, status_code=200 if readiness.ready else 503)
