"""Shared fixtures: a migrated database (SQLite always, PostgreSQL when
COMPANION_TEST_DATABASE_URL is set), a frozen clock, the app and an HTTP client."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from companion.app import create_app
from companion.auth import tokens
from companion.auth.passwords import hash_password
from companion.clinical.protocol import Protocol
from companion.clock import FrozenClock
from companion.db import create_engine, create_sessionmaker, metadata
from companion.migrate import upgrade
from companion.models import Clinic, Patient, StaffMember
from companion.protocols import ProtocolSource
from companion.settings import Settings
from tests.fakes.fake_twilio import FakeTwilio

PG_URL = os.environ.get("COMPANION_TEST_DATABASE_URL")
START = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
# Hashing is slow on purpose; tests share one hash.
_PASSWORD_HASH = hash_password(PASSWORD)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if PG_URL:
        return PG_URL
    path: Path = tmp_path_factory.mktemp("db") / "test.db"
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
def migrated(database_url: str) -> str:
    upgrade(database_url)
    return database_url


def make_settings(database_url: str, **changes: Any) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key-0123456789-abcdefghij",
        public_base_url="https://companion.example.org",
        login_lockout_minutes=15,
        **changes,
    )


@pytest.fixture
def settings(migrated: str, request: pytest.FixtureRequest) -> Settings:
    """The test settings; ``@pytest.mark.settings(name=value, ...)`` changes some for one test."""
    marker = request.node.get_closest_marker("settings")
    return make_settings(migrated, **(marker.kwargs if marker is not None else {}))


@pytest.fixture
def protocol(request: pytest.FixtureRequest) -> Protocol | None:
    """The protocol the test's app is given: ``@pytest.mark.protocol(protocol)`` gives one test its
    own; without it the app reads ``settings.protocol_file`` (the shipped default)."""
    marker = request.node.get_closest_marker("protocol")
    return marker.args[0] if marker is not None else None


@pytest.fixture
def protocols(settings: Settings, protocol: Protocol | None) -> ProtocolSource:
    """The app's protocol as a source, for the job contexts tests build beside the app."""
    if protocol is not None:
        return ProtocolSource.pinned(protocol)
    return ProtocolSource.from_file(settings.protocol_file)


@pytest.fixture
def is_postgres(settings: Settings) -> bool:
    return not settings.is_sqlite


async def clean(engine: AsyncEngine) -> None:
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                await conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    await clean(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with create_sessionmaker(engine)() as session:
        yield session


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def app(settings: Settings, clock: FrozenClock, engine: AsyncEngine, protocol: Protocol | None) -> Litestar:
    return create_app(settings, clock=clock, engine=engine, protocol=protocol)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    # httpx's ASGI transport runs the app in the test's own event loop, so the app and the test
    # share one engine (Litestar's AsyncTestClient runs the app on a portal thread's loop).
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://companion.example.org") as client:
        yield client
    await app.state.intake.close()  # as the app's shutdown does (the ASGI transport runs no lifespan)
    app.state.passwords.close()


@dataclass
class World:
    """Clinics, staff and patients made directly in the database, with tokens for the staff."""

    engine: AsyncEngine
    settings: Settings
    clock: FrozenClock

    async def _add(self, row: object) -> object:
        async with create_sessionmaker(self.engine)() as session:
            session.add(row)
            await session.commit()
            await session.refresh(row)
        return row

    async def clinic(self, name: str = "North Clinic", timezone: str = "America/New_York") -> Clinic:
        return await self._add(Clinic(name=name, timezone=timezone))  # type: ignore[return-value]

    async def staff(
        self, clinic: Clinic, role: str = "clinician", email: str | None = None, phone: str | None = None
    ) -> StaffMember:
        email = email or f"{role}-{clinic.id}-{os.urandom(3).hex()}@example.org"
        member = StaffMember(
            clinic_id=clinic.id, name=f"{role.title()} Person", email=email, phone=phone, role=role,
            password_hash=_PASSWORD_HASH,
        )
        return await self._add(member)  # type: ignore[return-value]

    def token(self, member: StaffMember) -> str:
        from datetime import timedelta

        claims = tokens.make_claims(
            "staff", member.id or 0, member.clinic_id, member.role, self.clock.now(), timedelta(days=60),
            version=member.token_version,
        )
        return tokens.issue(self.settings.signing_key, claims)

    def headers(self, member: StaffMember) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(member)}"}

    def patient_headers(self, patient: Patient) -> dict[str, str]:
        from datetime import timedelta

        claims = tokens.make_claims(
            "patient", patient.id or 0, patient.clinic_id, None, self.clock.now(), timedelta(days=60),
            version=patient.token_version,
        )
        return {"Authorization": f"Bearer {tokens.issue(self.settings.signing_key, claims)}"}

    async def patient(
        self, clinic: Clinic, reference: str = "P-1042", phone: str = "+12025550142",
        timezone: str = "America/New_York", name: str = "Pat Example", sms_consent: str = "opted_in",
    ) -> Patient:
        """A patient as stored: by default one who answered the welcome YES long ago (``sms_consent``
        "pending" for one who has not; enrolling through the API sends the welcome, docs/sms.md)."""
        patient = Patient(
            clinic_id=clinic.id, reference=reference, display_name=name, phone=phone, timezone=timezone,
            preferred_checkin_time=time(10, 0), sms_consent=sms_consent,
            sms_consent_changed_at=self.clock.now() - timedelta(days=30),
            sms_consent_source="sms:YES" if sms_consent == "opted_in" else "enrolment",
        )
        return await self._add(patient)  # type: ignore[return-value]


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeTwilio]:
    """One fake Twilio for the run, started when a test first needs it."""
    fake = FakeTwilio()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def fake(fake_server: FakeTwilio) -> Iterator[FakeTwilio]:
    fake_server.clear()
    fake_server.reset_failures()
    fake_server.auto_callbacks = False
    yield fake_server
    fake_server.clear()
    fake_server.reset_failures()


@pytest.fixture
def world(engine: AsyncEngine, settings: Settings, clock: FrozenClock) -> World:
    return World(engine, settings, clock)


Factory = Callable[..., Awaitable[object]]


async def waiting_out_backoff(
    clock: FrozenClock, call: Callable[[], Awaitable[httpx.Response]], limit: int = 20
) -> httpx.Response:
    """As a well-behaved client would: after a 429, wait its Retry-After (on the frozen clock)
    and try again."""
    response = await call()
    for _ in range(limit):
        if response.status_code != 429:
            break
        clock.advance(seconds=int(response.headers["retry-after"]))
        response = await call()
    return response
