"""Liveness and readiness."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy import text

from companion.clinical import language
from companion.migrate import current_revision, head_revision
from companion.scheduling.heartbeat import scheduler_health


@dataclass
class Readiness:
    ready: bool
    database: str
    migrations: str
    scheduler: str = "unknown"
    risk_language: str = "unknown"
    protocol: str = "unknown"
    revision: str | None = None
    head: str | None = None


async def check_readiness(state: State) -> Readiness:
    engine = state.engine
    protocol_ok, protocol = state.protocols.status()
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        revision = await current_revision(engine)
    except Exception:
        return Readiness(ready=False, database="unreachable", migrations="unknown",
                         risk_language=language.status()[1], protocol=protocol)
    head = head_revision()
    at_head = revision == head
    if at_head:
        async with state.sessionmaker() as session:
            protocol_ok, protocol = await state.protocols.check(session)
    scheduler = "unknown"
    ticking = True
    if at_head:
        async with state.sessionmaker() as session:
            health = await scheduler_health(session, state.clock)
        ticking = not health.stalled
        if not health.seen:
            scheduler = "not seen yet: is `companion jobs` running?"
        elif health.stalled:
            scheduler = f"stalled: {', '.join(health.stalled)}"
        else:
            scheduler = "ticking"
    reading, risk_language = language.status()
    return Readiness(
        ready=at_head and ticking and reading and protocol_ok,
        risk_language=risk_language,
        protocol=protocol,
        database="ok",
        migrations="at head" if at_head else "behind head: run `companion migrate`",
        scheduler=scheduler,
        revision=revision,
        head=head,
    )


class HealthController(Controller):
    tags = ["health"]

    @get("/health")
    async def health(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready", responses={503: ResponseSpec(Readiness, description="Not ready: the fields say what is missing.")})
    async def ready(self, state: State) -> Response[Readiness]:
        readiness = await check_readiness(state)
        return Response(readiness, status_code=200 if readiness.ready else 503)
