"""The signed-in patient's own profile and settings (``/api/v1/me``)."""

from __future__ import annotations

from typing import Annotated

from litestar import delete, get, patch, put
from litestar.datastructures import State
from litestar.params import Parameter, SkipValidation
from sqlalchemy.ext.asyncio import AsyncSession

from companion.auth import patient_services
from companion.auth.api import PatientApi
from companion.auth.patient_schemas import PatientProfileRead
from companion.auth.principals import PatientPrincipal
from companion.clinical.protocol import Protocol
from companion.models.push import ENDPOINT_MAX
from companion.patients import push_service
from companion.patients.push_schemas import PushStateRead, PushSubscriptionCreate, PushSubscriptionRead
from companion.patients.self_schemas import PatientSettingsUpdate
from companion.patients.self_service import update_own_settings


class PatientSelfController(PatientApi):
    path = "/api/v1/me"
    tags = ["patient"]

    @get("/")
    async def read_me(self, db_session: AsyncSession, patient: PatientPrincipal) -> PatientProfileRead:
        return PatientProfileRead.model_validate(await patient_services.read_own_profile(db_session, patient))

    @patch("/settings")
    async def update_settings(
        self, data: PatientSettingsUpdate, db_session: AsyncSession, state: State,
        protocol: SkipValidation[Protocol], patient: PatientPrincipal,
    ) -> PatientProfileRead:
        """The patient's preferred check-in time, channel and quiet hours; planned prompts follow."""
        updated = await update_own_settings(db_session, state.clock, protocol.aftercare, patient, data)
        return PatientProfileRead.model_validate(updated)

    @get("/push")
    async def read_push(self, db_session: AsyncSession, state: State, patient: PatientPrincipal) -> PushStateRead:
        """Whether notifications are available, the key to subscribe with, and the patient's devices."""
        return await push_service.read_state(db_session, state.settings, patient)

    @put("/push")
    async def subscribe_push(
        self, data: PushSubscriptionCreate, db_session: AsyncSession, state: State, patient: PatientPrincipal
    ) -> PushSubscriptionRead:
        """Turn notifications on for this browser: its push subscription (docs/push.md)."""
        row = await push_service.subscribe(db_session, state.clock, state.settings, patient, data)
        return PushSubscriptionRead.model_validate(row)

    @delete("/push")
    async def unsubscribe_push(
        self, db_session: AsyncSession, state: State, patient: PatientPrincipal,
        endpoint: Annotated[str, Parameter(min_length=1, max_length=ENDPOINT_MAX, description="the endpoint")],
    ) -> None:
        """Turn notifications off for the browser whose subscription has this endpoint."""
        await push_service.unsubscribe(db_session, state.clock, patient, endpoint)
