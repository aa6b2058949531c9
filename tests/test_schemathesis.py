"""Schemathesis runs every operation of the app's own /schema/openapi.json against the app in
process, three times: signed out, as an admin and as a patient. No answer may be a server error,
and every answer must be one the description documents: its status code, its content type, and a
body that matches its schema.

Examples per operation are bounded (MAX_EXAMPLES in the fuzzing phase, plus the schema's explicit
examples and the coverage phase's boundary cases) so that the run stays short; the seed is fixed
so that CI runs the same cases each time (set COMPANION_SCHEMATHESIS_SEED and
COMPANION_SCHEMATHESIS_EXAMPLES to explore further).

Generated requests cannot carry a valid Twilio signature, so here the webhooks only ever answer
their documented 403; their signed path (TwiML, 204) is tested with real signatures in
tests/messaging."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
import schemathesis
from litestar import Litestar
from schemathesis import checks
from schemathesis.config import SchemathesisConfig

from companion.app import create_app
from companion.clock import FrozenClock
from companion.db import create_engine
from tests.conftest import START, World, clean, make_settings

MAX_EXAMPLES = int(os.environ.get("COMPANION_SCHEMATHESIS_EXAMPLES", "10"))
SEED = int(os.environ.get("COMPANION_SCHEMATHESIS_SEED", "20261127"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
CONFIG = SchemathesisConfig.from_dict({
    "seed": SEED,
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES},
    # Runs that follow links from one operation's answer to the next are not part of this check.
    "phases": {"stateful": {"enabled": False}},
    "operations": [{
        # Every sign-in attempt verifies an argon2 hash, slow on purpose: fuzzing alone, no boundary cases.
        "include-path": "/api/v1/auth/staff/login",
        "phases": {"coverage": {"enabled": False}},
    }],
})


def without_lifespan(app: Litestar) -> Any:
    """The app without its startup and shutdown, as the other HTTP tests run it: the lifespan only
    starts the embedded workers, which answer no request."""

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            raise RuntimeError("no lifespan here")  # refused before any message: "not supported"
        await app(scope, receive, send)

    return asgi


# A protocol file may be sent as TOML: its text goes on the wire as it is, as for text/plain.
schemathesis.serializer.alias("application/toml", "text/plain")

# The description is read from an app of its own (the test database is only known once the tests
# run); every call below goes to the app under test, built from the same code.
_DESCRIBED = create_app(make_settings("sqlite+aiosqlite://"))
schema = schemathesis.openapi.from_asgi("/schema/openapi.json", without_lifespan(_DESCRIBED), config=CONFIG)


@dataclass
class Api:
    app: Any
    headers: dict[str, dict[str, str]]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def api(migrated: str) -> AsyncIterator[Api]:
    """One app and one clinic (an admin, a clinician, a patient) for the whole run. Schemathesis
    drives the app on an event loop of its own, so the app's engine keeps no connection between
    requests (none made on one loop is used on another)."""
    settings = make_settings(migrated)
    clock = FrozenClock(START)
    engine = create_engine(settings)
    await clean(engine)
    world = World(engine, settings, clock)
    clinic = await world.clinic()
    admin = await world.staff(clinic, "admin")
    await world.staff(clinic, "clinician")
    patient = await world.patient(clinic)
    app = create_app(settings, clock=clock, engine=create_engine(settings, pooled=False))
    yield Api(without_lifespan(app), {
        "signed out": {}, "admin": world.headers(admin), "patient": world.patient_headers(patient),
    })
    await clean(engine)
    await engine.dispose()


@pytest.fixture(scope="module", params=["signed out", "admin", "patient"])
def caller(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@schema.parametrize()
def test_every_operation_answers_as_described(case: schemathesis.Case, api: Api, caller: str) -> None:
    case.call_and_validate(app=api.app, headers=api.headers[caller], checks=CHECKS)
